//! Honest evaluation on the fixed test set: digit-4 figures comparable with the reference,
//! the same for every digit, their macro averages, accuracy by sequence length, and the
//! running answer's accuracy at every position (what the page shows after each digit).

use burn::prelude::*;
use digitseq_model::DigitSeqNet;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

use digitseq_model::samples::{SAMPLES_FILE, Samples};

use crate::device::{self, DeviceChoice};
use crate::export;
use crate::mnist::{Digits, Split};
use crate::sequences::{LengthSpec, NUM_DIGITS, SequenceBatcher, SequenceSet, TEST_SEED};
use crate::training::REFERENCE_DIGIT;
use digitseq_model::{MAX_TRAINED_LEN, MIN_TRAINED_LEN};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    pub fn_: usize,
}

impl Confusion {
    pub fn add(&mut self, predicted: bool, actual: bool) {
        match (predicted, actual) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, false) => self.tn += 1,
            (false, true) => self.fn_ += 1,
        }
    }

    fn ratio(a: usize, b: usize) -> f64 {
        if b == 0 { 0.0 } else { a as f64 / b as f64 }
    }

    pub fn total(&self) -> usize {
        self.tp + self.fp + self.tn + self.fn_
    }

    pub fn accuracy(&self) -> f64 {
        Self::ratio(self.tp + self.tn, self.total())
    }

    pub fn precision(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fp)
    }

    pub fn recall(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fn_)
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigitScore {
    pub digit: usize,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Share of test sequences that contain the digit.
    pub positive_rate: f64,
}

