//! `trainer bench`: training throughput and inference latency of the network on this
//! machine, with a breakdown of where a training step's time goes. Synthetic inputs: the
//! speed of the arithmetic does not depend on the pixels. `scripts/bench.sh` runs it beside
//! the same network in PyTorch (`bench/torch_same_net.py`), which times the same quantities
//! the same way.

use std::time::Instant;

use burn::module::Module;
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::train::TrainStep;
use digitseq_model::{DigitSeqConfig, IMAGE_SIDE};
use serde::Serialize;

use crate::sequences::SequenceBatch;
use crate::training::{self, TrainConfig, Trainee, sequence_loss};

#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub implementation: String,
    pub device: String,
    /// CPU threads burn's `flex` may use: rayon's pool (`RAYON_NUM_THREADS`, else all cores).
    pub threads: usize,
    /// Trainable parameters of the network.
    pub parameters: usize,
    pub batch: usize,
    pub length: usize,
    /// Untimed runs before each timed training measurement, and the timed runs (median).
    pub warmup: usize,
    pub runs: usize,
    pub infer_runs: usize,
    /// Full training steps (forward, backward, Adam update).
    pub train_sequences_per_second: f64,
    /// Share of a training step per part, measured separately (forward + backward each).
    pub cnn_ms: f64,
    pub lstm_ms: f64,
    pub step_ms: f64,
    /// Median latency of answering one sequence, every prefix included: (length, ms).
    pub inference_ms: Vec<(usize, f64)>,
}

/// How many runs of each measurement.
pub struct BenchCounts {
    /// Untimed training steps (and breakdown runs) before the timed ones.
    pub warmup: usize,
    /// Timed training steps (and breakdown runs); the median is reported.
    pub runs: usize,
    /// Timed inference runs per length (after 3 untimed ones).
    pub infer_runs: usize,
}

/// Upper median, `sorted[n / 2]` (bench/torch_same_net.py takes the same).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<F: FnMut()>(warmup: usize, runs: usize, mut f: F) -> f64 {
    for _ in 0..warmup {
        f();
    }
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

pub fn bench(
    device: &Device,
    description: &str,
    batch: usize,
    length: usize,
    counts: BenchCounts,
) -> BenchReport {
    let BenchCounts {
        warmup,
        runs,
        infer_runs,
    } = counts;
    let config = DigitSeqConfig::new();
    let train_device = device.clone().autodiff();
    let mut model = Trainee {
        net: config.init(&train_device),
        noise_rate: 0.0,
        only_digit: None,
    };
    let images = |d: &Device| {
        Tensor::<4>::random(
            [batch, length, IMAGE_SIDE, IMAGE_SIDE],
            Distribution::Uniform(0.0, 1.0),
            d,
        )
    };
    let targets =
        Tensor::<2, Int>::random([batch, 10], Distribution::Uniform(0.0, 2.0), &train_device);
    // Training's optimiser at its default learning rate (without the cosine schedule, which
    // costs nothing).
    let mut optim = training::optimizer().init();
    let learning_rate = TrainConfig::new(config.clone()).learning_rate;
    let parameters = model.net.num_params();

    // Inputs are drawn once, before the timing (as bench/torch_same_net.py does): the step is
    // timed, not the random number generator (ours, single-threaded, took ~5 ms a batch).
    let sequences = images(&train_device);
    let step_ms = time(warmup, runs, || {
        let batch = SequenceBatch {
            images: sequences.clone(),
            noisy: targets.clone(),
            clean: targets.clone(),
        };
        let out = TrainStep::step(&model, batch);
        model = model
            .clone()
            .optimize(&mut optim, learning_rate.into(), out.grads);
    });

    let net = &model.net;
    let digits = sequences.reshape([batch * length, IMAGE_SIDE, IMAGE_SIDE]);
    let cnn_ms = time(warmup, runs, || {
        let _ = net.digit_features(digits.clone()).sum().backward();
    });
    let features = Tensor::<3>::random(
        [batch, length, config.embed_dim],
        Distribution::Default,
        &train_device,
    );
    let lstm_ms = time(warmup, runs, || {
        let (logits, _) = net.read(features.clone(), None);
        let [b, t, d] = logits.dims();
        let last = logits.slice(s![.., t - 1..t, ..]).reshape([b, d]);
        let _ = sequence_loss(last, targets.clone(), 0.0).backward();
    });

    let inference_net = config.init(device);
    let inference_ms = [3, 10, 30]
        .into_iter()
        .map(|len| {
            let x = Tensor::<4>::random(
                [1, len, IMAGE_SIDE, IMAGE_SIDE],
                Distribution::Default,
                device,
            );
            let ms = time(3, infer_runs, || {
                let _ = inference_net.forward(x.clone()).into_data();
            });
            (len, ms)
        })
        .collect();

    BenchReport {
        implementation: "digitseq trainer, burn 0.22.1".into(),
        device: description.to_string(),
        threads: crate::device::cpu_threads(),
        parameters,
        batch,
        length,
        warmup,
        runs,
        infer_runs,
        train_sequences_per_second: batch as f64 / (step_ms / 1e3),
        cnn_ms,
        lstm_ms,
        step_ms,
        inference_ms,
    }
}
