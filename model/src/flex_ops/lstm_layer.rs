//! A whole LSTM layer over a sequence, from the zero state, as one autodiff operation.
//!
//! Step by step in burn, every step is a matmul and a dozen element-wise operations, each
//! with its own autodiff node and allocation, and the recurrent weight's gradient is 20
//! small products (2 layers × 10 steps at the benchmark's length). Here the forward pass runs
//! the steps over plain slices, and the backward pass runs backpropagation through time by
//! hand: per step one product for the hidden state's gradient, and at the end one product
//! (over every step at once) for the recurrent weight's. The batch is split into chunks of
//! rows run in parallel: rows do not interact in an LSTM.
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
use burn::tensor::DType;
use rayon::prelude::*;

use super::{Training, TrainingTensor, tensor, values};
use crate::matmul::{Strided, matmul};

/// The hidden and cell states after every step, `[batch, steps, 2·hidden]` (each step's `h`
/// then `c`), of the layer whose input projection gave the pre-activation gates `gates_in`
/// (`[batch, steps, 4·hidden]`, gates i, f, g, o) and whose recurrent weight is `recurrent`
/// (`[hidden, 4·hidden]`, burn `Linear`'s layout), from the zero state. On autodiff-over-flex
/// (training) an operation with its gradients, on plain flex (the trainer's evaluation) the
/// same forward pass without them; `None` elsewhere: the caller runs burn's steps.
pub fn run(gates_in: &Tensor<3>, recurrent: &Tensor<2>) -> Option<Tensor<3>> {
    let [batch, steps, gates] = gates_in.dims();
    let [hidden, recurrent_gates] = recurrent.dims();
    if gates_in.dtype() != DType::F32
        || recurrent.dtype() != DType::F32
        || batch == 0
        || steps == 0
        || gates != 4 * hidden
        || recurrent_gates != gates
    {
        return None;
    }
    if let Ok(gates_in) = gates_in.clone().try_into_primitive::<Training>() {
        let recurrent = recurrent.clone().try_into_primitive::<Training>().ok()?;
        return Some(Tensor::from_primitive::<Training>(layer(
            gates_in, recurrent,
        )));
    }
    let gates_in = gates_in.clone().try_into_primitive::<Flex>().ok()?;
    let recurrent = recurrent.clone().try_into_primitive::<Flex>().ok()?;
    let z = Sizes { steps, hidden };
    let (_, states) = forward(&values(&gates_in), &values(&recurrent), z);
    Some(Tensor::from_primitive::<Flex>(tensor(
        states,
        [batch, steps, 2 * hidden],
    )))
}

/// Rows of the batch per parallel chunk. Fixed, not derived from the thread count, so the
/// weight gradient (summed chunk by chunk, in order) is the same on any machine.
const ROWS_PER_CHUNK: usize = 32;

#[derive(Debug, Clone, Copy)]
struct Sizes {
    steps: usize,
    hidden: usize,
}

