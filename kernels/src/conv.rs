//! A "valid" 2-D convolution (stride 1, no padding, no dilation, one group) and its gradients
//! on plain `f32` slices in NCHW layout, as im2row + one matrix product per chunk of samples;
//! optionally fused with ReLU and 2×2 max pooling, as the network's first two blocks.
//!
//! Why it exists: burn `flex` computes a convolution's weight gradient as another
//! convolution whose kernel is the whole output gradient (26×26 for our first layer) over
//! `batch` channels, which took ~70% of a training step. As im2row + gemm every gradient is
//! one well-shaped matrix product. Samples are split into chunks run in parallel (rayon);
//! each chunk's products run single-threaded in `gemm`, and the weight and bias gradients of
//! the chunks are summed at the end. (Direct loops for the first layer's single input
//! channel were tried: 2 ms faster forward, 5 ms slower weight gradient.)
//!
//! (Long with its tests: ~260 lines of kernel, the rest checks it against the definition.)

use rayon::prelude::*;

use crate::layouts::{
    im2row, row2im, to_channel_first, to_channel_last, weight_from_patch_order,
    weight_to_patch_order,
};
use crate::pooling::{NO_WINNER, Pooled, relu_pool, unpool_grad};
use crate::products::{Strided, matmul};
pub use crate::shape::ConvShape;

/// Gradients of one convolution.
pub struct ConvGrads {
    /// `None` unless asked for (the network's input needs none).
    pub x: Option<Vec<f32>>,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// Output of the convolution, `[batch, c_out, out_h, out_w]`.
pub fn forward(x: &[f32], weight: &[f32], bias: &[f32], s: ConvShape) -> Vec<f32> {
    assert_eq!(bias.len(), s.c_out);
    let mut out = vec![0.0; s.batch * s.output_len()];
    let chunk = s.chunk();
    conv_rows(
        x,
        weight,
        s,
        out.par_chunks_mut(chunk * s.output_len()),
        |rows, out| {
            to_channel_first(rows, s.c_out, s.positions(), out);
            for (plane, &b) in out.chunks_mut(s.positions()).zip(bias.iter().cycle()) {
                plane.iter_mut().for_each(|v| *v += b);
            }
        },
    );
    out
}

/// `max_pool_2×2(relu(conv(x)))`, as the network's first two blocks: see [`Pooled`].
pub fn forward_relu_pool(x: &[f32], weight: &[f32], bias: &[f32], s: ConvShape) -> Pooled {
    assert_eq!(bias.len(), s.c_out);
    let len = s.batch * s.pooled_len();
    let (mut values, mut winners) = (vec![0.0; len], vec![NO_WINNER; len]);
    let chunk = s.chunk();
    let outputs = values
        .par_chunks_mut(chunk * s.pooled_len())
        .zip(winners.par_chunks_mut(chunk * s.pooled_len()));
    conv_rows(x, weight, s, outputs, |rows, (values, winners)| {
        relu_pool(rows, bias, s, values, winners)
    });
    Pooled { values, winners }
}

/// The convolution chunk by chunk: each chunk's result as `rows[samples · p, c_out]` (no
/// bias yet; row `i·p + oy·out_w + ox` holds every channel of output position (oy, ox) of
/// sample i), with that chunk's share of the outputs, to `emit`.
fn conv_rows<O: Send>(
    x: &[f32],
    weight: &[f32],
    s: ConvShape,
    outputs: impl IndexedParallelIterator<Item = O>,
    emit: impl Fn(&[f32], O) + Sync,
) {
    check(x, weight, s);
    let (p, k) = (s.positions(), s.patch());
    let weight = &weight_to_patch_order(weight, s);
    x.par_chunks(s.chunk() * s.input_len())
        .zip(outputs)
        .for_each_init(
            || (Vec::new(), Vec::new(), Vec::new()),
            |(pixels, patches, out_rows), (x, out)| {
                let samples = x.len() / s.input_len();
                let rows = samples * p;
                out_rows.resize(rows * s.c_out, 0.0);
                im2row(x, s, samples, pixels, patches);
                // out_rows[rows, c_out] = patches[rows, k] · weight[c_out, k]ᵀ: one product
                // for the whole chunk. Channel-last: gemm writes a row-major result 1.4–2.8×
                // faster than a transposed one here (planes, [c_out, rows]), and pooling then
                // reads each position's channels contiguously.
                matmul(
                    (rows, s.c_out, k),
                    Strided(out_rows, s.c_out, 1),
                    Strided(patches, k, 1),
                    Strided(weight, 1, k),
                );
                emit(out_rows, out);
            },
        );
}

/// The gradient arriving at the convolution's output.
#[derive(Clone, Copy)]
pub enum OutputGrad<'a> {
    /// Of the output itself, `[batch, c_out, out_h, out_w]`.
    Dense(&'a [f32]),
    /// Of [`forward_relu_pool`]'s values, with its winners: each goes to the position that
    /// won its window, none where nothing was above zero.
    Pooled { grad: &'a [f32], winners: &'a [u8] },
}

impl OutputGrad<'_> {
    /// Values per sample.
    fn sample_len(&self, s: ConvShape) -> usize {
        match self {
            OutputGrad::Dense(_) => s.output_len(),
            OutputGrad::Pooled { .. } => s.pooled_len(),
        }
    }
}

