//! The network's convolution blocks. Everywhere they are burn's `Conv2d`, `Relu` and
//! `MaxPool2d`, except on burn `flex` with the feature `flex-training` (the trainer's): there
//! each block is one custom operation (`digitseq_kernels::flex::conv`), with its gradients when training, several times
//! faster than `flex`'s own. Same weights, same answers to float rounding; the page (built
//! without the feature) never takes that path.

use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::prelude::*;
use burn::tensor::activation::relu;

/// `relu(layer(x))`.
pub fn conv_relu(layer: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    #[cfg(feature = "flex-training")]
    if let Some(out) = digitseq_kernels::flex::conv::forward(layer, None, &x) {
        return relu(out);
    }
    relu(layer.forward(x))
}

/// `pool(relu(layer(x)))`.
pub fn conv_relu_pool(layer: &Conv2d, pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    #[cfg(feature = "flex-training")]
    if let Some(out) = digitseq_kernels::flex::conv::forward(layer, Some(pool), &x) {
        return out;
    }
    pool.forward(relu(layer.forward(x)))
}
