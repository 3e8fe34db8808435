//! Training with burn's `SupervisedTraining`: the network wrapped with its objective, the
//! data loaders, metrics, checkpoints every epoch and resumption.
//!
//! (Long with its tests: the code is ~380 lines, the rest trains small runs for real.)

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use burn::data::dataloader::DataLoaderBuilder;
use burn::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::prelude::*;
use burn::tensor::activation::{log_sigmoid, sigmoid};
use burn::train::metric::{
    AccuracyInput, AccuracyMetric, Adaptor, HammingScore, HammingScoreInput, ItemLazy,
    LearningRateMetric, LossInput, LossMetric,
};
use burn::train::{
    ExecutionStrategy, InferenceStep, Learner, MultiDeviceOptim, SupervisedTraining, TrainOutput,
    TrainStep,
};
use digitseq_model::network::last_step;
use digitseq_model::{DigitSeqConfig, DigitSeqNet};

use crate::augment::AugmentSpec;
use crate::metrics::{ALL_DIGITS_ACCURACY, DIGIT4_ACCURACY, Named};
use crate::mnist::Digits;
use crate::sequences::{LengthSpec, SequenceBatch, SequenceBatcher, SequenceSet};

/// The digit the reference asks about; its figures are the ones compared.
pub const REFERENCE_DIGIT: usize = 4;

/// Everything a training run depends on; saved as `config.json` in the run directory so a
/// run can be resumed and reproduced.
#[derive(Config, Debug)]
pub struct TrainConfig {
    pub model: DigitSeqConfig,
    #[config(default = "LengthSpec::default()")]
    pub lengths: LengthSpec,
    #[config(default = 3)]
    pub epochs: usize,
    /// Training sequences per epoch.
    #[config(default = 60_000)]
    pub train_sequences: usize,
    /// Validation sequences, drawn from `valid_digits` training digits held out.
    #[config(default = 2_000)]
    pub valid_sequences: usize,
    #[config(default = 5_000)]
    pub valid_digits: usize,
    #[config(default = 64)]
    pub batch_size: usize,
    /// Peak Adam learning rate (cosine-annealed to 1/50 of it). 2e-3 kept a network started
    /// from random weights on its first plateau (answering the base rate) for whole epochs.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    #[config(default = 42)]
    pub seed: u64,
    /// Weak supervision rate: probability that each training label is flipped.
    #[config(default = 0.0)]
    pub wsr: f64,
    /// Train on the noise-corrected likelihood (the model's clean probability pushed through
    /// the known flip rate) rather than plain cross-entropy. Off by default: every batch is
    /// fresh, so there is nothing to memorise, symmetric flips below one half leave plain
    /// cross-entropy's best answer unchanged, and at WSR 0.4 the corrected loss kept the
    /// network on its first plateau for a whole epoch where plain cross-entropy left it.
    #[config(default = false)]
    pub noise_correction: bool,
    /// Distortions applied to training digits (none: plain MNIST).
    #[config(default = "None")]
    pub augment: Option<AugmentSpec>,
    /// Start from these exported weights (a directory with model.bpk + model.json) instead
    /// of random ones: fine-tuning, e.g. with augmentation, a model trained without.
    #[config(default = "None")]
    pub init_from: Option<String>,
    /// Data-loading threads (sequence drawing and batching run off the training thread).
    #[config(default = 1)]
    pub workers: usize,
    /// Train only this digit's answer, as the reference does for 4 (None: all ten). Under
    /// heavy label noise one question leaves the first plateau within an epoch where ten
    /// shared ones may not; the other nine outputs stay untrained.
    #[config(default = "None")]
    pub only_digit: Option<usize>,
    /// Train the answer after every digit ("has d appeared among the first t digits?"), the
    /// running answer the page shows, not only the last. Needs the labels of every prefix, so
    /// weakly supervised runs (wsr > 0) train the sequence's label alone, the one flipped, as
    /// the reference does.
    #[config(default = true)]
    pub every_step: bool,
    /// Rows from the page's stroke generator (`tests/e2e/rows-json.mjs`) whose digits, as the
    /// page renders drawn strokes, join MNIST's training digits (None: MNIST alone).
    #[config(default = "None")]
    pub drawn_digits: Option<String>,
}

