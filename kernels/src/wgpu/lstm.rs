//! A whole LSTM layer over a sequence, from the zero state, as one autodiff operation on the
//! GPU backend: [`super::kernels`] queued through burn's fusion as custom operations. The
//! same contract as [`crate::flex::lstm::run`].

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::prelude::*;

use super::queue::queue;
use super::{Gpu, GpuTensor, Training, TrainingTensor, kernels};

/// The largest hidden size: a cube runs 4·hidden units, and 256 is what every WebGPU device
/// allows per workgroup.
const MAX_HIDDEN: usize = 64;

/// The hidden and cell states after every step, `[batch, steps, 2·hidden]`, of the layer whose
/// input projection gave `gates_in` and whose recurrent weight is `recurrent`, on the GPU
/// backend (with gradients under autodiff); `None` elsewhere.
pub fn run(gates_in: &Tensor<3>, recurrent: &Tensor<2>) -> Option<Tensor<3>> {
    if crate::lstm_sizes(gates_in, recurrent)?.hidden > MAX_HIDDEN {
        return None;
    }
    if let Ok(gates_in) = gates_in.clone().try_into_primitive::<Training>() {
        let recurrent = recurrent.clone().try_into_primitive::<Training>().ok()?;
        return Some(Tensor::from_primitive::<Training>(layer(
            gates_in, recurrent,
        )));
    }
    let gates_in = gates_in.clone().try_into_primitive::<Gpu>().ok()?;
    let recurrent = recurrent.clone().try_into_primitive::<Gpu>().ok()?;
    let [_, states] = forward(gates_in, recurrent);
    Some(Tensor::from_primitive::<Gpu>(states))
}

#[derive(Debug)]
struct LayerBackward;

impl Backward<Gpu, 2> for LayerBackward {
    /// The activated gates, the states, the recurrent weight.
    type State = (GpuTensor, GpuTensor, GpuTensor);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_gates, node_recurrent] = ops.parents;
        let d_states = grads.consume::<Gpu>(&ops.node);
        let (gates, states, recurrent) = ops.state;
        let [d_gates, d_recurrent] = backward(gates, states, recurrent, d_states);
        if let Some(node) = node_gates {
            grads.register::<Gpu>(node.id, d_gates);
        }
        if let Some(node) = node_recurrent {
            grads.register::<Gpu>(node.id, d_recurrent);
        }
    }
}

fn layer(gates_in: TrainingTensor, recurrent: TrainingTensor) -> TrainingTensor {
    let prep = LayerBackward
        .prepare::<NoCheckpointing>([gates_in.node(), recurrent.node()])
        .compute_bound()
        .stateful();
    let (gates_in, recurrent) = (gates_in.into_primitive(), recurrent.into_primitive());
    let [gates, states] = forward(gates_in, recurrent.clone());
    match prep {
        OpsKind::Tracked(prep) => prep.finish((gates, states.clone(), recurrent), states),
        OpsKind::UnTracked(prep) => prep.finish(states),
    }
}

/// Queues `kernels::forward` on the fusion stream: → [activated gates, states].
fn forward(gates_in: GpuTensor, recurrent: GpuTensor) -> [GpuTensor; 2] {
    let [batch, steps, four_h] = gates_in.shape.dims::<3>();
    let outputs = [
        gates_in.shape.clone(),
        Shape::new([batch, steps, four_h / 2]),
    ];
    queue(
        "digitseq::lstm_forward",
        [gates_in, recurrent],
        outputs,
        |[gates_in, recurrent]| kernels::forward(gates_in, recurrent),
    )
}

/// Queues `kernels::backward` on the fusion stream: → [d pre-activation gates, d recurrent].
fn backward(
    gates: GpuTensor,
    states: GpuTensor,
    recurrent: GpuTensor,
    d_states: GpuTensor,
) -> [GpuTensor; 2] {
    let outputs = [gates.shape.clone(), recurrent.shape.clone()];
    queue(
        "digitseq::lstm_backward",
        [gates, states, recurrent, d_states],
        outputs,
        |[gates, states, recurrent, d_states]| {
            kernels::backward(gates, states, recurrent, d_states)
        },
    )
}
