//! One training step's loss and gradients on a device against flex's, from the same weights
//! and batch: whether the GPU path trains what the CPU path trains. The wgpu tests check it on
//! lavapipe; `trainer bench --check-gradients` checks it on whatever GPU runs the bench
//! (`scripts/gpu-check.sh` does, at the GPU's batch size).

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::train::TrainStep;
use digitseq_model::weights;
use digitseq_model::{DigitSeqConfig, DigitSeqNet};
use serde::Serialize;

use crate::sequences::SequenceBatch;
use crate::training::Trainee;

/// Gradients may differ by this much relative to flex's (summation order differs: flex's
/// own kernels against cubecl's), with a floor for values near zero: 1e-5 plus 1e-4 of the
/// parameter tensor's largest gradient. The loss: 1e-4 relative, 1e-5 absolute.
const RELATIVE: f32 = 1e-3;

/// The same weights on another device, through the exported format (bit-exact f32).
pub fn copy_to(net: DigitSeqNet, config: &DigitSeqConfig, device: &Device) -> DigitSeqNet {
    let (bytes, manifest) = weights::encode(net, config, serde_json::json!({})).unwrap();
    manifest.load(bytes, device).unwrap()
}

/// Every float parameter's gradient, in the module's visiting order.
struct CollectGradients<'a> {
    grads: &'a GradientsParams,
    out: Vec<TensorData>,
}

impl ModuleVisitor for CollectGradients<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let grad = self
            .grads
            .get::<D>(param.id)
            .expect("every parameter has a gradient");
        self.out.push(grad.into_data());
    }
}

/// One training step of the trainer's network from `net`'s weights on `device`, on the
/// sequences `pixels` (`[batch, length, 28, 28]`) with sequence labels `targets`
/// (`[batch, 10]`): the loss and every parameter's gradient.
pub fn one_step(
    net: &DigitSeqNet,
    config: &DigitSeqConfig,
    device: &Device,
    pixels: &TensorData,
    targets: &TensorData,
) -> (f32, Vec<TensorData>) {
    let train_device = device.clone().autodiff();
    let trainee = Trainee {
        net: copy_to(net.clone(), config, &train_device),
        noise_rate: 0.0,
        only_digit: None,
        // The sequence labels only: the network's gradients are what is compared.
        every_step: false,
    };
    let targets = Tensor::<2, Int>::from_data(targets.clone(), &train_device);
    let batch = SequenceBatch {
        images: Tensor::from_data(pixels.clone(), &train_device),
        noisy: targets.clone(),
        clean: targets,
        running: None,
    };
    let out = TrainStep::step(&trainee, batch);
    let mut collect = CollectGradients {
        grads: &out.grads,
        out: Vec::new(),
    };
    trainee.net.visit(&mut collect);
    (out.item.loss.into_scalar(), collect.out)
}

/// How one step on a device compares with the same step on the CPU.
#[derive(Debug, Serialize)]
pub struct GradientCheck {
    pub loss_cpu: f32,
    pub loss_device: f32,
    /// The parameter whose gradient is furthest beyond 1e-3 relative, by its index in the
    /// module's order and its shape.
    pub worst_parameter: usize,
    pub worst_shape: Vec<usize>,
    /// How far beyond 1e-3 relative its worst element is (infinite for a NaN, which JSON
    /// writes as null), and what is allowed there.
    pub worst_excess: f32,
    pub allowed: f32,
    /// The verdict: the loss and every gradient within their tolerances.
    pub agrees: bool,
}

/// `(loss, gradients)` on the CPU against the same on a device.
pub fn compare(cpu: (f32, &[TensorData]), device: (f32, &[TensorData])) -> GradientCheck {
    assert_eq!(cpu.1.len(), device.1.len(), "the same parameters");
    let mut check = GradientCheck {
        loss_cpu: cpu.0,
        loss_device: device.0,
        worst_parameter: 0,
        worst_shape: Vec::new(),
        worst_excess: f32::MIN,
        allowed: 0.0,
        agrees: false,
    };
    for (i, (c, d)) in cpu.1.iter().zip(device.1).enumerate() {
        assert_eq!(c.shape(), d.shape(), "parameter {i}");
        let scale = c.iter::<f32>().fold(0f32, |m, v| m.max(v.abs()));
        let allowed = 1e-5 + 1e-4 * scale;
        let excess = c
            .iter::<f32>()
            .zip(d.iter::<f32>())
            .map(|(c, d)| (c - d).abs() - RELATIVE * c.abs())
            // NaN on either side counts as the worst possible (`max` would skip it).
            .map(|e| if e.is_nan() { f32::INFINITY } else { e })
            .fold(f32::MIN, f32::max);
        if excess - allowed > check.worst_excess - check.allowed {
            check = GradientCheck {
                worst_parameter: i,
                worst_shape: c.shape().to_vec(),
                worst_excess: excess,
                allowed,
                ..check
            };
        }
    }
    // Written so that a NaN loss does not agree.
    let loss = (check.loss_cpu - check.loss_device).abs() <= 1e-5 + 1e-4 * check.loss_cpu.abs();
    check.agrees = loss && check.worst_excess <= check.allowed;
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(values: &[f32]) -> TensorData {
        TensorData::new(values.to_vec(), [values.len()])
    }

    #[test]
    fn it_names_the_parameter_that_differs_and_nan_never_agrees() {
        let cpu = [data(&[1.0, -2.0, 0.5]), data(&[3.0, 0.0])];
        let same = compare((0.7, &cpu), (0.7, &cpu));
        assert!(same.agrees, "{same:?}");

        let close = [data(&[1.0005, -2.001, 0.5]), data(&[3.0, 1e-6])];
        assert!(compare((0.7, &cpu), (0.70001, &close)).agrees);

        let off = [data(&[1.0, -2.0, 0.5]), data(&[3.0, 0.01])];
        let check = compare((0.7, &cpu), (0.7, &off));
        assert!(!check.agrees);
        assert_eq!(
            (check.worst_parameter, check.worst_shape.as_slice()),
            (1, &[2][..])
        );

        let nan = [data(&[1.0, f32::NAN, 0.5]), data(&[3.0, 0.0])];
        let check = compare((0.7, &cpu), (0.7, &nan));
        assert!(!check.agrees);
        // What gpu-check.sh reads: the verdict, and null where JSON has no infinity.
        let json = serde_json::to_value(&check).unwrap();
        assert_eq!(
            (&json["agrees"], &json["worst_excess"]),
            (&false.into(), &serde_json::Value::Null)
        );
        assert!(
            !compare((0.7, &cpu), (0.8, &cpu)).agrees,
            "the loss counts too"
        );
        assert!(!compare((0.7, &cpu), (f32::NAN, &cpu)).agrees);
    }
}
