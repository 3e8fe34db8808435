//! The network's conv (+ ReLU + 2×2 max pool) block as one autodiff operation.

use std::sync::Arc;

use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::prelude::*;
use burn::tensor::DType;

use super::{Training, TrainingTensor, tensor, values};
use crate::conv::{self as kernel, ConvShape, InputGrad, OutputGrad};

/// `layer(x)`, or `pool(relu(layer(x)))` with a pool, on the fast path: on autodiff-over-flex
/// (training) an operation with its gradients, on plain flex (the trainer's evaluation) the
/// same kernel without them. `None` where it does not apply (another backend, a geometry the
/// kernel does not do): the caller then runs burn's own.
pub fn forward(layer: &Conv2d, pool: Option<&MaxPool2d>, x: &Tensor<4>) -> Option<Tensor<4>> {
    let plain = layer.stride == [1, 1]
        && layer.dilation == [1, 1]
        && layer.groups == 1
        && matches!(layer.padding, PaddingConfig2d::Valid);
    let pool_2x2 = pool.is_none_or(|p| {
        p.kernel_size == [2, 2]
            && p.stride == [2, 2]
            && p.dilation == [1, 1]
            && !p.ceil_mode
            && matches!(p.padding, PaddingConfig2d::Valid)
    });
    if !plain || !pool_2x2 || x.dtype() != DType::F32 {
        return None;
    }
    let bias = layer.bias.as_ref()?.val();
    let weight = layer.weight.val();
    if let Ok(x) = x.clone().try_into_primitive::<Training>() {
        let weight = weight.try_into_primitive::<Training>().ok()?;
        let bias = bias.try_into_primitive::<Training>().ok()?;
        return Some(Tensor::from_primitive::<Training>(conv2d(
            x,
            weight,
            bias,
            pool.is_some(),
        )));
    }
    let x = x.clone().try_into_primitive::<Flex>().ok()?;
    let weight = weight.try_into_primitive::<Flex>().ok()?;
    let bias = bias.try_into_primitive::<Flex>().ok()?;
    let (out, _) = run_kernel(&x, &weight, &bias, pool.is_some());
    Some(Tensor::from_primitive::<Flex>(out))
}

/// The kernel's forward pass: the output, and the pooling's winners if pooled.
fn run_kernel(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    relu_pool: bool,
) -> (FlexTensor, Option<Arc<[u8]>>) {
    let s = shape(x, weight);
    let (x, weight, bias) = (values(x), values(weight), values(bias));
    if relu_pool {
        let pooled = kernel::forward_relu_pool(&x, &weight, &bias, s);
        let dims = [s.batch, s.c_out, s.pooled_h(), s.pooled_w()];
        (tensor(pooled.values, dims), Some(pooled.winners.into()))
    } else {
        let out = kernel::forward(&x, &weight, &bias, s);
        (tensor(out, [s.batch, s.c_out, s.out_h(), s.out_w()]), None)
    }
}

fn shape(x: &FlexTensor, weight: &FlexTensor) -> ConvShape {
    let [batch, c_in, h, w] = x.layout().shape().dims();
    let [c_out, _, kh, kw] = weight.layout().shape().dims();
    ConvShape {
        batch,
        c_in,
        h,
        w,
        c_out,
        kh,
        kw,
    }
}

#[derive(Debug)]
struct ConvBackward;

impl Backward<Flex, 3> for ConvBackward {
    /// The input and weight the forward pass read, and the pooling's winners if pooled.
    type State = (FlexTensor, FlexTensor, Option<Arc<[u8]>>);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_weight, node_bias] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node);
        let (x, weight, winners) = ops.state;
        let s = shape(&x, &weight);
        let grad = values(&grad);
        let grad = match &winners {
            Some(winners) => OutputGrad::Pooled {
                grad: &grad,
                winners,
            },
            None => OutputGrad::Dense(&grad),
        };
        let input_grad = match node_x {
            Some(_) => InputGrad::Wanted,
            None => InputGrad::NotWanted,
        };
        let g = kernel::backward(&values(&x), &values(&weight), grad, s, input_grad);
        if let (Some(node), Some(dx)) = (node_x, g.x) {
            grads.register::<Flex>(node.id, tensor(dx, x.layout().shape().clone()));
        }
        if let Some(node) = node_weight {
            let shape = weight.layout().shape().clone();
            grads.register::<Flex>(node.id, tensor(g.weight, shape));
        }
        if let Some(node) = node_bias {
            grads.register::<Flex>(node.id, tensor(g.bias, [s.c_out]));
        }
    }
}