impl TrainConfig {
    /// What a run on a GPU trains with where no batch size or learning rate is given: a GPU
    /// pays mostly per kernel launch, and launches hardly depend on the batch, so it takes
    /// four times the CPU's; twice the rate kept the accuracy of the CPU's defaults in the same
    /// number of sequences (docs/gpu.md, "Batch size and learning rate").
    pub fn for_gpu(self) -> Self {
        Self {
            batch_size: 256,
            learning_rate: 2e-3,
            ..self
        }
    }

    /// Whether this run trains every step's answer (see `every_step`).
    pub fn trains_every_step(&self) -> bool {
        self.every_step && self.wsr == 0.0
    }
}

/// The network plus its training objective.
#[derive(Module, Debug)]
pub struct Trainee {
    pub net: DigitSeqNet,
    /// Flip rate assumed by the corrected loss (0 = plain binary cross-entropy).
    pub noise_rate: f64,
    /// The one digit whose answer the loss covers (None: all ten).
    pub only_digit: Option<usize>,
    /// Train every step's answer against the running labels, not only the last.
    pub every_step: bool,
}

impl Trainee {
    /// The loss over the answers being trained (see `TrainConfig::only_digit`).
    fn loss(&self, logits: Tensor<2>, targets: Tensor<2, Int>, noise_rate: f64) -> Tensor<1> {
        match self.only_digit {
            Some(d) => sequence_loss(
                logits.slice(s![.., d..d + 1]),
                targets.slice(s![.., d..d + 1]),
                noise_rate,
            ),
            None => sequence_loss(logits, targets, noise_rate),
        }
    }
}

/// Mean binary cross-entropy of `logits` against 0/1 `targets`. With `noise_rate` r > 0 the
/// model's probability p of the true label is first mapped to the probability of the
/// *observed* label, r + (1 − 2r)·p: the forward loss correction for symmetric label noise,
/// which keeps flipped labels from being memorised.
pub fn sequence_loss(logits: Tensor<2>, targets: Tensor<2, Int>, noise_rate: f64) -> Tensor<1> {
    let y = targets.float();
    let loss = if noise_rate > 0.0 {
        let q = sigmoid(logits) * (1.0 - 2.0 * noise_rate) + noise_rate;
        let q = q.clamp(1e-6, 1.0 - 1e-6);
        (y.clone() * q.clone().log() + (y.neg() + 1.0) * (q.neg() + 1.0).log()).neg()
    } else {
        (y.clone() * log_sigmoid(logits.clone()) + (y.neg() + 1.0) * log_sigmoid(logits.neg()))
            .neg()
    };
    loss.mean().reshape([1])
}

/// What every step reports to the metrics.
pub struct SequenceOutput {
    pub loss: Tensor<1>,
    /// `[batch, 10]` logits of the whole sequence.
    pub logits: Tensor<2>,
    /// `[batch, 10]` labels the step was judged against.
    pub targets: Tensor<2, Int>,
}

impl ItemLazy for SequenceOutput {
    fn sync(self) -> Result<Self, burn::tensor::ExecutionError> {
        self.loss.device().flush()?;
        Ok(Self {
            loss: self.loss.without_autodiff(),
            logits: self.logits.without_autodiff(),
            targets: self.targets.without_autodiff(),
        })
    }
}

impl Adaptor<LossInput> for SequenceOutput {
    fn adapt(&self) -> LossInput {
        LossInput::new(self.loss.clone())
    }
}

