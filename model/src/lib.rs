//! What the trainer and the page must agree on: the network and its config, the MNIST-style
//! preprocessing of drawn digits, and the weight-file format.
//!
//! The network is backend-free: callers pick the device (`flex`, `wgpu`, `webgpu`) and pass it
//! in. Segmentation's small crop scorer (`scorer.rs`) always runs on flex, synchronously. With the
//! feature `flex-training` (the trainer's), `conv.rs` and `lstm.rs` take the hand-written
//! kernels of the `digitseq-kernels` crate on flex.

pub mod config;
mod conv;
pub mod generated;
pub mod lstm;
pub mod network;
pub mod preprocess;
pub mod samples;
pub mod scorer;
pub mod segment;
pub mod weights;

pub use config::DigitSeqConfig;
pub use network::{DigitSeqNet, SequenceState};

/// Side of the square image the network reads, in pixels (MNIST's 28×28).
pub const IMAGE_SIDE: usize = 28;
/// Pixels in one digit image.
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// Mean and standard deviation of MNIST training pixels scaled to [0, 1]; the network
/// standardises its input with these, so callers always pass plain [0, 1] intensities.
pub const MNIST_MEAN: f32 = 0.1307;
pub const MNIST_STD: f32 = 0.3081;
/// Sequence lengths the model was trained on; the page warns outside this range.
pub const MIN_TRAINED_LEN: usize = 3;
pub const MAX_TRAINED_LEN: usize = 30;
