//! A whole LSTM layer over a sequence, from the zero state, as one autodiff operation.
//!
//! Step by step in burn, every step is a matmul and a dozen element-wise operations, each
//! with its own autodiff node and allocation, and the recurrent weight's gradient is 20
//! small products (2 layers × 10 steps at the benchmark's length). Here the layer is
//! [`crate::lstm`]'s two passes over plain slices.
//!
//! The input projection stays burn's `Linear` (one matmul over all steps already); this
//! operation takes its output, the pre-activation gates.

use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::prelude::*;

use super::{Training, TrainingTensor, tensor, values};
use crate::lstm::{Sizes, backward, forward};

/// The hidden and cell states after every step, `[batch, steps, 2·hidden]` (each step's `h`
/// then `c`), of the layer whose input projection gave the pre-activation gates `gates_in`
/// (`[batch, steps, 4·hidden]`, gates i, f, g, o) and whose recurrent weight is `recurrent`
/// (`[hidden, 4·hidden]`, burn `Linear`'s layout), from the zero state. On autodiff-over-flex
/// (training) an operation with its gradients, on plain flex (the trainer's evaluation) the
/// same forward pass without them; `None` elsewhere: the caller runs burn's steps.
pub fn run(gates_in: &Tensor<3>, recurrent: &Tensor<2>) -> Option<Tensor<3>> {
    let z = crate::lstm_sizes(gates_in, recurrent)?;
    let batch = gates_in.dims()[0];
    if let Ok(gates_in) = gates_in.clone().try_into_primitive::<Training>() {
        let recurrent = recurrent.clone().try_into_primitive::<Training>().ok()?;
        return Some(Tensor::from_primitive::<Training>(layer(
            gates_in, recurrent,
        )));
    }
    let gates_in = gates_in.clone().try_into_primitive::<Flex>().ok()?;
    let recurrent = recurrent.clone().try_into_primitive::<Flex>().ok()?;
    let (_, states) = forward(&values(&gates_in), &values(&recurrent), z);
    Some(Tensor::from_primitive::<Flex>(tensor(
        states,
        [batch, z.steps, 2 * z.hidden],
    )))
}

#[derive(Debug)]
struct LayerBackward;

impl Backward<Flex, 2> for LayerBackward {
    /// The activated gates, the output (the states), the recurrent weight, the sizes.
    type State = (Vec<f32>, FlexTensor, FlexTensor, Sizes);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_gates, node_recurrent] = ops.parents;
        let d_states = grads.consume::<Flex>(&ops.node);
        let (gates, states, recurrent, z) = ops.state;
        let (d_gates, d_recurrent) = backward(
            &gates,
            &values(&states),
            &values(&recurrent),
            &values(&d_states),
            z,
        );
        if let Some(node) = node_gates {
            let batch = gates.len() / z.gates_len();
            grads.register::<Flex>(node.id, tensor(d_gates, [batch, z.steps, 4 * z.hidden]));
        }
        if let Some(node) = node_recurrent {
            let shape = recurrent.layout().shape().clone();
            grads.register::<Flex>(node.id, tensor(d_recurrent, shape));
        }
    }
}

fn layer(gates_in: TrainingTensor, recurrent: TrainingTensor) -> TrainingTensor {
    let prep = LayerBackward
        .prepare::<NoCheckpointing>([gates_in.node(), recurrent.node()])
        .compute_bound()
        .stateful();
    let (gates_in, recurrent) = (gates_in.into_primitive(), recurrent.into_primitive());
    let [batch, steps, four_h] = gates_in.layout().shape().dims();
    let z = Sizes {
        steps,
        hidden: four_h / 4,
    };
    let (gates, states) = forward(&values(&gates_in), &values(&recurrent), z);
    let out = tensor(states, [batch, steps, 2 * z.hidden]);
    match prep {
        OpsKind::Tracked(prep) => prep.finish((gates, out.clone(), recurrent, z), out),
        OpsKind::UnTracked(prep) => prep.finish(out),
    }
}
