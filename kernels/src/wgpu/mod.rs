//! Training's GPU operations on burn's cubecl backend (wgpu in the trainer, fused): the LSTM
//! layer as CubeCL kernels ([`kernels`]) and as a burn autodiff operation ([`lstm`]), and the
//! optimiser's step per parameter ([`adam`]), all queued on burn's fusion stream ([`queue`]);
//! and a probe for devices that cut long shader loops short ([`loop_cap`]).
//! Step by step, burn's LSTM launched three quarters of a training step's kernels
//! (docs/gpu.md); here the layer is three launches. Like [`crate::flex`], it applies only to
//! tensors on its backend and returns `None` elsewhere, so the model falls back to burn's
//! operations. Tests: the model's `lstm.rs` (against burn's steps on wgpu), the trainer's
//! `wgpu_tests.rs` (a whole training step against flex) and `optimizer.rs` (against burn's
//! clipped Adam).

pub mod adam;
pub mod kernels;
pub mod loop_cap;
pub mod lstm;
mod queue;

use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::{Autodiff, BackendTypes, Cube};
use burn::prelude::Shape;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;

/// The GPU backend as the trainer builds it: cubecl behind burn's fusion.
type Gpu = Cube;
type GpuTensor = <Gpu as BackendTypes>::FloatTensorPrimitive;
/// Training on it: autodiff, no gradient checkpointing.
type Training = Autodiff<Gpu, NoCheckpointing>;
type TrainingTensor = <Training as BackendTypes>::FloatTensorPrimitive;

/// A contiguous tensor of `shape` on `reference`'s device, in its dtype, uninitialised.
fn empty_like(reference: &CubeTensor, shape: impl Into<Shape>) -> CubeTensor {
    empty_device_contiguous_dtype(
        reference.client.clone(),
        reference.device.clone(),
        shape.into(),
        reference.dtype,
    )
}