/// Digit 4's accuracy (the reference's question): a two-class view of its output.
impl Adaptor<AccuracyInput> for SequenceOutput {
    fn adapt(&self) -> AccuracyInput {
        let [batch, _] = self.logits.dims();
        let d = REFERENCE_DIGIT;
        let logit = self.logits.clone().slice(s![.., d..d + 1]);
        let two_class = Tensor::cat(vec![logit.zeros_like(), logit], 1);
        let target = self
            .targets
            .clone()
            .slice(s![.., d..d + 1])
            .reshape([batch]);
        AccuracyInput::new(two_class, target)
    }
}

/// The Hamming score: the accuracy averaged over all ten digits.
impl Adaptor<HammingScoreInput> for SequenceOutput {
    fn adapt(&self) -> HammingScoreInput {
        HammingScoreInput::new(self.logits.clone(), self.targets.clone())
    }
}

impl TrainStep for Trainee {
    type Input = SequenceBatch;
    type Output = SequenceOutput;

    fn step(&self, batch: SequenceBatch) -> TrainOutput<SequenceOutput> {
        let (logits, loss) = match (self.every_step, batch.running) {
            (true, Some(running)) => {
                let per_step = self.net.forward(batch.images);
                let [size, len, digits] = per_step.dims();
                let loss = self.loss(
                    per_step.clone().reshape([size * len, digits]),
                    running.reshape([size * len, digits]),
                    0.0,
                );
                (last_step(per_step), loss)
            }
            _ => {
                let logits = self.net.sequence_logits(batch.images);
                let loss = self.loss(logits.clone(), batch.noisy.clone(), self.noise_rate);
                (logits, loss)
            }
        };
        let grads = loss.backward();
        TrainOutput::new(
            self,
            grads,
            SequenceOutput {
                loss,
                logits,
                targets: batch.noisy,
            },
        )
    }
}

impl InferenceStep for Trainee {
    type Input = SequenceBatch;
    type Output = SequenceOutput;

    /// Validation judges the answer against the true labels with plain cross-entropy.
    fn step(&self, batch: SequenceBatch) -> SequenceOutput {
        let logits = self.net.sequence_logits(batch.images);
        SequenceOutput {
            loss: self.loss(logits.clone(), batch.clean.clone(), 0.0),
            logits,
            targets: batch.clean,
        }
    }
}

/// The training split cut into the digits trained on and those held out for validation.
pub struct TrainingDigits {
    pub train: Arc<Digits>,
    pub valid: Arc<Digits>,
}

impl TrainingDigits {
    pub fn split(all: &Digits, valid_digits: usize) -> Self {
        let cut = all.len().saturating_sub(valid_digits).max(1).min(all.len());
        Self {
            train: Arc::new(all.slice(0..cut)),
            valid: Arc::new(all.slice(cut.min(all.len() - 1)..all.len())),
        }
    }
}

/// The config a run was started with (its `config.json`), completed with the values of
/// fields added since it was written, so an older run can still be resumed.
pub fn saved_config(run_dir: &Path) -> anyhow::Result<TrainConfig> {
    let text = std::fs::read_to_string(run_dir.join("config.json"))?;
    let mut value: serde_json::Value = serde_json::from_str(&text)?;
    if let Some(model) = value.get_mut("model") {
        DigitSeqConfig::upgrade_saved(model);
    }
    // Runs saved before `every_step` existed trained the last step only.
    if let Some(fields) = value.as_object_mut() {
        fields
            .entry("every_step")
            .or_insert(serde_json::Value::Bool(false));
    }
    Ok(serde_json::from_value(value)?)
}