fn conv2d(
    x: TrainingTensor,
    weight: TrainingTensor,
    bias: TrainingTensor,
    relu_pool: bool,
) -> TrainingTensor {
    let prep = ConvBackward
        .prepare::<NoCheckpointing>([x.node(), weight.node(), bias.node()])
        .compute_bound()
        .stateful();
    let (x, weight, bias) = (
        x.into_primitive(),
        weight.into_primitive(),
        bias.into_primitive(),
    );
    let (out, winners) = run_kernel(&x, &weight, &bias, relu_pool);
    match prep {
        OpsKind::Tracked(prep) => prep.finish((x, weight, winners), out),
        OpsKind::UnTracked(prep) => prep.finish(out),
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::conv::Conv2dConfig;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::prelude::*;
    use burn::tensor::Distribution;
    use burn::tensor::activation::relu;

    /// The fast path must be burn's `Conv2d` (and `Relu`, `MaxPool2d`) to float rounding:
    /// output and the gradients of the input, the weight and the bias, through a real
    /// backward pass. Odd output sizes (7×6 → pooled 3×3) check the dropped last row.
    #[test]
    fn the_fast_path_matches_burns_conv2d_and_its_gradients() {
        check_against_burn(false, [7, 5, 7, 6]);
    }

    #[test]
    fn the_fast_pooled_path_matches_burns_conv_relu_pool_and_its_gradients() {
        check_against_burn(true, [7, 5, 3, 3]);
    }

    fn check_against_burn(pooled: bool, out_dims: [usize; 4]) {
        let device = Device::flex().autodiff();
        let layer = Conv2dConfig::new([3, 5], [3, 3]).init(&device);
        let pool = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init();
        let x = Tensor::<4>::random([7, 3, 9, 8], Distribution::Default, &device).require_grad();
        let g = Tensor::<4>::random(out_dims, Distribution::Default, &device);

        let run = |fast: bool| {
            let out = match (fast, pooled) {
                (true, _) => super::forward(&layer, pooled.then_some(&pool), &x)
                    .expect("the fast path applies here"),
                (false, false) => layer.forward(x.clone()),
                (false, true) => pool.forward(relu(layer.forward(x.clone()))),
            };
            assert_eq!(out.dims(), out_dims);
            let grads = (out.clone() * g.clone()).sum().backward();
            let grad = |t: Tensor<4>| t.grad(&grads).unwrap().into_data();
            (
                out.into_data(),
                grad(x.clone()),
                grad(layer.weight.val()),
                layer
                    .bias
                    .as_ref()
                    .unwrap()
                    .val()
                    .grad(&grads)
                    .unwrap()
                    .into_data(),
            )
        };
        let (fast, burn) = (run(true), run(false));
        let tolerance = burn::tensor::Tolerance::<f32>::rel_abs(1e-4, 1e-4);
        fast.0.assert_approx_eq::<f32>(&burn.0, tolerance);
        fast.1.assert_approx_eq::<f32>(&burn.1, tolerance);
        fast.2.assert_approx_eq::<f32>(&burn.2, tolerance);
        fast.3.assert_approx_eq::<f32>(&burn.3, tolerance);
    }

    /// Without autodiff (evaluation) the same kernel runs, and gives burn's answers.
    #[test]
    fn without_autodiff_it_matches_burns_conv_relu_pool() {
        let device = Device::flex();
        let layer = Conv2dConfig::new([3, 5], [3, 3]).init(&device);
        let pool = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init();
        let x = Tensor::<4>::random([7, 3, 9, 8], Distribution::Default, &device);
        let tolerance = burn::tensor::Tolerance::<f32>::rel_abs(1e-4, 1e-4);
        let fast = super::forward(&layer, Some(&pool), &x).expect("the fast path applies");
        let burn = pool.forward(relu(layer.forward(x.clone())));
        fast.into_data()
            .assert_approx_eq::<f32>(&burn.into_data(), tolerance);
        let fast = super::forward(&layer, None, &x).expect("the fast path applies");
        let burn = layer.forward(x);
        fast.into_data()
            .assert_approx_eq::<f32>(&burn.into_data(), tolerance);
    }
}