impl DigitScore {
    fn new(digit: usize, c: &Confusion) -> Self {
        Self {
            digit,
            accuracy: c.accuracy(),
            precision: c.precision(),
            recall: c.recall(),
            f1: c.f1(),
            positive_rate: Confusion::ratio(c.tp + c.fn_, c.total()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LengthScore {
    pub length: usize,
    pub sequences: usize,
    /// Digit-4 accuracy over sequences of this length.
    pub accuracy: f64,
}

/// The running answer after `position` digits ("has d appeared so far?"), over every test
/// sequence at least that long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionScore {
    pub position: usize,
    pub sequences: usize,
    pub digit4_accuracy: f64,
    /// Mean over the ten digits.
    pub all_digits_accuracy: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestReport {
    pub sequences: usize,
    /// The reference's question: does the sequence contain a 4?
    pub digit4: DigitScore,
    pub per_digit: Vec<DigitScore>,
    pub macro_accuracy: f64,
    pub macro_f1: f64,
    /// Digit-4 accuracy for every length 3–30 (`PER_LENGTH` fixed sequences each).
    pub by_length: Vec<LengthScore>,
    /// The running answer at every position of the fixed test set's sequences.
    #[serde(default)]
    pub by_position: Vec<PositionScore>,
}

impl TestReport {
    /// The running answer's worst digit-4 accuracy over positions with at least `min`
    /// sequences (position, accuracy).
    pub fn worst_position(&self, min: usize) -> Option<(usize, f64)> {
        self.by_position
            .iter()
            .filter(|p| p.sequences >= min)
            .map(|p| (p.position, p.digit4_accuracy))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// Accumulates answers, then summarises them.
#[derive(Debug, Default)]
pub struct Tally {
    digits: Vec<Confusion>,
    /// Per length: confusion of the reference digit.
    lengths: std::collections::BTreeMap<usize, Confusion>,
    /// Per position (index 0 = after the first digit): each digit's confusion.
    positions: Vec<Vec<Confusion>>,
}

impl Tally {
    pub fn new() -> Self {
        Self {
            digits: vec![Confusion::default(); NUM_DIGITS],
            lengths: Default::default(),
            positions: Vec::new(),
        }
    }

    /// The running answers of sequences of length `len`: `probs` is `[sequences × len × 10]`
    /// (every step), `digits` the sequences' digits, `[sequences × len]`.
    pub fn add_running(&mut self, len: usize, probs: &[f32], digits: &[u8]) {
        if self.positions.len() < len {
            self.positions
                .resize(len, vec![Confusion::default(); NUM_DIGITS]);
        }
        for (steps, sequence) in probs.chunks(len * NUM_DIGITS).zip(digits.chunks(len)) {
            let mut seen = [false; NUM_DIGITS];
            for (t, (p, &digit)) in steps.chunks(NUM_DIGITS).zip(sequence).enumerate() {
                seen[digit as usize] = true;
                for d in 0..NUM_DIGITS {
                    self.positions[t][d].add(p[d] > 0.5, seen[d]);
                }
            }
        }
    }

    /// `probs` and `labels` are `[sequences × 10]`, row-major.
    pub fn add(&mut self, len: usize, probs: &[f32], labels: &[bool]) {
        for (p, l) in probs.chunks(NUM_DIGITS).zip(labels.chunks(NUM_DIGITS)) {
            for d in 0..NUM_DIGITS {
                self.digits[d].add(p[d] > 0.5, l[d]);
            }
            let d = REFERENCE_DIGIT;
            self.lengths.entry(len).or_default().add(p[d] > 0.5, l[d]);
        }
    }

    pub fn report(&self) -> TestReport {
        let per_digit: Vec<DigitScore> = self
            .digits
            .iter()
            .enumerate()
            .map(|(d, c)| DigitScore::new(d, c))
            .collect();
        let mean = |f: fn(&DigitScore) -> f64| {
            per_digit.iter().map(f).sum::<f64>() / per_digit.len() as f64
        };
        TestReport {
            sequences: self.digits[0].total(),
            digit4: per_digit[REFERENCE_DIGIT].clone(),
            macro_accuracy: mean(|s| s.accuracy),
            macro_f1: mean(|s| s.f1),
            by_length: self
                .lengths
                .iter()
                .map(|(&length, c)| LengthScore {
                    length,
                    sequences: c.total(),
                    accuracy: c.accuracy(),
                })
                .collect(),
            by_position: self
                .positions
                .iter()
                .enumerate()
                .map(|(t, digits)| PositionScore {
                    position: t + 1,
                    sequences: digits[0].total(),
                    digit4_accuracy: digits[REFERENCE_DIGIT].accuracy(),
                    all_digits_accuracy: digits.iter().map(Confusion::accuracy).sum::<f64>()
                        / NUM_DIGITS as f64,
                })
                .collect(),
            per_digit,
        }
    }
}

/// Probabilities `[size × steps × 10]` after every step of one batch's sequences.
pub fn predict(net: &DigitSeqNet, images: Tensor<4>) -> Vec<f32> {
    net.probabilities(images)
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32 output")
}

/// The last step's rows of `[size × len × 10]` probabilities: the answers about the whole
/// sequences, `[size × 10]`.
fn last_steps(probs: &[f32], len: usize) -> Vec<f32> {
    probs
        .chunks(len * NUM_DIGITS)
        .flat_map(|steps| &steps[(len - 1) * NUM_DIGITS..])
        .copied()
        .collect()
}

fn tally(net: &DigitSeqNet, set: &SequenceSet, device: &Device, tally: &mut Tally) {
    let batcher = SequenceBatcher {
        digits: set.digits.clone(),
    };
    for index in 0..set.batches {
        let raw = set.batch(index);
        let batch = batcher.tensors(&raw, device);
        let probs = predict(net, batch.images);
        tally.add(raw.len, &last_steps(&probs, raw.len), &raw.clean);
        tally.add_running(raw.len, &probs, &raw.digits);
    }
}

/// Positions reached by fewer test sequences than this are too few to rank.
pub const MIN_POSITION_SEQUENCES: usize = 100;

/// Sequences of each length from 3 to 30 in the length study.
pub const PER_LENGTH: usize = 200;

/// Runs `net` over the fixed test set on `device`. The test set's lengths follow the
/// training distribution (mostly 5–16), so accuracy by length comes from a separate fixed
/// study: `PER_LENGTH` sequences of every length 3–30, from the same test digits.
pub fn evaluate(net: &DigitSeqNet, set: &SequenceSet, device: &Device) -> TestReport {
    let mut main = Tally::new();
    tally(net, set, device, &mut main);
    let mut lengths = Tally::new();
    for len in MIN_TRAINED_LEN..=MAX_TRAINED_LEN {
        let spec = LengthSpec {
            min: len,
            max: len,
            mean: len as f64,
            std: 0.0,
        };
        let study = SequenceSet::new(
            set.digits.clone(),
            spec,
            PER_LENGTH,
            100,
            TEST_SEED + len as u64,
            0.0,
        )
        .expect("valid constants");
        tally(net, &study, device, &mut lengths);
    }
    TestReport {
        by_length: lengths.report().by_length,
        ..main.report()
    }
}

/// The reference's figures (digit 4, one epoch of 60k sequences): its README, and its code
/// rerun on this project's machine.
pub const REFERENCE: [(f64, f64, Option<f64>); 4] = [
    (0.0, 98.8, Some(99.06)),
    (0.2, 97.0, Some(97.75)),
    (0.4, 94.9, Some(95.81)),
    (0.5, 50.0, None),
];

/// The fixed test set: sequences of MNIST test digits, the same every time.
pub fn load_test_set(data_dir: &Path) -> anyhow::Result<SequenceSet> {
    Ok(SequenceSet::test_set(Arc::new(Digits::load(
        data_dir,
        Split::Test,
    )?)))
}

/// `trainer eval`: exported weights on the fixed test set.
pub fn eval(weights_dir: &Path, data_dir: &Path, device: DeviceChoice) -> anyhow::Result<()> {
    let selected = device::select(device)?;
    let (net, manifest) = export::load(weights_dir, &selected.device)?;
    let report = evaluate(&net, &load_test_set(data_dir)?, &selected.device);
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
    if let Some((position, accuracy)) = report.worst_position(MIN_POSITION_SEQUENCES) {
        println!(
            "running answer: digit 4 at every position ≥ {:.2}% (worst after {position} digits)",
            100.0 * accuracy
        );
    }
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// `trainer predict`: what the page must show for a sequence of shipped sample digits.
pub fn print_predictions(weights_dir: &Path, indices: &[usize]) -> anyhow::Result<()> {
    let device = Device::flex();
    let (net, _) = export::load(weights_dir, &device)?;
    let samples = Samples::decode(&std::fs::read(weights_dir.join(SAMPLES_FILE))?)?;
    if let Some(bad) = indices.iter().find(|&&i| i >= samples.len()) {
        anyhow::bail!("sample {bad} does not exist ({} samples)", samples.len());
    }
    let pixels: Vec<f32> = indices.iter().flat_map(|&i| samples.image(i)).collect();
    let n = indices.len();
    let images = Tensor::<4>::from_data(TensorData::new(pixels, [1, n, 28, 28]), &device);
    let probs = net
        .probabilities(images)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_figures() {
        let mut c = Confusion::default();
        for (p, a) in [
            (true, true),
            (true, true),
            (true, false),
            (false, true),
            (false, false),
        ] {
            c.add(p, a);
        }
        assert_eq!(c.accuracy(), 0.6);
        assert!((c.precision() - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.recall() - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.f1() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(Confusion::default().f1(), 0.0);
    }

    #[test]
    fn tally_scores_digits_and_lengths() {
        let mut t = Tally::new();
        let mut probs = vec![0.0f32; 20];
        let mut labels = vec![false; 20];
        // Sequence 0 contains a 4 and the model says so; sequence 1 doesn't but it says yes.
        labels[4] = true;
        probs[4] = 0.9;
        probs[14] = 0.8;
        t.add(5, &probs, &labels);
        let r = t.report();
        assert_eq!(r.sequences, 2);
        assert_eq!(r.digit4.accuracy, 0.5);
        assert_eq!(r.per_digit[0].accuracy, 1.0);
        assert_eq!(
            r.by_length,
            vec![LengthScore {
                length: 5,
                sequences: 2,
                accuracy: 0.5
            }]
        );
        assert!((r.macro_accuracy - 0.95).abs() < 1e-12);
    }
}
