//! `trainer`: MNIST → random digit sequences → CNN+LSTM trained with burn → metrics, plots,
//! and the weights the page loads.

mod augment;
mod bench;
mod device;
mod dispatches;
mod evaluate;
mod export;
mod fetch;
mod files;
#[cfg(test)]
mod fuzz_tests;
mod mnist;
mod progress;
mod report;
mod sequences;
mod training;
#[cfg(test)]
mod wgpu_tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use digitseq_model::DigitSeqConfig;
use digitseq_model::samples::{SAMPLES_FILE, Samples};

use augment::AugmentSpec;
use device::DeviceChoice;
use mnist::{Digits, Split};
use sequences::{LengthSpec, SequenceSet};
use training::{TrainConfig, TrainingDigits};

#[derive(Parser)]
#[command(
    name = "trainer",
    about = "Train the digit-sequence CNN+LSTM on MNIST and export it for the page.\n\
             Without a subcommand it trains (see `trainer train --help`).",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    train: TrainArgs,
}

impl Cli {
    /// The device the command runs on (the ones that take no `--device` run on the CPU).
    fn device(&self) -> DeviceChoice {
        match &self.command {
            None => self.train.device,
            Some(Command::Train(args) | Command::Sweep { train: args }) => args.device,
            Some(Command::Eval { device, .. } | Command::Bench { device, .. }) => *device,
            Some(Command::Fetch { .. } | Command::Samples { .. } | Command::Predict { .. }) => {
                DeviceChoice::Cpu
            }
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Train, evaluate on the fixed test set, write the run's reports, export the weights.
    Train(TrainArgs),
    /// Download MNIST into the data directory (verified; files already valid are kept).
    Fetch {
        #[arg(long, default_value = "data/mnist")]
        data_dir: PathBuf,
    },
    /// Evaluate exported weights on the fixed test set.
    Eval {
        #[arg(long, default_value = "www")]
        weights_dir: PathBuf,
        #[arg(long, default_value = "data/mnist")]
        data_dir: PathBuf,
        #[arg(long, value_enum, default_value = "auto")]
        device: DeviceChoice,
    },
    /// Write `samples.bin`: real MNIST test digits the page offers as ready-made sequences.
    Samples {
        #[arg(long, default_value = "data/mnist")]
        data_dir: PathBuf,
        #[arg(long, default_value = "www")]
        export_dir: PathBuf,
        #[arg(long, default_value_t = 300)]
        count: usize,
    },
    /// Print, as JSON, the probability of every digit after every position of a sequence of
    /// shipped sample digits (what the page must show for the same sequence).
    Predict {
        #[arg(long, default_value = "www")]
        weights_dir: PathBuf,
        /// Comma-separated indices into samples.bin, in sequence order.
        #[arg(long, value_delimiter = ',', required = true)]
        samples: Vec<usize>,
    },
    /// Measure training throughput (batch 64, length 10 by default) and inference latency.
    /// `scripts/bench.sh` runs it beside the same network in PyTorch.
    Bench {
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceChoice,
        #[arg(long, default_value_t = 64)]
        batch: usize,
        #[arg(long, default_value_t = 10)]
        length: usize,
        /// Untimed training steps before the timed ones.
        #[arg(long, default_value_t = 2)]
        warmup: usize,
        /// Timed training steps (median reported).
        #[arg(long, default_value_t = 10)]
        runs: usize,
        /// Timed inference runs per length [default: the larger of --runs and 20].
        #[arg(long)]
        infer_runs: Option<usize>,
        /// Also write the JSON report to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Count kernel launches per training step and per answer (wgpu only).
        #[arg(long)]
        count_dispatches: bool,
    },
    /// Train one model per weak-supervision rate, same budget, and tabulate them beside the
    /// reference's figures. Does not export.
    Sweep {
        /// Same flags as `train`; `--wsr` takes the comma-separated rates [default:
        /// 0,0.2,0.4,0.5] and `--run-dir` gets one `wsr-R` folder per rate.
        #[command(flatten)]
        train: TrainArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Augment {
    Auto,
    On,
    Off,
}

#[derive(Args, Clone)]
struct TrainArgs {
    /// Directory holding the four MNIST IDX files (raw or .gz).
    #[arg(long, default_value = "data/mnist")]
    data_dir: PathBuf,
    /// Where checkpoints, logs, metrics.json, summary.md and the plots go.
    #[arg(long, default_value = "runs/train")]
    run_dir: PathBuf,
    /// Where model.bpk and model.json are written for the page.
    #[arg(long, default_value = "www")]
    export_dir: PathBuf,
    /// Keep the currently exported weights.
    #[arg(long)]
    no_export: bool,
    /// Replace the weights in --export-dir even when they score better on the fixed test
    /// set (all ten digits) than this run's; without it such a run exports into
    /// <run-dir>/export instead.
    #[arg(long)]
    force_export: bool,
    #[arg(long, value_enum, default_value = "auto")]
    device: DeviceChoice,
    /// Continue the run in --run-dir from its last checkpoint, with its saved config.
    #[arg(long)]
    resume: bool,
    /// Epochs [default: 3; with --resume, the saved run's].
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long, default_value_t = 60_000)]
    train_sequences: usize,
    #[arg(long, default_value_t = 2_000)]
    valid_sequences: usize,
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Weak supervision rate: probability of flipping each training label (0–1) [default: 0].
    /// `sweep` takes a comma-separated list.
    #[arg(long, value_delimiter = ',')]
    wsr: Vec<f64>,
    /// With --wsr > 0, train on the noise-corrected likelihood instead of plain
    /// cross-entropy (slower to leave the first plateau: docs/weak-supervision).
    #[arg(long)]
    noise_correction: bool,
    /// Distort training digits a little (rotation, slant, size, shift, stroke weight).
    /// `auto`: only when fine-tuning (--init-from); from random weights distorted digits
    /// kept the network on its first plateau for over an epoch.
    #[arg(long, value_enum, default_value = "auto")]
    augment: Augment,
    #[arg(long, default_value_t = 3)]
    min_len: usize,
    #[arg(long, default_value_t = 30)]
    max_len: usize,
    #[arg(long, default_value_t = 10.0)]
    len_mean: f64,
    #[arg(long, default_value_t = 3.0)]
    len_std: f64,
    /// Start from the weights exported in this directory (e.g. www) instead of random ones.
    #[arg(long)]
    init_from: Option<PathBuf>,
    /// Data-loading threads.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Train only this digit's answer, as the reference trains only 4 [default: all ten].
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=9))]
    only_digit: Option<u8>,
    /// Feed the LSTM each digit's features as they come out of the CNN, as the reference
    /// does, instead of standardised (zero mean, unit variance): without the norm, training
    /// from random weights often sits on its first plateau (docs/results.md).
    #[arg(long)]
    no_feature_norm: bool,
    #[arg(long, default_value_t = 128)]
    embed_dim: usize,
    #[arg(long, default_value_t = 64)]
    lstm_hidden: usize,
    #[arg(long, default_value_t = 2)]
    lstm_layers: usize,
}

