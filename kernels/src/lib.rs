//! Training's CPU kernels, the two hot spots of a training step on burn `flex` written by hand:
//! a convolution block (conv + ReLU + 2×2 max pool) and a whole LSTM layer over a sequence,
//! each with its gradients. [`flex`] makes them burn autodiff operations; the model's
//! `conv.rs` and `lstm.rs` pick them when the tensors are on flex (the trainer), and burn's
//! own operations everywhere else (the page, the GPU). A GPU kernel of the LSTM layer would
//! live here too.
//!
//! Shapes convention, for every kernel: `f32` slices, row-major, the last index fastest.
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
