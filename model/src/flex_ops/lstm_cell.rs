//! One LSTM step's gate arithmetic as two autodiff operations instead of about a dozen:
//! the new cell `c' = σ(f)·c + σ(i)·tanh(g)` and the new hidden state `h' = σ(o)·tanh(c')`,
//! from the pre-activation gates `[batch, 4·hidden]` (i, f, g, o) and the cell `[batch,
//! hidden]`. Two operations because burn's autodiff gives each operation one output.

use core::marker::PhantomData;

use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::prelude::*;
use burn::tensor::DType;

use super::{Training, TrainingTensor, tensor, values};

/// `(h', c')` on the fast path; `None` where it does not apply.
pub fn step(gates: &Tensor<2>, cell: &Tensor<2>) -> Option<(Tensor<2>, Tensor<2>)> {
    if gates.dtype() != DType::F32 || cell.dtype() != DType::F32 {
        return None;
    }
    let gates = gates.clone().try_into_primitive::<Training>().ok()?;
    let cell = cell.clone().try_into_primitive::<Training>().ok()?;
    let new_cell = apply::<NewCell>(gates.clone(), cell);
    let hidden = apply::<NewHidden>(gates, new_cell.clone());
    Some((
        Tensor::from_primitive::<Training>(hidden),
        Tensor::from_primitive::<Training>(new_cell),
    ))
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// tanh through one `exp`: several times faster than libm's `tanhf`, which took a fifth of
/// the LSTM's time; exact at ±∞ (`exp` overflows to ∞ → 1, underflows to 0 → −1) and within
/// 2e-7 (absolute) of it elsewhere (checked over [-20, 20] in f32).
fn tanh(x: f32) -> f32 {
    1.0 - 2.0 / ((2.0 * x).exp() + 1.0)
}

/// One of the two element-wise operations: its value and its gradients, row by row (a row
/// is one sequence of the batch: `4·hidden` gates, `hidden` cell values).
trait GateOp: core::fmt::Debug + Default + Send + 'static {
    /// Output values of one row.
    fn forward(gates: &[f32], cell: &[f32], out: &mut [f32]);
    /// Given the output's gradient `d`, writes the gates' (only those it reads; the others
    /// stay zero) and the cell's gradients.
    fn backward(gates: &[f32], cell: &[f32], d: &[f32], d_gates: &mut [f32], d_cell: &mut [f32]);
}

/// A [`GateOp`] as an autodiff operation.
#[derive(Debug, Default)]
struct Gate<Op>(PhantomData<Op>);

/// `c' = σ(f)·c + σ(i)·tanh(g)`.
#[derive(Debug, Default)]
struct NewCell;

impl GateOp for NewCell {
    fn forward(gates: &[f32], cell: &[f32], out: &mut [f32]) {
        let h = cell.len();
        let (i, f, g) = (&gates[..h], &gates[h..2 * h], &gates[2 * h..3 * h]);
        for j in 0..h {
            out[j] = sigmoid(f[j]) * cell[j] + sigmoid(i[j]) * tanh(g[j]);
        }
    }

    fn backward(gates: &[f32], cell: &[f32], d: &[f32], d_gates: &mut [f32], d_cell: &mut [f32]) {
        let h = cell.len();
        for j in 0..h {
            let (si, sf, tg) = (
                sigmoid(gates[j]),
                sigmoid(gates[h + j]),
                tanh(gates[2 * h + j]),
            );
            d_gates[j] = d[j] * tg * si * (1.0 - si);
            d_gates[h + j] = d[j] * cell[j] * sf * (1.0 - sf);
            d_gates[2 * h + j] = d[j] * si * (1.0 - tg * tg);
            d_cell[j] = d[j] * sf;
        }
    }
}

/// `h' = σ(o)·tanh(c')`; its "cell" input is the new cell.
#[derive(Debug, Default)]
struct NewHidden;

impl GateOp for NewHidden {
    fn forward(gates: &[f32], cell: &[f32], out: &mut [f32]) {
        let h = cell.len();
        for j in 0..h {
            out[j] = sigmoid(gates[3 * h + j]) * tanh(cell[j]);
        }
    }

    fn backward(gates: &[f32], cell: &[f32], d: &[f32], d_gates: &mut [f32], d_cell: &mut [f32]) {
        let h = cell.len();
        for j in 0..h {
            let (so, tc) = (sigmoid(gates[3 * h + j]), tanh(cell[j]));
            d_gates[3 * h + j] = d[j] * tc * so * (1.0 - so);
            d_cell[j] = d[j] * so * (1.0 - tc * tc);
        }
    }
}