impl TrainArgs {
    /// The run's config, checked before any data is read or any time is spent.
    fn config(&self) -> anyhow::Result<TrainConfig> {
        let wsr = match self.wsr.as_slice() {
            [] => 0.0,
            [one] => *one,
            _ => {
                anyhow::bail!("training takes one --wsr; `trainer sweep` trains one model per rate")
            }
        };
        if !(0.0..=1.0).contains(&wsr) {
            return Err(sequences::SpecError::Wsr(wsr).into());
        }
        let config = self.unchecked_config().with_wsr(wsr);
        config.lengths.validate()?;
        Ok(config)
    }

    fn unchecked_config(&self) -> TrainConfig {
        TrainConfig::new(
            DigitSeqConfig::new()
                .with_embed_dim(self.embed_dim)
                .with_lstm_hidden(self.lstm_hidden)
                .with_lstm_layers(self.lstm_layers)
                .with_feature_norm(!self.no_feature_norm),
        )
        .with_lengths(LengthSpec {
            min: self.min_len,
            max: self.max_len,
            mean: self.len_mean,
            std: self.len_std,
        })
        .with_epochs(self.epochs.unwrap_or(3))
        .with_train_sequences(self.train_sequences)
        .with_valid_sequences(self.valid_sequences)
        .with_batch_size(self.batch_size)
        .with_learning_rate(self.lr)
        .with_seed(self.seed)
        .with_noise_correction(self.noise_correction)
        .with_augment(
            match self.augment {
                Augment::On => true,
                Augment::Off => false,
                Augment::Auto => self.init_from.is_some(),
            }
            .then_some(AugmentSpec::MILD),
        )
        .with_workers(self.workers)
        .with_only_digit(self.only_digit.map(usize::from))
        .with_init_from(self.init_from.as_ref().map(|p| p.display().to_string()))
    }
}

