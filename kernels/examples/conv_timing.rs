//! Times the training convolution kernels (src/conv.rs) layer by layer, at the
//! benchmark's batch of 64 sequences × 10 digits, forward and backward, median of 15:
//!
//!     cargo run --release -p digitseq-kernels --example conv_timing
//!
//! What `trainer bench` reports as one "CNN" figure, taken apart; random inputs.
use digitseq_kernels::conv::{self as conv_kernel, ConvShape, InputGrad, OutputGrad};
use std::time::Instant;

fn main() {
    let layers = [
        (
            "conv1",
            ConvShape {
                batch: 640,
                c_in: 1,
                h: 28,
                w: 28,
                c_out: 16,
                kh: 3,
                kw: 3,
            },
            true,
            InputGrad::NotWanted,
        ),
        (
            "conv2",
            ConvShape {
                batch: 640,
                c_in: 16,
                h: 13,
                w: 13,
                c_out: 32,
                kh: 3,
                kw: 3,
            },
            true,
            InputGrad::Wanted,
        ),
        (
            "conv3",
            ConvShape {
                batch: 640,
                c_in: 32,
                h: 5,
                w: 5,
                c_out: 64,
                kh: 3,
                kw: 3,
            },
            false,
            InputGrad::Wanted,
        ),
    ];
    let mut seed = 1u32;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed as f32 / u32::MAX as f32) - 0.5
    };
    // An argument (`conv1`, …) times that layer alone, e.g. under a profiler.
    let only = std::env::args().nth(1);
    for (name, s, pooled, want_x) in layers {
        if only.as_ref().is_some_and(|only| only != name) {
            continue;
        }
        let x: Vec<f32> = (0..s.batch * s.c_in * s.h * s.w).map(|_| rnd()).collect();
        let w: Vec<f32> = (0..s.weight_len()).map(|_| rnd()).collect();
        let b: Vec<f32> = (0..s.c_out).map(|_| rnd()).collect();
        let time = |f: &mut dyn FnMut()| {
            f();
            let mut t: Vec<f64> = (0..15)
                .map(|_| {
                    let start = Instant::now();
                    f();
                    start.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            t.sort_by(f64::total_cmp);
            t[7]
        };
        if pooled {
            let p = conv_kernel::forward_relu_pool(&x, &w, &b, s);
            let g: Vec<f32> = (0..p.values.len()).map(|_| rnd()).collect();
            let fwd = time(&mut || {
                std::hint::black_box(conv_kernel::forward_relu_pool(&x, &w, &b, s));
            });
            let bwd = time(&mut || {
                let grad = OutputGrad::Pooled {
                    grad: &g,
                    winners: &p.winners,
                };
                std::hint::black_box(conv_kernel::backward(&x, &w, grad, s, want_x));
            });
            println!("{name}: forward {fwd:.1} ms, backward {bwd:.1} ms");
        } else {
            let out = conv_kernel::forward(&x, &w, &b, s);
            let g: Vec<f32> = (0..out.len()).map(|_| rnd()).collect();
            let fwd = time(&mut || {
                std::hint::black_box(conv_kernel::forward(&x, &w, &b, s));
            });
            let bwd = time(&mut || {
                std::hint::black_box(conv_kernel::backward(
                    &x,
                    &w,
                    OutputGrad::Dense(&g),
                    s,
                    want_x,
                ));
            });
            println!("{name}: forward {fwd:.1} ms, backward {bwd:.1} ms");
        }
    }
}