impl Sizes {
    /// Values per batch row of the gates and of the states.
    fn gates_len(self) -> usize {
        self.steps * 4 * self.hidden
    }
    fn states_len(self) -> usize {
        self.steps * 2 * self.hidden
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// tanh through one `exp`: several times faster than libm's `tanhf`; exact at ±∞ (`exp`
/// overflows to ∞ → 1, underflows to 0 → −1) and within 2e-7 (absolute) of it elsewhere
/// (checked over [-20, 20] in f32).
fn tanh(x: f32) -> f32 {
    1.0 - 2.0 / ((2.0 * x).exp() + 1.0)
}

/// The forward pass: the activated gates (i, f, g, o after σ, σ, tanh, σ), which the
/// backward pass reads, and the states.
fn forward(gates_in: &[f32], recurrent: &[f32], z: Sizes) -> (Vec<f32>, Vec<f32>) {
    let (steps, h) = (z.steps, z.hidden);
    let mut gates = gates_in.to_vec();
    let mut states = vec![0.0; gates_in.len() / 2];
    let chunks = gates
        .par_chunks_mut(ROWS_PER_CHUNK * z.gates_len())
        .zip(states.par_chunks_mut(ROWS_PER_CHUNK * z.states_len()));
    chunks.for_each(|(gates, states)| {
        let rows = gates.len() / z.gates_len();
        for t in 0..steps {
            if t > 0 {
                // gates[:, t] += h[:, t − 1] · recurrent, every row of the chunk at once.
                matmul(
                    (rows, 4 * h, h),
                    Strided(&mut gates[t * 4 * h..], z.gates_len(), 1),
                    Strided(&states[(t - 1) * 2 * h..], z.states_len(), 1),
                    Strided(recurrent, 4 * h, 1),
                    true,
                );
            }
            for r in 0..rows {
                let g = &mut gates[(r * steps + t) * 4 * h..][..4 * h];
                let at = (r * steps + t) * 2 * h;
                for j in 0..h {
                    let (i, f) = (sigmoid(g[j]), sigmoid(g[h + j]));
                    let (c_in, o) = (tanh(g[2 * h + j]), sigmoid(g[3 * h + j]));
                    (g[j], g[h + j], g[2 * h + j], g[3 * h + j]) = (i, f, c_in, o);
                    let previous = if t > 0 { states[at - h + j] } else { 0.0 };
                    let cell = f * previous + i * c_in;
                    states[at + h + j] = cell;
                    states[at + j] = o * tanh(cell);
                }
            }
        }
    });
    (gates, states)
}

/// Backpropagation through time: the states' gradient `d_states` → the gradients of the
/// pre-activation gates and of the recurrent weight.
fn backward(
    gates: &[f32],
    states: &[f32],
    recurrent: &[f32],
    d_states: &[f32],
    z: Sizes,
) -> (Vec<f32>, Vec<f32>) {
    let (steps, h) = (z.steps, z.hidden);
    // recurrentᵀ `[4·hidden, hidden]`, row-major: gemm reads it 1.6× faster than a strided
    // view of the weight.
    let mut recurrent_t = vec![0.0; recurrent.len()];
    for (k, row) in recurrent.chunks(4 * h).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            recurrent_t[j * h + k] = v;
        }
    }
    let mut d_gates = vec![0.0; gates.len()];
    let rows_of = |len: usize| ROWS_PER_CHUNK * len;
    let per_chunk: Vec<Vec<f32>> = d_gates
        .par_chunks_mut(rows_of(z.gates_len()))
        .zip(gates.par_chunks(rows_of(z.gates_len())))
        .zip(states.par_chunks(rows_of(z.states_len())))
        .zip(d_states.par_chunks(rows_of(z.states_len())))
        .map(|(((d_gates, gates), states), d_states)| {
            let rows = gates.len() / z.gates_len();
            // What step t + 1 sends back to step t: the hidden state's and the cell's
            // gradients.
            let (mut d_hidden, mut d_cell) = (vec![0.0; rows * h], vec![0.0; rows * h]);
            for t in (0..steps).rev() {
                for r in 0..rows {
                    let g = &gates[(r * steps + t) * 4 * h..][..4 * h];
                    let d_g = &mut d_gates[(r * steps + t) * 4 * h..][..4 * h];
                    let at = (r * steps + t) * 2 * h;
                    for j in 0..h {
                        let (i, f, c_in, o) = (g[j], g[h + j], g[2 * h + j], g[3 * h + j]);
                        let previous = if t > 0 { states[at - h + j] } else { 0.0 };
                        let tanh_cell = tanh(states[at + h + j]);
                        let dh = d_states[at + j] + d_hidden[r * h + j];
                        let dc = d_states[at + h + j]
                            + d_cell[r * h + j]
                            + dh * o * (1.0 - tanh_cell * tanh_cell);
                        d_g[j] = dc * c_in * i * (1.0 - i);
                        d_g[h + j] = dc * previous * f * (1.0 - f);
                        d_g[2 * h + j] = dc * i * (1.0 - c_in * c_in);
                        d_g[3 * h + j] = dh * tanh_cell * o * (1.0 - o);
                        d_cell[r * h + j] = dc * f;
                    }
                }
                if t > 0 {
                    // d h[:, t − 1] = d gates[:, t] · recurrentᵀ
                    matmul(
                        (rows, h, 4 * h),
                        Strided(&mut d_hidden, h, 1),
                        Strided(&d_gates[t * 4 * h..], z.gates_len(), 1),
                        Strided(&recurrent_t, h, 1),
                        false,
                    );
                }
            }
            // d recurrent = Σ_t h[:, t − 1]ᵀ · d gates[:, t], as one product over every
            // (row, step): the hidden states shifted one step later, zero at the first.
            let mut previous = vec![0.0; rows * steps * h];
            for r in 0..rows {
                for t in 1..steps {
                    let from = &states[(r * steps + t - 1) * 2 * h..][..h];
                    previous[(r * steps + t) * h..][..h].copy_from_slice(from);
                }
            }
            let mut d_recurrent = vec![0.0; recurrent.len()];
            matmul(
                (h, 4 * h, rows * steps),
                Strided(&mut d_recurrent, 4 * h, 1),
                Strided(&previous, 1, h),
                Strided(d_gates, 4 * h, 1),
                false,
            );
            d_recurrent
        })
        .collect();
    let mut d_recurrent = vec![0.0; recurrent.len()];
    for chunk in per_chunk {
        d_recurrent
            .iter_mut()
            .zip(&chunk)
            .for_each(|(a, b)| *a += b);
    }
    (d_gates, d_recurrent)
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

#[cfg(test)]
mod tests {
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use crate::lstm::FusedLstm;

