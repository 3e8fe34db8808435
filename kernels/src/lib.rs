//! Training's kernels. On the CPU, the two hot spots of a training step on burn `flex` by hand:
//! a convolution block (conv + ReLU + 2×2 max pool) and a whole LSTM layer over a sequence,
//! each with its gradients. [`flex`] makes them burn autodiff operations; the model's
//! `conv.rs` and `lstm.rs` pick them when the tensors are on flex (the trainer), and burn's
//! own operations everywhere else (the page). With the `wgpu` feature, [`wgpu`] adds the
//! LSTM layer as CubeCL kernels for the GPU backend; [`lstm_layer`] picks whichever applies.
//! It also adds the optimiser's step as one kernel per parameter ([`clipped_adam`]).
//!
//! Shapes convention, for every kernel: `f32`, contiguous, row-major, the last index fastest.
//! Images are NCHW `[batch, channels, h, w]` as burn stores them; inside the convolution the
//! kernels work channel-last (`[batch, h, w, channels]`, [`layouts`]). Each function's doc
//! gives its layout in a line.

pub mod conv;
pub mod flex;
pub mod layouts;
pub mod lstm;
pub mod optim;
pub mod pooling;
pub mod products;
pub mod shape;
#[cfg(feature = "wgpu")]
pub mod wgpu;

use burn::prelude::*;
use burn::tensor::DType;

/// The sizes of an LSTM layer whose operands these are (`f32`, at least one row, one step and
/// one unit; gates `4·hidden` wide), or `None`.
fn lstm_sizes(gates_in: &Tensor<3>, recurrent: &Tensor<2>) -> Option<lstm::Sizes> {
    let [batch, steps, gates] = gates_in.dims();
    let [hidden, recurrent_gates] = recurrent.dims();
    let f32s = gates_in.dtype() == DType::F32 && recurrent.dtype() == DType::F32;
    let fits = gates == 4 * hidden && recurrent_gates == gates;
    (f32s && fits && batch > 0 && steps > 0 && hidden > 0).then_some(lstm::Sizes { steps, hidden })
}

/// A whole LSTM layer from the zero state as one operation, on flex or (with the `wgpu`
/// feature) the GPU backend: the states `[batch, steps, 2·hidden]` (see [`flex::lstm::run`]);
/// `None` on other backends, where the caller runs burn's steps.
pub fn lstm_layer(gates_in: &Tensor<3>, recurrent: &Tensor<2>) -> Option<Tensor<3>> {
    let states = flex::lstm::run(gates_in, recurrent);
    #[cfg(feature = "wgpu")]
    let states = states.or_else(|| wgpu::lstm::run(gates_in, recurrent));
    states
}

/// One clipped Adam step ([`optim`]) of `param` as one operation on the GPU backend (with the
/// `wgpu` feature): [param, moment 1, moment 2] after it, from the moments before it (`None`
/// at the first step: zeros, made only there); `None` on other backends, where the caller
/// runs burn's operations.
pub fn clipped_adam<const D: usize>(
    step: &optim::AdamStep,
    param: &Tensor<D>,
    grad: &Tensor<D>,
    moments: Option<[&Tensor<D>; 2]>,
) -> Option<[Tensor<D>; 3]> {
    #[cfg(feature = "wgpu")]
    return wgpu::adam::run(step, param, grad, moments);
    #[cfg(not(feature = "wgpu"))]
    {
        let _ = (step, param, grad, moments);
        None
    }
}

/// The most loop iterations one shader invocation runs on `device`, where it stops loops
/// early (Mesa's llvmpipe: 65,535; see [`wgpu::loop_cap`]); `None` where loops run to the end
/// and on the CPU backend. Reads one number back from the device.
pub fn shader_loop_cap(device: &Device) -> Option<u32> {
    #[cfg(feature = "wgpu")]
    return wgpu::loop_cap::find(device);
    #[cfg(not(feature = "wgpu"))]
    {
        let _ = device;
        None
    }
}