/// Whether [`backward`] computes the input's gradient (the network's input needs none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputGrad {
    Wanted,
    NotWanted,
}

/// Gradients of the convolution given its output's gradient.
pub fn backward(
    x: &[f32],
    weight: &[f32],
    grad: OutputGrad,
    s: ConvShape,
    input_grad: InputGrad,
) -> ConvGrads {
    check(x, weight, s);
    let chunk = s.chunk();
    let mut dx = (input_grad == InputGrad::Wanted).then(|| vec![0.0; x.len()]);
    let per_sample = grad.sample_len(s);
    match grad {
        OutputGrad::Dense(g) => assert_eq!(g.len(), s.batch * per_sample),
        OutputGrad::Pooled { grad, winners } => {
            assert_eq!(grad.len(), s.batch * per_sample);
            assert_eq!(winners.len(), grad.len());
        }
    }
    // The output gradient of the chunk of samples number `index`.
    let chunk_grads = move |index: usize| {
        let range = index * chunk * per_sample..((index + 1) * chunk).min(s.batch) * per_sample;
        match grad {
            OutputGrad::Dense(g) => OutputGrad::Dense(&g[range]),
            OutputGrad::Pooled { grad, winners } => OutputGrad::Pooled {
                grad: &grad[range.clone()],
                winners: &winners[range],
            },
        }
    };
    let chunks = x
        .par_chunks(chunk * s.input_len())
        .enumerate()
        .map(move |(index, x)| (x, chunk_grads(index)));
    let (dw, db) = match dx.as_deref_mut() {
        Some(dx) => sum_chunks(
            chunks
                .zip(dx.par_chunks_mut(chunk * s.input_len()))
                .map(|(xg, dx)| (xg, Some(dx))),
            weight,
            s,
        ),
        None => sum_chunks(chunks.map(|xg| (xg, None)), weight, s),
    };
    ConvGrads {
        x: dx,
        weight: dw,
        bias: db,
    }
}

/// Runs every chunk's gradients (writing its input gradient, if any, in place) and sums
/// their weight and bias gradients.
fn sum_chunks<'a>(
    chunks: impl IndexedParallelIterator<Item = ((&'a [f32], OutputGrad<'a>), Option<&'a mut [f32]>)>,
    weight: &[f32],
    s: ConvShape,
) -> (Vec<f32>, Vec<f32>) {
    let (p, k) = (s.positions(), s.patch());
    let weight = &weight_to_patch_order(weight, s);
    let per_chunk: Vec<(Vec<f32>, Vec<f32>)> = chunks
        .map_init(
            || (Vec::new(), Vec::new(), Vec::new()),
            |(pixels, patches, g_rows), ((x, g), dx)| {
                let samples = x.len() / s.input_len();
                let rows = samples * p;
                output_grad_rows(g, s, samples, g_rows);
                // Summed row by row, all channels at once: vectorised, and in a fixed order.
                let mut db = vec![0.0; s.c_out];
                for row in g_rows.chunks_exact(s.c_out) {
                    db.iter_mut().zip(row).for_each(|(d, g)| *d += g);
                }
                im2row(x, s, samples, pixels, patches);
                // dw[c_out, k] = g_rows[rows, c_out]ᵀ · patches[rows, k]
                let mut dw = vec![0.0; s.weight_len()];
                matmul(
                    (s.c_out, k, rows),
                    Strided(&mut dw, k, 1),
                    Strided(g_rows, 1, s.c_out),
                    Strided(patches, k, 1),
                );
                if let Some(dx) = dx {
                    // d patches[rows, k] = g_rows[rows, c_out] · weight[c_out, k]
                    matmul(
                        (rows, k, s.c_out),
                        Strided(patches, k, 1),
                        Strided(g_rows, s.c_out, 1),
                        Strided(weight, k, 1),
                    );
                    row2im(patches, s, samples, pixels, dx);
                }
                (dw, db)
            },
        )
        .collect();
    // Summed in chunk order, not in whatever order rayon's threads finished: the same
    // inputs give the same gradients to the last bit, on any number of threads.
    let mut sums = (vec![0.0; s.weight_len()], vec![0.0; s.c_out]);
    for (dw, db) in per_chunk {
        sums.0.iter_mut().zip(&dw).for_each(|(a, b)| *a += b);
        sums.1.iter_mut().zip(&db).for_each(|(a, b)| *a += b);
    }
    (weight_from_patch_order(&sums.0, s), sums.1)
}

