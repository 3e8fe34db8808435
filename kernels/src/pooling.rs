//! ReLU + 2×2 max pooling fused onto a convolution's output rows, and its gradient: each
//! pooled value remembers which of its window's four positions won.

use crate::layouts::to_channel_last;
use crate::shape::ConvShape;

/// Marks a pooled value whose window had nothing above zero: ReLU passes no gradient.
pub const NO_WINNER: u8 = u8::MAX;

/// `max_pool_2×2(relu(conv(x)))`, as the network's first two blocks: the values,
/// `[batch, c_out, out_h / 2, out_w / 2]` (an odd last row or column is dropped, as burn's
/// and PyTorch's floor mode), and for each which of its window's four positions (row-major)
/// won, or [`NO_WINNER`]: all the backward pass needs to know. The winners are
/// channel-last, `[batch, out_h / 2, out_w / 2, c_out]`, the order both passes read them in.
pub struct Pooled {
    pub values: Vec<f32>,
    pub winners: Vec<u8>,
}

/// A chunk's `rows[samples · p, c_out]` plus the bias → ReLU → 2×2 max pool: the values
/// (channel-first, `[samples, c_out, ph, pw]`) and the winners (channel-last).
pub fn relu_pool(rows: &[f32], bias: &[f32], s: ConvShape, values: &mut [f32], winners: &mut [u8]) {
    let (p, ph, pw) = (s.positions(), s.pooled_h(), s.pooled_w());
    let mut pooled = vec![0.0; s.c_out];
    let samples = rows
        .chunks(p * s.c_out)
        .zip(values.chunks_mut(s.pooled_len()))
        .zip(winners.chunks_mut(s.pooled_len()));
    for ((sample, values), winners) in samples {
        for py in 0..ph {
            for px in 0..pw {
                let [a, b, c, d] = s
                    .window(py, px)
                    .map(|pos| &sample[pos * s.c_out..][..s.c_out]);
                let winners = &mut winners[(py * pw + px) * s.c_out..][..s.c_out];
                // Channels side by side (vectorised), then spread to their planes.
                for ch in 0..s.c_out {
                    let bias = bias[ch];
                    (pooled[ch], winners[ch]) =
                        relu_max4([a[ch] + bias, b[ch] + bias, c[ch] + bias, d[ch] + bias]);
                }
                for (ch, &v) in pooled.iter().enumerate() {
                    values[(ch * ph + py) * pw + px] = v;
                }
            }
        }
    }
}

/// `max(0, v…)` and the index of the first of the four values that reaches it, or
/// [`NO_WINNER`] if none is above zero. Branch-free (selects, not jumps): which of a window's
/// values wins is unpredictable, and mispredicted branches made pooling a tenth of a step.
#[inline(always)]
fn relu_max4(v: [f32; 4]) -> (f32, u8) {
    let (top, top_won) = if v[1] > v[0] { (v[1], 1) } else { (v[0], 0) };
    let (bottom, bottom_won) = if v[3] > v[2] { (v[3], 3) } else { (v[2], 2) };
    let (best, won) = if bottom > top {
        (bottom, bottom_won)
    } else {
        (top, top_won)
    };
    if best > 0.0 {
        (best, won)
    } else {
        (0.0, NO_WINNER)
    }
}

/// Spreads the pooled values' gradient `grad` (channel-first) onto the chunk's dense output
/// rows `g_rows[samples · p, c_out]` (channel-last): each value to the position that won its
/// window, zero at the other three.
pub fn unpool_grad(grad: &[f32], winners: &[u8], s: ConvShape, g_rows: &mut [f32]) {
    let (p, ph, pw) = (s.positions(), s.pooled_h(), s.pooled_w());
    let sample_rows = p * s.c_out;
    if s.out_h() % 2 == 1 || s.out_w() % 2 == 1 {
        g_rows.fill(0.0);
    }
    // The gradient channel-last, as the winners are.
    let mut grad_t = vec![0.0; grad.len()];
    to_channel_last(grad, s.c_out, ph * pw, &mut grad_t);
    let samples = grad_t
        .chunks(s.pooled_len())
        .zip(winners.chunks(s.pooled_len()))
        .zip(g_rows.chunks_mut(sample_rows));
    for ((grad, winners), rows) in samples {
        let pooled = grad.chunks(s.c_out).zip(winners.chunks(s.c_out));
        for ((grad, winners), (py, px)) in
            pooled.zip((0..ph).flat_map(|py| (0..pw).map(move |px| (py, px))))
        {
            // All four written, the winner's gradient or zero: no branch.
            for (w, pos) in s.window(py, px).into_iter().enumerate() {
                let row = &mut rows[pos * s.c_out..][..s.c_out];
                for ((r, &g), &won) in row.iter_mut().zip(grad).zip(winners) {
                    *r = if won == w as u8 { g } else { 0.0 };
                }
            }
        }
    }
}
