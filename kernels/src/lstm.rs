//! A whole LSTM layer over a sequence, from the zero state, on plain slices: the forward pass
//! and backpropagation through time by hand (per step one product for the hidden state's
//! gradient, and at the end one product over every step for the recurrent weight's). The
//! batch is split into chunks of rows run in parallel: rows do not interact in an LSTM.
//!
//! Layouts (row-major): pre-activation gates `[batch, steps, 4·hidden]` (i, f, g, o), states
//! `[batch, steps, 2·hidden]` (each step's `h` then `c`), recurrent weight `[hidden, 4·hidden]`
//! (burn `Linear`'s).

use rayon::prelude::*;

use crate::products::{Strided, matmul, matmul_add};

/// Rows of the batch per parallel chunk. Fixed, not derived from the thread count, so the
/// weight gradient (summed chunk by chunk, in order) is the same on any machine.
const ROWS_PER_CHUNK: usize = 32;

#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub steps: usize,
    pub hidden: usize,
}

impl Sizes {
    /// Values per batch row of the gates and of the states.
    pub fn gates_len(self) -> usize {
        self.steps * 4 * self.hidden
    }
    pub fn states_len(self) -> usize {
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
pub fn forward(gates_in: &[f32], recurrent: &[f32], z: Sizes) -> (Vec<f32>, Vec<f32>) {
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
                matmul_add(
                    (rows, 4 * h, h),
                    Strided(&mut gates[t * 4 * h..], z.gates_len(), 1),
                    Strided(&states[(t - 1) * 2 * h..], z.states_len(), 1),
                    Strided(recurrent, 4 * h, 1),
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
pub fn backward(
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
