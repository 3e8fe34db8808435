//! Training's kernels. On the CPU, the two hot spots of a training step on burn `flex` by hand:
//! a convolution block (conv + ReLU + 2×2 max pool) and a whole LSTM layer over a sequence,
//! each with its gradients. [`flex`] makes them burn autodiff operations; the model's
//! `conv.rs` and `lstm.rs` pick them when the tensors are on flex (the trainer), and burn's
//! own operations everywhere else (the page). With the `wgpu` feature, [`wgpu`] adds the
//! LSTM layer as CubeCL kernels for the GPU backend; [`lstm_layer`] picks whichever applies.
//!
//! Shapes convention, for every kernel: `f32`, contiguous, row-major, the last index fastest.
//! Images are NCHW `[batch, channels, h, w]` as burn stores them; inside the convolution the
//! kernels work channel-last (`[batch, h, w, channels]`, [`layouts`]). Each function's doc
//! gives its layout in a line.

pub mod conv;
pub mod flex;
pub mod layouts;
pub mod lstm;
pub mod pooling;
pub mod products;
pub mod shape;
#[cfg(feature = "wgpu")]
pub mod wgpu;

use burn::prelude::*;

/// A whole LSTM layer from the zero state as one operation, on flex or (with the `wgpu`
/// feature) the GPU backend: the states `[batch, steps, 2·hidden]` (see [`flex::lstm::run`]);
/// `None` on other backends, where the caller runs burn's steps.
pub fn lstm_layer(gates_in: &Tensor<3>, recurrent: &Tensor<2>) -> Option<Tensor<3>> {
    let states = flex::lstm::run(gates_in, recurrent);
    #[cfg(feature = "wgpu")]
    let states = states.or_else(|| wgpu::lstm::run(gates_in, recurrent));
    states
}