/// Both operations' backward pass: row by row through [`GateOp::backward`].
impl<Op: GateOp> Backward<Flex, 2> for Gate<Op> {
    /// The gates and the cell the forward pass read.
    type State = (FlexTensor, FlexTensor);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_gates, node_cell] = ops.parents;
        let d = grads.consume::<Flex>(&ops.node);
        let (gates, cell) = ops.state;
        let (gate_values, cell_values, d) = (values(&gates), values(&cell), values(&d));
        let h = cell.layout().shape().dims::<2>()[1];
        let mut d_gates = vec![0.0; gate_values.len()];
        let mut d_cell = vec![0.0; cell_values.len()];
        for ((((g, c), d), dg), dc) in gate_values
            .chunks(4 * h)
            .zip(cell_values.chunks(h))
            .zip(d.chunks(h))
            .zip(d_gates.chunks_mut(4 * h))
            .zip(d_cell.chunks_mut(h))
        {
            Op::backward(g, c, d, dg, dc);
        }
        if let Some(node) = node_gates {
            let shape = gates.layout().shape().clone();
            grads.register::<Flex>(node.id, tensor(d_gates, shape));
        }
        if let Some(node) = node_cell {
            let shape = cell.layout().shape().clone();
            grads.register::<Flex>(node.id, tensor(d_cell, shape));
        }
    }
}

fn apply<Op: GateOp>(gates: TrainingTensor, cell: TrainingTensor) -> TrainingTensor {
    let prep = Gate::<Op>::default()
        .prepare::<NoCheckpointing>([gates.node(), cell.node()])
        .compute_bound()
        .stateful();
    let (gates, cell) = (gates.into_primitive(), cell.into_primitive());
    let shape = cell.layout().shape().clone();
    let h = shape.dims::<2>()[1];
    let (gate_values, cell_values) = (values(&gates), values(&cell));
    let mut out = vec![0.0; cell_values.len()];
    for ((g, c), o) in gate_values
        .chunks(4 * h)
        .zip(cell_values.chunks(h))
        .zip(out.chunks_mut(h))
    {
        Op::forward(g, c, o);
    }
    drop((gate_values, cell_values));
    let out = tensor(out, shape);
    match prep {
        OpsKind::Tracked(prep) => prep.finish((gates, cell), out),
        OpsKind::UnTracked(prep) => prep.finish(out),
    }
}

#[cfg(test)]
mod tests {
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use crate::lstm::burn_step;

    /// The fast step must be burn's arithmetic (lstm.rs's fallback) to float rounding: both
    /// outputs, and the gradients of the gates and the cell through a real backward pass
    /// whose loss reads both outputs (as the next step does).
    #[test]
    fn the_fast_step_matches_burns_and_its_gradients() {
        let device = Device::flex().autodiff();
        let gates =
            Tensor::<2>::random([5, 4 * 7], Distribution::Normal(0.0, 2.0), &device).require_grad();
        let cell =
            Tensor::<2>::random([5, 7], Distribution::Normal(0.0, 1.0), &device).require_grad();
        let (wh, wc) = (
            Tensor::<2>::random([5, 7], Distribution::Default, &device),
            Tensor::<2>::random([5, 7], Distribution::Default, &device),
        );
        let run = |fast: bool| {
            let (h, c) = if fast {
                super::step(&gates, &cell).expect("the fast path applies here")
            } else {
                burn_step(gates.clone(), cell.clone())
            };
            let grads =
                ((h.clone() * wh.clone()).sum() + (c.clone() * wc.clone()).sum()).backward();
            [
                h.into_data(),
                c.into_data(),
                gates.grad(&grads).unwrap().into_data(),
                cell.grad(&grads).unwrap().into_data(),
            ]
        };
        let tolerance = burn::tensor::Tolerance::<f32>::rel_abs(1e-4, 1e-5);
        for (fast, burn) in run(true).iter().zip(&run(false)) {
            fast.assert_approx_eq::<f32>(burn, tolerance);
        }
    }

    #[test]
    fn without_autodiff_it_does_not_apply() {
        let device = Device::flex();
        let gates = Tensor::<2>::zeros([1, 8], &device);
        let cell = Tensor::<2>::zeros([1, 2], &device);
        assert!(super::step(&gates, &cell).is_none());
    }
}
