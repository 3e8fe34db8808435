//! The command line. Every training default is the config structs' own (`TrainConfig`,
//! `DigitSeqConfig`, `LengthSpec`): the flags show them in `--help` and override them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use digitseq_model::DigitSeqConfig;

use crate::augment::AugmentSpec;
use crate::device::DeviceChoice;
use crate::sequences::{self, LengthSpec};
use crate::training::TrainConfig;

/// Where the commands read MNIST, write runs and export the page's files, unless told.
const DATA_DIR: &str = "data/mnist";
const RUN_DIR: &str = "runs/train";
const EXPORT_DIR: &str = "www";

/// The configuration a run gets without flags.
fn defaults() -> TrainConfig {
    TrainConfig::new(DigitSeqConfig::new())
}

#[derive(Parser)]
#[command(
    name = "trainer",
    about = "Train the digit-sequence CNN+LSTM on MNIST and export it for the page.\n\
             Without a subcommand it trains (see `trainer train --help`).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub train: TrainArgs,
}

impl Cli {
    /// The device the command runs on (the ones that take no `--device` run on the CPU).
    pub fn device(&self) -> DeviceChoice {
        match &self.command {
            None => self.train.device,
            Some(Command::Train(args) | Command::Sweep { train: args }) => args.device,
            Some(Command::Eval { device, .. }) => *device,
            Some(Command::Bench(args)) => args.device,
            Some(
                Command::Fetch { .. }
                | Command::Samples { .. }
                | Command::Predict { .. }
                | Command::Scorer(_),
            ) => DeviceChoice::Cpu,
        }
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Train, evaluate on the fixed test set, write the run's reports, export the weights.
    Train(TrainArgs),
    /// Download MNIST into the data directory (verified; files already valid are kept).
    Fetch {
        #[arg(long, default_value = DATA_DIR)]
        data_dir: PathBuf,
    },
    /// Evaluate exported weights on the fixed test set.
    Eval {
        #[arg(long, default_value = EXPORT_DIR)]
        weights_dir: PathBuf,
        #[arg(long, default_value = DATA_DIR)]
        data_dir: PathBuf,
        #[arg(long, value_enum, default_value = "auto")]
        device: DeviceChoice,
    },
    /// Write `samples.bin`: real MNIST test digits the page offers as ready-made sequences.
    Samples {
        #[arg(long, default_value = DATA_DIR)]
        data_dir: PathBuf,
        #[arg(long, default_value = EXPORT_DIR)]
        export_dir: PathBuf,
        #[arg(long, default_value_t = 300)]
        count: usize,
    },
    /// Print, as JSON, the probability of every digit after every position of a sequence of
    /// shipped sample digits (what the page must show for the same sequence).
    Predict {
        #[arg(long, default_value = EXPORT_DIR)]
        weights_dir: PathBuf,
        /// Comma-separated indices into samples.bin, in sequence order.
        #[arg(long, value_delimiter = ',', required = true)]
        samples: Vec<usize>,
    },
    /// Train segmentation's crop scorer (one digit, or not?) from MNIST and write the weights
    /// the model crate ships (`model/scorer.bpk`).
    Scorer(crate::scorer::ScorerArgs),
    /// Measure training throughput (training's batch and mean length by default) and
    /// inference latency. `scripts/bench.sh` runs it beside the same network in PyTorch.
    Bench(BenchArgs),
    /// Train one model per weak-supervision rate, same budget, and tabulate them beside the
    /// reference's figures. Does not export.
    Sweep {
        /// Same flags as `train`; `--wsr` takes the comma-separated rates [default:
        /// 0,0.2,0.4,0.5] and `--run-dir` gets one `wsr-R` folder per rate.
        #[command(flatten)]
        train: TrainArgs,
    },
}

#[derive(Args)]
pub struct BenchArgs {
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceChoice,
    #[arg(long, default_value_t = defaults().batch_size)]
    pub batch: usize,
    #[arg(long, default_value_t = defaults().lengths.mean.round() as usize)]
    pub length: usize,
    /// Untimed training steps before the timed ones.
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Timed training steps (median reported).
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Timed inference runs per length [default: the larger of --runs and 20].
    #[arg(long)]
    pub infer_runs: Option<usize>,
    /// Also write the JSON report to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Count kernel launches per training step and per answer (wgpu only).
    #[arg(long)]
    pub count_dispatches: bool,
    /// Also compare one training step's loss and gradients (batch × length) with the CPU's
    /// from the same weights: whether this device trains what the CPU trains.
    #[arg(long)]
    pub check_gradients: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Augment {
    Auto,
    On,
    Off,
}

#[derive(Args, Clone)]
pub struct TrainArgs {
    /// Directory holding the four MNIST IDX files (raw or .gz).
    #[arg(long, default_value = DATA_DIR)]
    pub data_dir: PathBuf,
    /// Where checkpoints, logs, metrics.json, summary.md and the plots go.
    #[arg(long, default_value = RUN_DIR)]
    pub run_dir: PathBuf,
    /// Where the weights and model.json are written for the page.
    #[arg(long, default_value = EXPORT_DIR)]
    pub export_dir: PathBuf,
    /// Keep the currently exported weights.
    #[arg(long)]
    pub no_export: bool,
    /// Replace the weights in --export-dir even when they score better on the fixed test
    /// set (all ten digits) than this run's; without it such a run exports into
    /// <run-dir>/export instead.
    #[arg(long)]
    pub force_export: bool,
    #[arg(long, value_enum, default_value = "auto")]
    pub device: DeviceChoice,
    /// Train on this many GPUs (wgpu's discrete GPUs 0, 1, …): each step reads one batch on
    /// each and sums their gradients on the first, which updates the weights (burn's
    /// MultiDevice strategy). Only with --device wgpu or auto.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub gpus: u16,
    /// Continue the run in --run-dir from its last checkpoint, with its saved config.
    #[arg(long)]
    pub resume: bool,
    #[arg(long, help = format!(
        "Epochs [default: {}; with --resume, the saved run's]", defaults().epochs
    ))]
    pub epochs: Option<usize>,
    #[arg(long, default_value_t = defaults().train_sequences)]
    pub train_sequences: usize,
    #[arg(long, default_value_t = defaults().valid_sequences)]
    pub valid_sequences: usize,
    #[arg(long, help = format!(
        "Sequences per training step [default: {}; on a GPU {}]",
        defaults().batch_size, defaults().for_gpu().batch_size
    ))]
    pub batch_size: Option<usize>,
    #[arg(long, help = format!(
        "Peak Adam learning rate, cosine-annealed to 1/50 of it [default: {}; on a GPU {}]",
        defaults().learning_rate, defaults().for_gpu().learning_rate
    ))]
    pub lr: Option<f64>,
    #[arg(long, default_value_t = defaults().seed)]
    pub seed: u64,
    #[arg(long, value_delimiter = ',', help = format!(
        "Weak supervision rate: probability of flipping each training label (0–1) \
         [default: {}]. `sweep` takes a comma-separated list", defaults().wsr
    ))]
    pub wsr: Vec<f64>,
    /// With --wsr > 0, train on the noise-corrected likelihood instead of plain
    /// cross-entropy (slower to leave the first plateau: docs/weak-supervision).
    #[arg(long)]
    pub noise_correction: bool,
    /// Distort training digits a little (rotation, slant, size, shift, stroke weight).
    /// `auto`: only when fine-tuning (--init-from); from random weights distorted digits
    /// kept the network on its first plateau for over an epoch.
    #[arg(long, value_enum, default_value = "auto")]
    pub augment: Augment,
    #[arg(long, default_value_t = defaults().lengths.min)]
    pub min_len: usize,
    #[arg(long, default_value_t = defaults().lengths.max)]
    pub max_len: usize,
    #[arg(long, default_value_t = defaults().lengths.mean)]
    pub len_mean: f64,
    #[arg(long, default_value_t = defaults().lengths.std)]
    pub len_std: f64,
    /// Start from the weights exported in this directory (e.g. www) instead of random ones.
    #[arg(long)]
    pub init_from: Option<PathBuf>,
    /// Data-loading threads.
    #[arg(long, default_value_t = defaults().workers)]
    pub workers: usize,
    /// Train only this digit's answer, as the reference trains only 4 [default: all ten].
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub only_digit: Option<u8>,
    /// Add the digits of these generated rows (`node tests/e2e/rows-json.mjs --seed 1000 >
    /// FILE`; seed 1 is the drawn reports') to MNIST's training digits, rendered as the page
    /// renders drawn strokes.
    #[arg(long)]
    pub drawn_digits: Option<PathBuf>,
    /// Feed the LSTM each digit's features as they come out of the CNN, as the reference
    /// does, instead of standardised (zero mean, unit variance): without the norm, training
    /// from random weights often sits on its first plateau (docs/results.md).
    #[arg(long)]
    pub no_feature_norm: bool,
    /// Train only the answer about the whole sequence (its last step), as the reference
    /// does, not the running answer after every digit. Runs with --wsr > 0 always do.
    #[arg(long)]
    pub last_step_only: bool,
    #[arg(long, default_value_t = defaults().model.embed_dim)]
    pub embed_dim: usize,
    #[arg(long, default_value_t = defaults().model.lstm_hidden)]
    pub lstm_hidden: usize,
    #[arg(long, default_value_t = defaults().model.lstm_layers)]
    pub lstm_layers: usize,
}

