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

use crate::cli::BenchArgs;
use crate::device;
use crate::files::write_atomically;
use crate::gradients::{self, GradientCheck};
use crate::sequences::SequenceBatch;
use crate::training::{TrainConfig, Trainee, sequence_loss};

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
    /// What a GPU pays for whatever its speed (wgpu with `--count-dispatches` only): kernels
    /// launched per training step and per answer of one sequence of 10 digits (steady state,
    /// after the warm-up's compilation and autotuning).
    pub kernels_per_step: Option<f64>,
    /// The step's kernels by name, most launched first.
    pub kernels_per_step_by_name: Vec<(String, f64)>,
    /// Kernels of the CNN's and the LSTM's forward + backward alone (as `cnn_ms`, `lstm_ms`).
    pub kernels_cnn: Option<f64>,
    pub kernels_lstm: Option<f64>,
    pub kernels_per_inference: Option<f64>,
    /// Growth of the device memory pool per timed training step (0: every buffer reused).
    pub pool_growth_bytes_per_step: Option<f64>,
    /// One training step's loss and gradients against the CPU's (`--check-gradients`).
    pub gradients_against_cpu: Option<GradientCheck>,
}

/// How many runs of each measurement.
pub struct BenchCounts {
    /// Count kernel launches (needs `dispatches::start` before the device was created).
    pub count_dispatches: bool,
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

/// `trainer bench`: the benchmark on the device asked for, printed (and written) as JSON.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if args.count_dispatches {
        crate::dispatches::start()?;
    }
    let selected = device::select(args.device)?;
    anyhow::ensure!(
        !args.count_dispatches || selected.description.starts_with("wgpu"),
        "--count-dispatches counts wgpu kernels; the benchmark runs on {}",
        selected.description
    );
    let counts = BenchCounts {
        count_dispatches: args.count_dispatches,
        warmup: args.warmup,
        runs: args.runs,
        infer_runs: args.infer_runs.unwrap_or(args.runs.max(20)),
    };
    let mut report = bench(
        &selected.device,
        &selected.description,
        args.batch,
        args.length,
        counts,
    );
    if args.check_gradients {
        let check = check_gradients(&selected.device, args.batch, args.length);
        if !check.agrees {
            eprintln!(
                "gradients on {} differ from the CPU's: {check:?}",
                selected.description
            );
        }
        report.gradients_against_cpu = Some(check);
    }
    let text = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &args.json {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        write_atomically(path, text.as_bytes())?;
    }
    println!("{text}");
    Ok(())
}