/// A chunk's output gradient as one `[samples · p, c_out]` matrix, channel-last like the
/// forward pass's product: the layout the weight and input gradients' products read.
fn output_grad_rows(grad: OutputGrad, s: ConvShape, samples: usize, g_rows: &mut Vec<f32>) {
    // Every value is overwritten, except where pooling dropped an odd last row or column.
    g_rows.resize(samples * s.positions() * s.c_out, 0.0);
    match grad {
        OutputGrad::Dense(g) => to_channel_last(g, s.c_out, s.positions(), g_rows),
        OutputGrad::Pooled { grad, winners } => unpool_grad(grad, winners, s, g_rows),
    }
}

fn check(x: &[f32], weight: &[f32], s: ConvShape) {
    assert!(
        s.kh <= s.h && s.kw <= s.w,
        "kernel larger than the image: {s:?}"
    );
    assert_eq!(
        x.len(),
        s.batch * s.input_len(),
        "input does not match {s:?}"
    );
    assert_eq!(weight.len(), s.weight_len(), "weight does not match {s:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, one output at a time.
    fn naive_forward(x: &[f32], w: &[f32], b: &[f32], s: ConvShape) -> Vec<f32> {
        let (oh, ow) = (s.out_h(), s.out_w());
        let mut out = vec![0.0; s.batch * s.c_out * oh * ow];
        for n in 0..s.batch {
            for o in 0..s.c_out {
                for y in 0..oh {
                    for x0 in 0..ow {
                        let mut acc = b[o];
                        for c in 0..s.c_in {
                            for ky in 0..s.kh {
                                for kx in 0..s.kw {
                                    acc += w[((o * s.c_in + c) * s.kh + ky) * s.kw + kx]
                                        * x[((n * s.c_in + c) * s.h + y + ky) * s.w + x0 + kx];
                                }
                            }
                        }
                        out[((n * s.c_out + o) * oh + y) * ow + x0] = acc;
                    }
                }
            }
        }
        out
    }

    /// Deterministic values in [-1, 1).
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn close(a: &[f32], b: &[f32], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-3 * (1.0 + y.abs()),
                "{what}[{i}]: {x} vs {y}"
            );
        }
    }

    const SHAPES: [ConvShape; 3] = [
        // Our three layers' geometry at small batches, one of them not a multiple of a chunk.
        ConvShape {
            batch: 3,
            c_in: 1,
            h: 28,
            w: 28,
            c_out: 4,
            kh: 3,
            kw: 3,
        },
        ConvShape {
            batch: 70,
            c_in: 5,
            h: 13,
            w: 11,
            c_out: 6,
            kh: 3,
            kw: 3,
        },
        ConvShape {
            batch: 2,
            c_in: 3,
            h: 5,
            w: 6,
            c_out: 2,
            kh: 2,
            kw: 3,
        },
    ];

    #[test]
    fn forward_matches_the_definition() {
        for (i, s) in SHAPES.into_iter().enumerate() {
            let x = values(s.batch * s.input_len(), i as u32);
            let w = values(s.weight_len(), 10 + i as u32);
            let b = values(s.c_out, 20 + i as u32);
            close(
                &forward(&x, &w, &b, s),
                &naive_forward(&x, &w, &b, s),
                "forward",
            );
        }
    }

    /// The gradients by their definition: every output value o[n, c_out, y, x] =
    /// Σ w·x + b sends its gradient g back to each weight and input value it read.
    fn naive_backward(x: &[f32], w: &[f32], g: &[f32], s: ConvShape) -> ConvGrads {
        let (oh, ow) = (s.out_h(), s.out_w());
        let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; w.len()], vec![0.0; s.c_out]);
        for n in 0..s.batch {
            for o in 0..s.c_out {
                for y in 0..oh {
                    for x0 in 0..ow {
                        let go = g[((n * s.c_out + o) * oh + y) * ow + x0];
                        db[o] += go;
                        for c in 0..s.c_in {
                            for ky in 0..s.kh {
                                for kx in 0..s.kw {
                                    let wi = ((o * s.c_in + c) * s.kh + ky) * s.kw + kx;
                                    let xi = ((n * s.c_in + c) * s.h + y + ky) * s.w + x0 + kx;
                                    dw[wi] += go * x[xi];
                                    dx[xi] += go * w[wi];
                                }
                            }
                        }
                    }
                }
            }
        }
        ConvGrads {
            x: Some(dx),
            weight: dw,
            bias: db,
        }
    }

    #[test]
    fn gradients_match_the_definition() {
        for (i, s) in SHAPES.into_iter().enumerate() {
            let x = values(s.batch * s.input_len(), i as u32);
            let w = values(s.weight_len(), 10 + i as u32);
            let g = values(s.batch * s.output_len(), 30 + i as u32);
            let expected = naive_backward(&x, &w, &g, s);
            let grads = backward(&x, &w, OutputGrad::Dense(&g), s, InputGrad::Wanted);
            close(&grads.weight, &expected.weight, "weight");
            close(&grads.bias, &expected.bias, "bias");
            close(
                grads.x.as_deref().unwrap(),
                expected.x.as_deref().unwrap(),
                "x",
            );
            // Without the input's gradient, as for the network's first layer.
            let grads = backward(&x, &w, OutputGrad::Dense(&g), s, InputGrad::NotWanted);
            assert!(grads.x.is_none());
            close(&grads.weight, &expected.weight, "weight without x");
            close(&grads.bias, &expected.bias, "bias without x");
        }
    }

    /// Pooled forward and backward against the definition: max over each 2×2 window of
    /// relu(conv), and the pooled gradient equal to the dense one that is the pooled value's
    /// gradient at its window's winner and zero elsewhere.
    #[test]
    fn the_pooled_block_matches_the_definition() {
        for (i, s) in SHAPES.into_iter().enumerate() {
            let x = values(s.batch * s.input_len(), i as u32);
            let w = values(s.weight_len(), 10 + i as u32);
            let b = values(s.c_out, 20 + i as u32);
            let dense = naive_forward(&x, &w, &b, s);
            let (oh, ow, ph, pw) = (s.out_h(), s.out_w(), s.pooled_h(), s.pooled_w());
            let pooled = forward_relu_pool(&x, &w, &b, s);
            let g = values(pooled.values.len(), 30 + i as u32);
            let mut g_dense = vec![0.0; dense.len()];
            for plane in 0..s.batch * s.c_out {
                for y in 0..ph {
                    for x0 in 0..pw {
                        let at = |dy: usize, dx: usize| {
                            plane * oh * ow + (2 * y + dy) * ow + 2 * x0 + dx
                        };
                        let window = [at(0, 0), at(0, 1), at(1, 0), at(1, 1)];
                        let best = window.iter().map(|&j| dense[j]).fold(0.0f32, f32::max);
                        let j = (plane * ph + y) * pw + x0;
                        let (n, c) = (plane / s.c_out, plane % s.c_out);
                        let won = pooled.winners[((n * ph + y) * pw + x0) * s.c_out + c];
                        assert!((pooled.values[j] - best).abs() < 1e-4, "pooled value {j}");
                        if best > 0.0 {
                            let winner = window[won as usize];
                            assert_eq!(dense[winner], best, "winner of {j}");
                            g_dense[winner] = g[j];
                        } else {
                            assert_eq!(won, NO_WINNER);
                        }
                    }
                }
            }
            let grad = OutputGrad::Pooled {
                grad: &g,
                winners: &pooled.winners,
            };
            let got = backward(&x, &w, grad, s, InputGrad::Wanted);
            let expected = naive_backward(&x, &w, &g_dense, s);
            close(&got.weight, &expected.weight, "weight");
            close(&got.bias, &expected.bias, "bias");
            close(
                got.x.as_deref().unwrap(),
                expected.x.as_deref().unwrap(),
                "x",
            );
            let got = backward(&x, &w, grad, s, InputGrad::NotWanted);
            close(&got.weight, &expected.weight, "weight without x");
        }
    }

    /// Gradients do not depend on how the work was split between threads: the chunks' sums
    /// are added in order. Run on pools of 1, 2 and 3 threads, bit for bit the same.
    #[test]
    fn gradients_are_the_same_whatever_the_threads() {
        let s = SHAPES[1];
        let x = values(s.batch * s.input_len(), 1);
        let w = values(s.weight_len(), 11);
        let g = values(s.batch * s.output_len(), 31);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| backward(&x, &w, OutputGrad::Dense(&g), s, InputGrad::Wanted))
        };
        let one = run(1);
        for threads in [2, 3] {
            let other = run(threads);
            assert_eq!(one.weight, other.weight, "{threads} threads");
            assert_eq!(one.bias, other.bias, "{threads} threads");
            assert_eq!(one.x, other.x, "{threads} threads");
        }
    }
}