/// Training allocates and frees the same large buffers every step (activations, im2row
/// patches, gradients). By default glibc hands blocks over 128 KiB back to the kernel and
/// trims the heap, so every step page-faults them in again: ~6% of `trainer bench`'s CPU
/// time was the kernel's. Keeping freed memory in the heap cut that to ~1.5%.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    // SAFETY: mallopt only sets allocator parameters; this runs first in main, before any
    // other thread exists or allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    keep_freed_memory();
    let cli = Cli::parse();
    if cli.device() == DeviceChoice::Cpu {
        device::make_cpu_the_default();
    }
    let result = match cli.command {
        None => train_and_export(&cli.train),
        Some(Command::Train(args)) => train_and_export(&args),
        Some(Command::Fetch { data_dir }) => fetch(&data_dir),
        Some(Command::Eval {
            weights_dir,
            data_dir,
            device,
        }) => eval(&weights_dir, &data_dir, device),
        Some(Command::Sweep { train }) => sweep(&train),
        Some(Command::Bench {
            device,
            batch,
            length,
            warmup,
            runs,
            infer_runs,
            json,
            count_dispatches,
        }) => (if count_dispatches {
            dispatches::start()
        } else {
            Ok(())
        })
        .and_then(|()| device::select(device))
        .and_then(|selected| {
            anyhow::ensure!(
                !count_dispatches || selected.description.starts_with("wgpu"),
                "--count-dispatches counts wgpu kernels; the benchmark runs on {}",
                selected.description
            );
            let counts = bench::BenchCounts {
                count_dispatches,
                warmup,
                runs,
                infer_runs: infer_runs.unwrap_or(runs.max(20)),
            };
            let report = bench::bench(
                &selected.device,
                &selected.description,
                batch,
                length,
                counts,
            );
            let text = serde_json::to_string_pretty(&report)?;
            if let Some(path) = json {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                files::write_atomically(&path, text.as_bytes())?;
            }
            println!("{text}");
            Ok(())
        }),
        Some(Command::Samples {
            data_dir,
            export_dir,
            count,
        }) => samples(&data_dir, &export_dir, count),
        Some(Command::Predict {
            weights_dir,
            samples,
        }) => predict(&weights_dir, &samples),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn fetch(data_dir: &Path) -> anyhow::Result<()> {
    for line in fetch::fetch(data_dir)? {
        println!("{line}");
    }
    println!("MNIST is ready in {}", data_dir.display());
    Ok(())
}

fn load_test_set(data_dir: &Path) -> anyhow::Result<SequenceSet> {
    Ok(SequenceSet::test_set(Arc::new(Digits::load(
        data_dir,
        Split::Test,
    )?)))
}

/// One full run on `selected`: train, evaluate, report. Returns the trained net and its
/// test report. The device is chosen once per process: wgpu cannot be set up twice.
fn run(
    args: &TrainArgs,
    config: TrainConfig,
    run_dir: &Path,
    selected: &device::Selected,
) -> anyhow::Result<(
    digitseq_model::DigitSeqNet,
    evaluate::TestReport,
    TrainConfig,
)> {
    let resume_from = if args.resume {
        training::last_checkpoint(run_dir)
    } else {
        None
    };
    let config = match (args.resume, resume_from) {
        (true, Some(epoch)) => {
            let mut saved = training::saved_config(run_dir).map_err(|e| {
                anyhow::anyhow!(
                    "--resume: cannot read {}/config.json: {e}",
                    run_dir.display()
                )
            })?;
            saved.epochs = args.epochs.unwrap_or(saved.epochs);
            println!(
                "resuming {} after epoch {epoch} of {}",
                run_dir.display(),
                saved.epochs
            );
            saved
        }
        (true, None) => {
            println!(
                "--resume: no checkpoint in {}, starting afresh",
                run_dir.display()
            );
            config
        }
        (false, _) => config,
    };
    // Read the data before anything slow, so a missing file fails fast.
    let all = Digits::load(&args.data_dir, Split::Train)?;
    let test_set = load_test_set(&args.data_dir)?;
    let digits = TrainingDigits::split(&all, config.valid_digits);
    println!("device: {}", selected.description);

    let started = Instant::now();
    let trained = training::train(&config, &digits, &selected.device, run_dir, resume_from)?;
    let seconds = started.elapsed().as_secs_f64();

    let report = evaluate::evaluate(&trained, &test_set, &selected.device);
    let metrics =
        report::RunMetrics::collect(run_dir, &config, &selected.description, seconds, &report);
    metrics.write(run_dir)?;
    println!("{}", metrics.summary());
    Ok((trained, report, config))
}

fn train_and_export(args: &TrainArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    let (net, report, config) = run(args, config, &args.run_dir, &device::select(args.device)?)?;
    if !args.no_export {
        let metrics = serde_json::json!({
            "test_set": format!(
                "{} sequences of MNIST test digits, seed {}",
                sequences::TEST_SEQUENCES, sequences::TEST_SEED
            ),
            "digit4_accuracy": report.digit4.accuracy,
            "macro_accuracy": report.macro_accuracy,
            "training": {
                "epochs": config.epochs,
                "train_sequences": config.train_sequences,
                "wsr": config.wsr,
                "seed": config.seed,
            },
        });
        // Weights that answer the page better are never silently replaced, nor is this
        // run lost: it goes beside the run instead.
        let fallback = args.run_dir.join("export");
        let dir = match export::better_exported(&args.export_dir, report.macro_accuracy) {
            Some(existing) if args.force_export => {
                eprintln!(
                    "replacing better weights in {} ({:.2}% over all ten digits, this run \
                     {:.2}%), as --force-export asks",
                    args.export_dir.display(),
                    100.0 * existing,
                    100.0 * report.macro_accuracy,
                );
                args.export_dir.as_path()
            }
            Some(existing) => {
                eprintln!(
                    "kept the weights in {}: they score {:.2}% over all ten digits on the fixed \
                     test set, this run {:.2}%. This run's weights go to {} (pass \
                     --force-export to replace them anyway).",
                    args.export_dir.display(),
                    100.0 * existing,
                    100.0 * report.macro_accuracy,
                    fallback.display()
                );
                fallback.as_path()
            }
            None => args.export_dir.as_path(),
        };
        let manifest = export::export(net, &config.model, metrics, dir)?;
        println!(
            "exported {} ({} bytes, sha256 {}) to {}",
            manifest.weights_file,
            manifest.weights_bytes,
            manifest.weights_sha256,
            dir.display()
        );
    }
    Ok(())
}

fn eval(weights_dir: &Path, data_dir: &Path, device: DeviceChoice) -> anyhow::Result<()> {
    let selected = device::select(device)?;
    let (net, manifest) = export::load(weights_dir, &selected.device)?;
    let report = evaluate::evaluate(&net, &load_test_set(data_dir)?, &selected.device);
    println!(
        "{} ({} parameters) on {}: digit 4 accuracy {:.2}%, precision {:.2}%, recall {:.2}%, F1 {:.4}; \
         all digits: accuracy {:.2}%, F1 {:.4}",
        weights_dir.display(),
        manifest.parameters,
        selected.description,
        100.0 * report.digit4.accuracy,
        100.0 * report.digit4.precision,
        100.0 * report.digit4.recall,
        report.digit4.f1,
        100.0 * report.macro_accuracy,
        report.macro_f1,
    );
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// The reference's figures (digit 4, one epoch of 60k sequences): its README, and its code
/// rerun on this project's machine.
const REFERENCE: [(f64, f64, Option<f64>); 4] = [
    (0.0, 98.8, Some(99.06)),
    (0.2, 97.0, Some(97.75)),
    (0.4, 94.9, Some(95.81)),
    (0.5, 50.0, None),
];

fn sweep(args: &TrainArgs) -> anyhow::Result<()> {
    let rates = if args.wsr.is_empty() {
        REFERENCE.map(|(rate, _, _)| rate).to_vec()
    } else {
        args.wsr.clone()
    };
    let mut table = String::from(
        "| WSR | reference (README) | reference (rerun) | ours: digit 4 | ours: all digits |\n|---|---|---|---|---|\n",
    );
    // Check every rate before the first hour of training, not after it.
    let configs = rates
        .iter()
        .map(|&wsr| {
            TrainArgs {
                wsr: vec![wsr],
                ..args.clone()
            }
            .config()
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let selected = device::select(args.device)?;
    for (&wsr, config) in rates.iter().zip(configs) {
        let run_dir = args.run_dir.join(format!("wsr-{wsr}"));
        // Untrained outputs make the all-digit average meaningless.
        let all_trained = config.only_digit.is_none();
        let (_, report, _) = run(args, config, &run_dir, &selected)?;
        let reference = REFERENCE.iter().find(|(r, _, _)| (r - wsr).abs() < 1e-9);
        let fmt = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.2}%"));
        table += &format!(
            "| {wsr} | {} | {} | {:.2}% | {} |\n",
            fmt(reference.map(|r| r.1)),
            fmt(reference.and_then(|r| r.2)),
            100.0 * report.digit4.accuracy,
            fmt(all_trained.then_some(100.0 * report.macro_accuracy)),
        );
        std::fs::write(args.run_dir.join("sweep.md"), &table)?;
    }
    println!("{table}");
    Ok(())
}

/// Every `test digits / count`-th test digit: spread over the split, the same every time.
fn samples(data_dir: &Path, export_dir: &Path, count: usize) -> anyhow::Result<()> {
    let test = Digits::load(data_dir, Split::Test)?;
    anyhow::ensure!(
        (1..=test.len()).contains(&count),
        "--count must be 1–{}",
        test.len()
    );
    let step = test.len() / count;
    let picked: Vec<usize> = (0..count).map(|i| i * step).collect();
    let samples = Samples {
        labels: picked.iter().map(|&i| test.labels[i]).collect(),
        pixels: picked
            .iter()
            .flat_map(|&i| test.image(i).to_vec())
            .collect(),
    };
    std::fs::create_dir_all(export_dir)?;
    let path = export_dir.join(SAMPLES_FILE);
    files::write_atomically(&path, &samples.encode())?;
    println!("wrote {count} test digits to {}", path.display());
    Ok(())
}

fn predict(weights_dir: &Path, indices: &[usize]) -> anyhow::Result<()> {
    use burn::prelude::*;
    use burn::tensor::activation::sigmoid;
    let device = Device::flex();
    let (net, _) = export::load(weights_dir, &device)?;
    let samples = Samples::decode(&std::fs::read(weights_dir.join(SAMPLES_FILE))?)?;
    if let Some(bad) = indices.iter().find(|&&i| i >= samples.len()) {
        anyhow::bail!("sample {bad} does not exist ({} samples)", samples.len());
    }
    let pixels: Vec<f32> = indices.iter().flat_map(|&i| samples.image(i)).collect();
    let n = indices.len();
    let images = Tensor::<4>::from_data(TensorData::new(pixels, [1, n, 28, 28]), &device);
    let probs = sigmoid(net.forward(images))
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let rows: Vec<&[f32]> = probs.chunks(10).collect();
    println!(
        "{}",
        serde_json::json!({
            "samples": indices,
            "labels": indices.iter().map(|&i| samples.labels[i]).collect::<Vec<_>>(),
            "probabilities": rows,
        })
    );
    Ok(())
}