pub fn bench(
    device: &Device,
    description: &str,
    batch: usize,
    length: usize,
    counts: BenchCounts,
) -> BenchReport {
    let BenchCounts {
        count_dispatches,
        warmup,
        runs,
        infer_runs,
    } = counts;
    // GPU work is queued: a figure means something only once the device has finished it.
    let sync = || device.sync().expect("device lost during the benchmark");
    let launched = || count_dispatches.then(crate::dispatches::launched);
    let reserved = || device.memory_pool_usage().map(|u| u.bytes_reserved);
    // The reference's layout, without the feature norm: the network bench/torch_same_net.py
    // builds in PyTorch.
    let config = DigitSeqConfig::new().with_feature_norm(false);
    let train_device = device.clone().autodiff();
    let mut model = Trainee {
        net: config.init(&train_device),
        noise_rate: 0.0,
        only_digit: None,
        // The last step, as bench/torch_same_net.py trains.
        every_step: false,
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
    let mut optim = crate::optimizer::optimizer();
    let learning_rate = TrainConfig::new(config.clone()).learning_rate;
    let parameters = model.net.num_params();

    // Inputs are drawn once, before the timing (as bench/torch_same_net.py does): the step is
    // timed, not the random number generator (ours, single-threaded, took ~5 ms a batch).
    let sequences = images(&train_device);
    let mut step = || {
        let batch = SequenceBatch {
            images: sequences.clone(),
            noisy: targets.clone(),
            clean: targets.clone(),
            running: None,
        };
        let out = TrainStep::step(&model, batch);
        model = model
            .clone()
            .optimize(&mut optim, learning_rate.into(), out.grads);
        sync();
    };
    for _ in 0..warmup {
        step();
    }
    let (kernels_before, pool_before) = (launched(), reserved());
    let names_before = crate::dispatches::by_name();
    let step_ms = time(0, runs, &mut step);
    let per_run = |runs: usize, before: Option<u64>, after: Option<u64>| {
        Some((after? as f64 - before? as f64) / runs as f64)
    };
    let kernels_per_step = per_run(runs, kernels_before, launched());
    let pool_growth_bytes_per_step = per_run(runs, pool_before, reserved());
    let mut kernels_per_step_by_name: Vec<(String, f64)> = crate::dispatches::by_name()
        .into_iter()
        .map(|(name, n)| {
            let before = names_before.get(&name).copied().unwrap_or(0);
            (name, (n - before) as f64 / runs as f64)
        })
        .filter(|(_, n)| *n > 0.0)
        .collect();
    kernels_per_step_by_name.sort_by(|a, b| b.1.total_cmp(&a.1));

    let net = &model.net;
    let digits = sequences.reshape([batch * length, IMAGE_SIDE, IMAGE_SIDE]);
    let before = launched();
    let cnn_ms = time(warmup, runs, || {
        let _ = net.digit_features(digits.clone()).sum().backward();
        sync();
    });
    let kernels_cnn = per_run(warmup + runs, before, launched());
    let features = Tensor::<3>::random(
        [batch, length, config.embed_dim],
        Distribution::Default,
        &train_device,
    );
    let before = launched();
    let lstm_ms = time(warmup, runs, || {
        let (logits, _) = net.read(features.clone(), None);
        let [b, t, d] = logits.dims();
        let last = logits.slice(s![.., t - 1..t, ..]).reshape([b, d]);
        let _ = sequence_loss(last, targets.clone(), 0.0).backward();
        sync();
    });
    let kernels_lstm = per_run(warmup + runs, before, launched());

    let inference_net = config.init(device);
    let mut kernels_per_inference = None;
    let inference_ms = [3, 10, 30]
        .into_iter()
        .map(|len| {
            let x = Tensor::<4>::random(
                [1, len, IMAGE_SIDE, IMAGE_SIDE],
                Distribution::Default,
                device,
            );
            let answer = || {
                let _ = inference_net.forward(x.clone()).into_data();
            };
            let ms = time(3, infer_runs, &answer);
            if len == 10 {
                let before = launched();
                answer();
                kernels_per_inference = before.zip(launched()).map(|(b, a)| (a - b) as f64);
            }
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
        kernels_per_step,
        kernels_per_step_by_name,
        kernels_cnn,
        kernels_lstm,
        kernels_per_inference,
        pool_growth_bytes_per_step,
        gradients_against_cpu: None,
    }
}

/// One training step of the trainer's network (feature norm on, random weights and batch of
/// `batch` × `length`) on `device` against the same on flex.
pub fn check_gradients(device: &Device, batch: usize, length: usize) -> GradientCheck {
    let cpu = Device::flex();
    let config = DigitSeqConfig::new().with_feature_norm(true);
    let net = config.init(&cpu);
    let pixels = Tensor::<4>::random(
        [batch, length, IMAGE_SIDE, IMAGE_SIDE],
        Distribution::Uniform(0.0, 1.0),
        &cpu,
    )
    .into_data();
    let targets =
        Tensor::<2, Int>::random([batch, 10], Distribution::Uniform(0.0, 2.0), &cpu).into_data();
    let (cpu_loss, cpu_grads) = gradients::one_step(&net, &config, &cpu, &pixels, &targets);
    let (loss, grads) = gradients::one_step(&net, &config, device, &pixels, &targets);
    gradients::compare((cpu_loss, &cpu_grads), (loss, &grads))
}
