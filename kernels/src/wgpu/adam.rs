//! Clipped Adam ([`crate::optim`]) as one CubeCL kernel per parameter tensor: one cube sums
//! the gradient's squares in shared memory, then updates the moments and the parameter.
//! Layout: every operand contiguous with the parameter's shape, read as a flat array.

use burn::backend::cubecl::dtype_to_storage_type;
use burn::tensor::Tensor as BurnTensor;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::tensor::CubeTensor;
use cubecl::prelude::*;

use super::queue::queue;
use super::{Gpu, empty_like};
use crate::optim::AdamStep;

/// Units of the one cube: the most every WebGPU device allows per workgroup.
const UNITS: u32 = 256;

/// Scalars of one step, as the kernel takes them.
#[derive(CubeType, CubeLaunch, Clone, Copy)]
struct Constants {
    learning_rate: f32,
    beta_1: f32,
    one_minus_beta_1: f32,
    beta_2: f32,
    one_minus_beta_2: f32,
    first_correction: f32,
    second_correction: f32,
    max_norm: f32,
    /// Added to the norm before dividing, as burn does.
    min_positive: f32,
}

#[cube(launch)]
fn clipped_adam_kernel<F: Float>(
    param: &Tensor<F>,
    grad: &Tensor<F>,
    moment_1: &Tensor<F>,
    moment_2: &Tensor<F>,
    new_param: &mut Tensor<F>,
    new_moment_1: &mut Tensor<F>,
    new_moment_2: &mut Tensor<F>,
    elements: u32,
    c: Constants,
    #[comptime] units: u32,
    #[define(F)] _dtype: ElemType,
) {
    let n = elements as usize;
    let step = units as usize;
    let j = UNIT_POS_X as usize;
    let mut partial = Shared::<[F]>::new_slice(step);
    let mut sum = F::new(0.0_f32);
    for i in range_stepped(j, n, step) {
        sum += grad[i] * grad[i];
    }
    partial[j] = sum;
    sync_cube();
    // One unit adds the partial sums in a fixed order (a halving tree in a loop failed
    // cubecl 0.11's SPIR-V verification: "expected operand type cube.ptr").
    if j == 0 {
        let mut total = F::new(0.0_f32);
        for k in 0..step {
            total += partial[k];
        }
        partial[0] = total;
    }
    sync_cube();
    let norm = partial[0].sqrt();
    let clip = F::min(
        F::cast_from(c.max_norm) / (norm + F::cast_from(c.min_positive)),
        F::new(1.0_f32),
    );
    let lr = F::cast_from(c.learning_rate);
    for i in range_stepped(j, n, step) {
        let g = grad[i] * clip;
        let m1 = moment_1[i] * F::cast_from(c.beta_1) + g * F::cast_from(c.one_minus_beta_1);
        let m2 = moment_2[i] * F::cast_from(c.beta_2) + g * g * F::cast_from(c.one_minus_beta_2);
        let update =
            m1 * F::cast_from(c.first_correction) / (m2.sqrt() + F::cast_from(c.second_correction));
        new_moment_1[i] = m1;
        new_moment_2[i] = m2;
        new_param[i] = param[i] - update * lr;
    }
}

/// One step on the GPU backend: (param, grad, moment 1, moment 2) → [param, moment 1,
/// moment 2] after it, the moments zeros at the first step (`None`); `None` when the tensors
/// are elsewhere.
pub fn run<const D: usize>(
    step: &AdamStep,
    param: &BurnTensor<D>,
    grad: &BurnTensor<D>,
    moments: Option<[&BurnTensor<D>; 2]>,
) -> Option<[BurnTensor<D>; 3]> {
    let primitive = |t: &BurnTensor<D>| t.clone().try_into_primitive::<Gpu>().ok();
    let (param_gpu, grad) = (primitive(param)?, primitive(grad)?);
    let [moment_1, moment_2] = match moments {
        Some([moment_1, moment_2]) => [primitive(moment_1)?, primitive(moment_2)?],
        None => {
            let zeros = primitive(&param.zeros_like())?;
            [zeros.clone(), zeros]
        }
    };
    let inputs = [param_gpu, grad, moment_1, moment_2];
    let shape = inputs[0].shape.clone();
    let step = *step;
    let outputs = queue(
        "digitseq::clipped_adam",
        inputs,
        [shape.clone(), shape.clone(), shape],
        move |inputs| launch(&step, inputs),
    );
    Some(outputs.map(BurnTensor::from_primitive::<Gpu>))
}

fn launch(step: &AdamStep, inputs: [CubeTensor; 4]) -> [CubeTensor; 3] {
    let [param, grad, moment_1, moment_2] = inputs.map(into_contiguous);
    let shape = param.meta.shape().clone();
    let outputs = [(); 3].map(|_| empty_like(&param, shape.clone()));
    let (first_correction, second_correction) = step.corrections();
    let constants = ConstantsLaunch::new(
        step.learning_rate,
        step.beta_1,
        1.0 - step.beta_1,
        step.beta_2,
        1.0 - step.beta_2,
        first_correction,
        second_correction,
        step.max_norm,
        f32::MIN_POSITIVE,
    );
    let client = param.client.clone();
    let dtype = dtype_to_storage_type(param.dtype);
    let [new_param, new_moment_1, new_moment_2] = outputs.clone();
    clipped_adam_kernel::launch(
        &client,
        CubeCount::Static(1, 1, 1),
        CubeDim::new_1d(UNITS),
        param.into_tensor_arg(),
        grad.into_tensor_arg(),
        moment_1.into_tensor_arg(),
        moment_2.into_tensor_arg(),
        new_param.into_tensor_arg(),
        new_moment_1.into_tensor_arg(),
        new_moment_2.into_tensor_arg(),
        shape.num_elements() as u32,
        constants,
        UNITS,
        dtype,
    );
    outputs
}