impl TrainArgs {
    /// The run's config, checked before any data is read or any time is spent.
    pub fn config(&self) -> anyhow::Result<TrainConfig> {
        let wsr = match self.wsr.as_slice() {
            [] => defaults().wsr,
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

    /// `config` for a run on `gpu` or not: a GPU's batch size and learning rate
    /// (`TrainConfig::for_gpu`) where the flags name none.
    pub fn on_device(&self, config: TrainConfig, gpu: bool) -> TrainConfig {
        if !gpu {
            return config;
        }
        let on_gpu = defaults().for_gpu();
        TrainConfig {
            batch_size: self.batch_size.unwrap_or(on_gpu.batch_size),
            learning_rate: self.lr.unwrap_or(on_gpu.learning_rate),
            ..config
        }
    }

    /// The same flags with one rate (`sweep`).
    pub fn with_wsr(&self, wsr: f64) -> Self {
        Self {
            wsr: vec![wsr],
            ..self.clone()
        }
    }

    fn unchecked_config(&self) -> TrainConfig {
        let defaults = defaults();
        TrainConfig {
            model: DigitSeqConfig {
                embed_dim: self.embed_dim,
                lstm_hidden: self.lstm_hidden,
                lstm_layers: self.lstm_layers,
                feature_norm: !self.no_feature_norm,
                ..defaults.model
            },
            lengths: LengthSpec {
                min: self.min_len,
                max: self.max_len,
                mean: self.len_mean,
                std: self.len_std,
            },
            epochs: self.epochs.unwrap_or(defaults.epochs),
            train_sequences: self.train_sequences,
            valid_sequences: self.valid_sequences,
            batch_size: self.batch_size.unwrap_or(defaults.batch_size),
            learning_rate: self.lr.unwrap_or(defaults.learning_rate),
            seed: self.seed,
            noise_correction: self.noise_correction,
            augment: match self.augment {
                Augment::On => true,
                Augment::Off => false,
                Augment::Auto => self.init_from.is_some(),
            }
            .then_some(AugmentSpec::MILD),
            workers: self.workers,
            only_digit: self.only_digit.map(usize::from),
            init_from: self.init_from.as_ref().map(|p| p.display().to_string()),
            every_step: !self.last_step_only,
            drawn_digits: self.drawn_digits.as_ref().map(|p| p.display().to_string()),
            ..defaults
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> TrainConfig {
        let cli = Cli::try_parse_from(std::iter::once("trainer").chain(args.iter().copied()))
            .expect("valid flags");
        match cli.command {
            None => cli.train.config(),
            Some(Command::Train(args)) => args.config(),
            Some(_) => panic!("not a training command"),
        }
        .expect("a valid config")
    }

    fn json(config: &TrainConfig) -> serde_json::Value {
        serde_json::to_value(config).unwrap()
    }

    #[test]
    fn without_flags_a_run_gets_the_configs_own_defaults() {
        assert_eq!(json(&parse(&[])), json(&defaults()));
        assert_eq!(json(&parse(&["train"])), json(&defaults()));
        assert!(defaults().model.feature_norm, "on for every new network");
    }

    #[test]
    fn flags_override_the_config() {
        let config = parse(&[
            "train",
            "--epochs=1",
            "--batch-size=8",
            "--lr=0.01",
            "--wsr=0.2",
            "--min-len=4",
            "--len-std=1.5",
            "--lstm-hidden=32",
            "--no-feature-norm",
            "--only-digit=4",
            "--augment=on",
            "--last-step-only",
        ]);
        assert_eq!((config.epochs, config.batch_size), (1, 8));
        assert_eq!((config.learning_rate, config.wsr), (0.01, 0.2));
        assert_eq!((config.lengths.min, config.lengths.std), (4, 1.5));
        assert_eq!(config.lengths.max, defaults().lengths.max);
        assert_eq!(config.model.lstm_hidden, 32);
        assert!(!config.model.feature_norm);
        assert_eq!(config.only_digit, Some(4));
        assert!(config.augment.is_some());
        assert!(!config.every_step);
    }

    fn train_args(args: &[&str]) -> TrainArgs {
        match Cli::try_parse_from(["trainer", "train"].iter().chain(args)) {
            Ok(Cli {
                command: Some(Command::Train(args)),
                ..
            }) => args,
            _ => panic!("valid training flags"),
        }
    }

    #[test]
    fn gpus_counts_from_one() {
        assert_eq!(train_args(&[]).gpus, 1);
        assert_eq!(train_args(&["--gpus=4"]).gpus, 4);
        assert!(Cli::try_parse_from(["trainer", "train", "--gpus=0"]).is_err());
    }

    #[test]
    fn on_a_gpu_the_batch_size_and_rate_are_the_gpus_unless_given() {
        let args = train_args(&["--epochs=2"]);
        let on_gpu = args.on_device(args.config().unwrap(), true);
        let gpu = defaults().for_gpu();
        assert_eq!(
            (on_gpu.batch_size, on_gpu.learning_rate, on_gpu.epochs),
            (gpu.batch_size, gpu.learning_rate, 2)
        );
        assert!(gpu.batch_size > defaults().batch_size);
        let on_cpu = args.on_device(args.config().unwrap(), false);
        assert_eq!(json(&on_cpu), json(&args.config().unwrap()));
        // Flags win on either device.
        let args = train_args(&["--batch-size=32", "--lr=0.0005"]);
        let on_gpu = args.on_device(args.config().unwrap(), true);
        assert_eq!((on_gpu.batch_size, on_gpu.learning_rate), (32, 0.0005));
        let args = train_args(&["--batch-size=32"]);
        let on_gpu = args.on_device(args.config().unwrap(), true);
        assert_eq!(
            (on_gpu.batch_size, on_gpu.learning_rate),
            (32, gpu.learning_rate)
        );
    }
}