    /// The fast layer must be burn's steps (lstm.rs's fallback) to float rounding: every
    /// step's hidden state, the final cell, and the gradients of the layer's input and of
    /// both its weights through a real backward pass whose loss reads all of them. 70 rows:
    /// three chunks, the last one short.
    #[test]
    fn the_fast_layer_matches_burns_steps_and_their_gradients() {
        let device = Device::flex().autodiff();
        let lstm = FusedLstm::new(6, 5, &device);
        let x =
            Tensor::<3>::random([70, 4, 6], Distribution::Normal(0.0, 2.0), &device).require_grad();
        let (wh, wc) = (
            Tensor::<3>::random([70, 4, 5], Distribution::Default, &device),
            Tensor::<2>::random([70, 5], Distribution::Default, &device),
        );
        let run = |fast: bool| {
            let (hidden, state) = if fast {
                lstm.forward(x.clone(), None)
            } else {
                lstm.forward_step_by_step(x.clone(), None)
            };
            let loss =
                (hidden.clone() * wh.clone()).sum() + (state.cell.clone() * wc.clone()).sum();
            let grads = loss.backward();
            let [input_weight, recurrent_weight] = lstm.weights();
            [
                hidden.into_data(),
                state.hidden.into_data(),
                state.cell.into_data(),
                x.grad(&grads).unwrap().into_data(),
                input_weight.grad(&grads).unwrap().into_data(),
                recurrent_weight.grad(&grads).unwrap().into_data(),
            ]
        };
        let tolerance = burn::tensor::Tolerance::<f32>::rel_abs(1e-4, 1e-5);
        for (fast, burn) in run(true).iter().zip(&run(false)) {
            fast.assert_approx_eq::<f32>(burn, tolerance);
        }
    }

    /// Without autodiff (evaluation) the same forward pass runs, and gives burn's answers.
    #[test]
    fn without_autodiff_it_matches_burns_steps() {
        let device = Device::flex();
        let lstm = FusedLstm::new(6, 5, &device);
        let x = Tensor::<3>::random([70, 4, 6], Distribution::Normal(0.0, 2.0), &device);
        let (fast, fast_state) = lstm.forward(x.clone(), None);
        let (burn, burn_state) = lstm.forward_step_by_step(x, None);
        let tolerance = burn::tensor::Tolerance::<f32>::rel_abs(1e-4, 1e-5);
        fast.into_data()
            .assert_approx_eq::<f32>(&burn.into_data(), tolerance);
        let (fast, burn) = (fast_state.cell.into_data(), burn_state.cell.into_data());
        fast.assert_approx_eq::<f32>(&burn, tolerance);
    }
}
