//! Training's custom autodiff operations on burn `flex`: this crate's kernels as burn tensors.
//!
//! burn runs the network as many small tensor operations, each with its own autodiff node,
//! allocation and pass over memory; on the CPU that overhead, and `flex`'s slow convolution
//! weight gradient, made training 3.5× slower than PyTorch on the same network. Here the two
//! hot spots are single operations with hand-written gradients: a conv (+ ReLU + max pool)
//! block ([`conv`], kernels in [`crate::conv`]) and a whole LSTM layer over a sequence
//! ([`lstm`], kernels in [`crate::lstm`]). Each applies to tensors on autodiff-over-flex (training)
//! and, without the gradients, on plain flex (the trainer's evaluation), and returns `None`
//! otherwise, so the callers (the model's `conv.rs`, `lstm.rs`) fall back to burn's own operations: the
//! page (built without this feature) and the GPU never come here. Tests check every
//! operation against burn's own, outputs and gradients.

pub mod conv;
pub mod lstm;

use std::borrow::Cow;

use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::flex::FlexTensor;
use burn::backend::{Autodiff, BackendTypes, Flex};
use burn::tensor::{Shape, TensorData};

/// Training's backend: autodiff over flex, no gradient checkpointing.
type Training = Autodiff<Flex, NoCheckpointing>;
type TrainingTensor = <Training as BackendTypes>::FloatTensorPrimitive;

/// Contiguous `f32` values of a flex tensor (copied only if strided).
fn values(t: &FlexTensor) -> Cow<'_, [f32]> {
    match t.as_slice::<f32>() {
        Some(v) => v.into(),
        // One copy: the contiguous tensor is fresh, so its buffer becomes the Vec.
        None => t
            .to_contiguous()
            .into_data()
            .try_into_vec::<f32>()
            .unwrap()
            .into(),
    }
}

fn tensor(values: Vec<f32>, shape: impl Into<Shape>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_a_strided_tensor_are_in_logical_order() {
        let t = tensor(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
        assert_eq!(*values(&t), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let transposed = t.transpose(0, 1);
        assert!(transposed.as_slice::<f32>().is_none(), "a strided view");
        assert_eq!(*values(&transposed), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    }
}