/// The last epoch whose model, optimiser and scheduler checkpoints all exist and read
/// back. A later epoch's that do not (a kill between its files, a damaged disk) is named on
/// stderr and skipped: resuming from the one before loses an epoch, not the run.
pub fn last_checkpoint(run_dir: &Path) -> Option<usize> {
    let dir = run_dir.join("checkpoint");
    let mut epochs: Vec<usize> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_prefix("model-")?
                .strip_suffix(".bpk")?
                .parse::<usize>()
                .ok()
        })
        .collect();
    epochs.sort_unstable();
    epochs
        .into_iter()
        .rev()
        .find(|&epoch| match checkpoint_readable(&dir, epoch) {
            Ok(()) => true,
            Err(why) => {
                eprintln!(
                    "checkpoint of epoch {epoch} in {} is unusable ({why}): trying the one before",
                    dir.display()
                );
                false
            }
        })
}

/// Reads the three files of one epoch's checkpoint as burn will when resuming.
pub fn checkpoint_readable(dir: &Path, epoch: usize) -> Result<(), String> {
    let path = |part: &str| dir.join(format!("{part}-{epoch}.bpk"));
    let missing = |part: &str| format!("{} is missing", path(part).display());
    for part in ["model", "optim", "scheduler"] {
        if !path(part).is_file() {
            return Err(missing(part));
        }
    }
    burn::store::ModuleRecord::load(path("model")).map_err(|e| format!("model: {e}"))?;
    burn::optim::OptimizerRecord::load(path("optim")).map_err(|e| format!("optimiser: {e}"))?;
    burn::lr_scheduler::LrSchedulerRecord::load(path("scheduler"))
        .map_err(|e| format!("scheduler: {e}"))?;
    Ok(())
}

/// Trains per `config` on `devices` (with autodiff), logging metrics and checkpoints into
/// `run_dir`; continues from `resume_from` (an epoch with checkpoints) when given. With
/// several devices each step reads one batch on each and the first sums their gradients and
/// updates the weights (burn's MultiDevice strategy).
pub fn train(
    config: &TrainConfig,
    digits: &TrainingDigits,
    devices: &[Device],
    run_dir: &Path,
    resume_from: Option<usize>,
) -> anyhow::Result<DigitSeqNet> {
    let [device, ..] = devices else {
        anyhow::bail!("training needs a device");
    };
    std::fs::create_dir_all(run_dir)?;
    // Atomically: a kill while it is written must not leave a run that cannot resume.
    crate::files::write_atomically(
        &run_dir.join("config.json"),
        serde_json::to_string_pretty(config)?.as_bytes(),
    )?;
    device.seed(config.seed);
    let train_device = device.clone().autodiff();

    let train_set = SequenceSet::new(
        digits.train.clone(),
        config.lengths,
        config.train_sequences,
        config.batch_size,
        config.seed,
        config.wsr,
    )?
    .with_augment(config.augment);
    let valid_set = SequenceSet::new(
        digits.valid.clone(),
        config.lengths,
        config.valid_sequences,
        config.batch_size,
        config.seed.wrapping_add(1),
        0.0,
    )?;
    let loader = |digits: &Arc<Digits>| {
        DataLoaderBuilder::new(SequenceBatcher {
            digits: digits.clone(),
        })
        .batch_size(1)
        .num_workers(config.workers)
    };
    let dataloader_train = loader(&digits.train).shuffle(config.seed).build(train_set);
    let dataloader_valid = loader(&digits.valid).build(valid_set);

    let batches = config.train_sequences.div_ceil(config.batch_size);
    let iterations = config.epochs * batches.div_ceil(devices.len());
    let scheduler = CosineAnnealingLrSchedulerConfig::new(config.learning_rate, iterations.max(1))
        .with_min_lr(config.learning_rate / 50.0)
        .init()
        .map_err(anyhow::Error::msg)?;
    let optimizer = crate::optimizer::optimizer();
    let net = match &config.init_from {
        Some(dir) => {
            let (net, manifest) = crate::export::load(Path::new(dir), &train_device)?;
            anyhow::ensure!(
                manifest.config == config.model,
                "--init-from {dir}: its network ({:?}) is not the one configured ({:?})",
                manifest.config,
                config.model
            );
            net
        }
        None => config.model.init(&train_device),
    };
    let model = Trainee {
        net,
        noise_rate: if config.noise_correction {
            config.wsr.min(0.49)
        } else {
            0.0
        },
        only_digit: config.only_digit,
        every_step: config.trains_every_step(),
    };

    let mut training = SupervisedTraining::new(run_dir, dataloader_train, dataloader_valid)
        .metrics((
            Named::new(DIGIT4_ACCURACY, AccuracyMetric::new()),
            LossMetric::new(),
        ))
        .metrics((Named::new(
            ALL_DIGITS_ACCURACY,
            HammingScore::new().with_sigmoid(true),
        ),))
        .metric_train_numeric(LearningRateMetric::new())
        .with_default_checkpointers()
        .num_epochs(config.epochs)
        .summary();
    if !std::io::stdout().is_terminal() {
        training = training.renderer(Box::new(crate::progress::LineProgress::new()));
    }
    if let Some(epoch) = resume_from {
        training = training.checkpoint(epoch);
    }
    if devices.len() > 1 {
        let strategy =
            ExecutionStrategy::MultiDevice(devices.to_vec(), MultiDeviceOptim::OptimMainDevice);
        training = training.with_training_strategy(strategy.into());
    }
    let result = training.launch(Learner::new(model, optimizer, scheduler));
    Ok(result.model.net)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrected_loss_is_plain_cross_entropy_at_zero_noise_and_bounded_above_it() {
        let device = Device::flex();
        let logits = Tensor::<2>::from_floats([[8.0, -8.0, 0.0]], &device);
        let targets = Tensor::<2, Int>::from_ints([[0, 1, 1]], &device);
        let plain: f32 = sequence_loss(logits.clone(), targets.clone(), 0.0).into_scalar();
        // −(log σ(−8) + log σ(−8) + log σ(0)) / 3
        let expected = (2.0 * (1.0 + 8f32.exp()).ln() + 2f32.ln()) / 3.0;
        assert!((plain - expected).abs() < 1e-4, "{plain} vs {expected}");
        // With noise 0.2 a confidently "wrong" answer costs at most −log 0.2.
        let corrected: f32 = sequence_loss(logits, targets, 0.2).into_scalar();
        assert!(corrected < plain && corrected < -(0.2f32.ln()));
    }

    #[test]
    fn only_digit_loss_ignores_the_other_answers() {
        let device = Device::flex();
        let trainee = |only_digit| Trainee {
            net: DigitSeqConfig::new().with_lstm_hidden(8).init(&device),
            noise_rate: 0.0,
            only_digit,
            every_step: false,
        };
        let targets = Tensor::<2, Int>::from_ints([[1, 0, 1, 0, 1, 0, 1, 0, 1, 0]], &device);
        let logits = |wrong_elsewhere: f32| {
            let mut row = [0.0f32; 10];
            for (d, v) in row.iter_mut().enumerate() {
                *v = if d == 4 {
                    3.0
                } else {
                    wrong_elsewhere * if d % 2 == 0 { -1.0 } else { 1.0 }
                };
            }
            Tensor::<2>::from_floats([row], &device)
        };
        let loss = |t: &Trainee, l| -> f32 { t.loss(l, targets.clone(), 0.0).into_scalar() };
        let only4 = trainee(Some(4));
        // Digit 4 alone: −log σ(3), however wrong the other nine answers are.
        let expected = (1.0 + (-3f32).exp()).ln();
        for wrong in [0.0, 5.0] {
            let got = loss(&only4, logits(wrong));
            assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
        }
        // All ten: the wrong answers count.
        let all = trainee(None);
        assert!(loss(&all, logits(5.0)) > loss(&all, logits(0.0)) + 1.0);
    }

    #[test]
    fn a_run_saved_before_the_feature_norm_and_every_step_resumes_without_them() {
        let run = tempfile::tempdir().unwrap();
        let config = TrainConfig::new(DigitSeqConfig::new().with_feature_norm(true)).with_seed(7);
        config.save(run.path().join("config.json")).unwrap();
        assert_eq!(saved_config(run.path()).unwrap().model, config.model);

        // As written before the field existed.
        let mut old: serde_json::Value = serde_json::to_value(&config).unwrap();
        old["model"].as_object_mut().unwrap().remove("feature_norm");
        old.as_object_mut().unwrap().remove("every_step");
        std::fs::write(run.path().join("config.json"), old.to_string()).unwrap();
        let saved = saved_config(run.path()).unwrap();
        assert!(!saved.model.feature_norm);
        assert!(!saved.every_step, "trained on the last step");
        assert_eq!(saved.seed, 7);

        std::fs::write(run.path().join("config.json"), "{").unwrap();
        assert!(saved_config(run.path()).is_err());
    }

    #[test]
    fn init_from_refuses_weights_of_another_network() {
        let dir = tempfile::tempdir().unwrap();
        let small = DigitSeqConfig::new().with_lstm_hidden(8);
        crate::export::export(
            small.init(&Device::flex()),
            &small,
            serde_json::json!({}),
            dir.path(),
        )
        .unwrap();
        let config = TrainConfig::new(DigitSeqConfig::new())
            .with_init_from(Some(dir.path().display().to_string()));
        let digits = TrainingDigits::split(&Digits::bars(100), 20);
        let run = tempfile::tempdir().unwrap();
        let err = train(&config, &digits, &[Device::flex()], run.path(), None).unwrap_err();
        assert!(
            err.to_string().contains("is not the one configured"),
            "{err}"
        );
    }

    #[test]
    fn a_short_run_on_small_data_lowers_the_loss_checkpoints_every_epoch_and_resumes() {
        let run = tempfile::tempdir().unwrap();
        let digits = TrainingDigits::split(&Digits::bars(300), 50);
        // The trainer's network (feature norm on). Without the norm this run sat on its first
        // plateau for 3 or 4 of 8 seeds, and the CPU's rounding decides which.
        let config = TrainConfig::new(DigitSeqConfig::new().with_feature_norm(true))
            .with_lengths(LengthSpec {
                min: 3,
                max: 5,
                mean: 4.0,
                std: 1.0,
            })
            .with_epochs(3)
            .with_train_sequences(1600)
            .with_valid_sequences(64)
            .with_batch_size(16)
            .with_learning_rate(3e-3)
            // Synthetic bar digits: distortions would blur the classes this test relies on.
            .with_augment(None);
        train(&config, &digits, &[Device::flex()], run.path(), None).unwrap();

        let loss = crate::report::Curve::read(run.path(), "train", "Loss").epoch_means();
        assert_eq!(loss.len(), 3, "one loss curve per epoch");
        assert!(
            loss[2] < 0.5 * loss[0],
            "loss per epoch {loss:?} did not fall"
        );
        assert_eq!(last_checkpoint(run.path()), Some(3));
        assert!(run.path().join("config.json").is_file());
        // The reports find both accuracies under the names they are logged with.
        for metric in [DIGIT4_ACCURACY, ALL_DIGITS_ACCURACY] {
            let accuracy = crate::report::Curve::read(run.path(), "valid", metric).epoch_means();
            assert_eq!(accuracy.len(), 3, "{metric}: one value per epoch");
        }

        // Resuming continues from the checkpoint instead of starting over.
        let more = config.with_epochs(4);
        train(&more, &digits, &[Device::flex()], run.path(), Some(3)).unwrap();
        assert_eq!(last_checkpoint(run.path()), Some(4));
        let loss = crate::report::Curve::read(run.path(), "train", "Loss").epoch_means();
        assert_eq!(loss.len(), 4, "epochs 1–3 kept, epoch 4 added");
        assert!(
            loss[3] < 0.5 * loss[0],
            "resumed from trained weights: {loss:?}"
        );
    }
}
