//! Random digit sequences from one MNIST split, as the reference builds them: a length per
//! batch drawn from Normal(mean, std), truncated to an integer and clamped; digits drawn
//! uniformly at random from the split; ten labels per sequence ("contains d?" for d = 0–9),
//! each flipped with probability `wsr` for weak supervision. Everything is a pure function
//! of (seed, batch index), so a set is identical on every run and every machine.
//!
//! (Long with its tests: ~290 lines of code.)

use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::prelude::*;
use digitseq_model::IMAGE_SIDE;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution as _, Normal};
use serde::{Deserialize, Serialize};

use crate::augment::{AugmentSpec, Distortion};
use crate::mnist::Digits;

pub const NUM_DIGITS: usize = 10;
/// The fixed test set: 10,000 sequences of MNIST test digits, seed 4, batches of 100.
pub const TEST_SEED: u64 = 4;
pub const TEST_SEQUENCES: usize = 10_000;
pub const TEST_BATCH: usize = 100;

/// How sequence lengths are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LengthSpec {
    pub min: usize,
    pub max: usize,
    pub mean: f64,
    pub std: f64,
}

impl Default for LengthSpec {
    fn default() -> Self {
        Self {
            min: 3,
            max: 30,
            mean: 10.0,
            std: 3.0,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpecError {
    #[error("sequence length bounds must satisfy 1 ≤ min ≤ max, got min {min}, max {max}")]
    Bounds { min: usize, max: usize },
    #[error("length std must be finite and ≥ 0, got {0}")]
    Std(f64),
    #[error("--wsr must be a probability between 0 and 1, got {0}")]
    Wsr(f64),
    #[error("a sequence set needs digits to draw from, and batches of at least one sequence")]
    Empty,
}

impl LengthSpec {
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.min == 0 || self.min > self.max {
            return Err(SpecError::Bounds {
                min: self.min,
                max: self.max,
            });
        }
        if !(self.std.is_finite() && self.std >= 0.0 && self.mean.is_finite()) {
            return Err(SpecError::Std(self.std));
        }
        Ok(())
    }

    fn sample(&self, rng: &mut Xoshiro256PlusPlus) -> usize {
        let x = Normal::new(self.mean, self.std)
            .expect("validated")
            .sample(rng);
        // Truncate toward zero like Python's int(), then clamp.
        (x.trunc().max(0.0) as usize).clamp(self.min, self.max)
    }
}

/// One batch as drawn, before it becomes tensors: `len` digits for each of `size` sequences.
#[derive(Debug, Clone, PartialEq)]
pub struct RawBatch {
    pub len: usize,
    pub size: usize,
    /// Index into the split of each digit, sequence-major (`size × len`).
    pub indices: Vec<u32>,
    /// Its class (0–9), same layout.
    pub digits: Vec<u8>,
    /// True labels, `size × 10`: does sequence i contain digit d?
    pub clean: Vec<bool>,
    /// Labels as given to training: `clean` with each entry flipped with probability wsr.
    pub noisy: Vec<bool>,
    /// One distortion per digit when the set is augmented, else empty.
    pub distortions: Vec<Distortion>,
}

/// A deterministic set of sequence batches drawn from one split.
#[derive(Clone)]
pub struct SequenceSet {
    pub digits: Arc<Digits>,
    pub lengths: LengthSpec,
    pub batch_size: usize,
    pub batches: usize,
    pub seed: u64,
    pub wsr: f64,
    /// Distort every digit (training only; evaluation sets stay plain MNIST).
    pub augment: Option<AugmentSpec>,
}

impl SequenceSet {
    pub fn new(
        digits: Arc<Digits>,
        lengths: LengthSpec,
        sequences: usize,
        batch_size: usize,
        seed: u64,
        wsr: f64,
    ) -> Result<Self, SpecError> {
        lengths.validate()?;
        if !(0.0..=1.0).contains(&wsr) {
            return Err(SpecError::Wsr(wsr));
        }
        if digits.is_empty() || batch_size == 0 {
            return Err(SpecError::Empty);
        }
        Ok(Self {
            digits,
            lengths,
            batch_size,
            batches: sequences.div_ceil(batch_size),
            seed,
            wsr,
            augment: None,
        })
    }

    pub fn with_augment(self, augment: Option<AugmentSpec>) -> Self {
        Self { augment, ..self }
    }

    /// The fixed test set over the MNIST test digits: never flipped, same everywhere.
    pub fn test_set(test_digits: Arc<Digits>) -> Self {
        Self::new(
            test_digits,
            LengthSpec::default(),
            TEST_SEQUENCES,
            TEST_BATCH,
            TEST_SEED,
            0.0,
        )
        .expect("constants are valid")
    }

    #[cfg(test)]
    pub fn sequences(&self) -> usize {
        self.batches * self.batch_size
    }

    pub fn batch(&self, index: usize) -> RawBatch {
        // Mixing the index into the seed makes every batch independent of the others, so
        // any worker can draw any batch in any order and get the same result.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(
            self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (index as u64).wrapping_add(1),
        );
        let len = self.lengths.sample(&mut rng);
        let size = self.batch_size;
        let n = self.digits.len();
        let indices: Vec<u32> = (0..size * len)
            .map(|_| rng.random_range(0..n) as u32)
            .collect();
        let digits: Vec<u8> = indices
            .iter()
            .map(|&i| self.digits.labels[i as usize])
            .collect();
        let mut clean = vec![false; size * NUM_DIGITS];
        for (seq, chunk) in digits.chunks(len).enumerate() {
            for &d in chunk {
                clean[seq * NUM_DIGITS + d as usize] = true;
            }
        }
        let noisy = clean
            .iter()
            .map(|&label| label ^ (self.wsr > 0.0 && rng.random_bool(self.wsr)))
            .collect();
        // Drawn last, so that augmenting never changes which digits or labels a batch has.
        let distortions = match &self.augment {
            Some(spec) => (0..size * len).map(|_| spec.sample(&mut rng)).collect(),
            None => Vec::new(),
        };
        RawBatch {
            len,
            size,
            indices,
            digits,
            clean,
            noisy,
            distortions,
        }
    }
}

impl Dataset<RawBatch> for SequenceSet {
    fn get(&self, index: usize) -> Result<RawBatch, burn::data::dataset::DatasetError> {
        Ok(self.batch(index))
    }

    fn len(&self) -> usize {
        self.batches
    }
}

/// Tensors of one batch.
#[derive(Debug, Clone)]
pub struct SequenceBatch {
    /// `[size, len, 28, 28]`, intensities in [0, 1].
    pub images: Tensor<4>,
    /// Labels to learn from, `[size, 10]` (flipped ones included).
    pub noisy: Tensor<2, Int>,
    /// True labels, `[size, 10]`.
    pub clean: Tensor<2, Int>,
    /// True labels of every prefix, `[size, len, 10]`: has digit d appeared among the first
    /// t + 1 digits? (`None` where nothing trains on them, e.g. the benchmark.)
    pub running: Option<Tensor<3, Int>>,
}

/// Turns a drawn batch into tensors; runs on the data loader's worker threads.
#[derive(Clone)]
pub struct SequenceBatcher {
    pub digits: Arc<Digits>,
}

impl SequenceBatcher {
    pub fn pixels(&self, raw: &RawBatch) -> Vec<f32> {
        if raw.distortions.is_empty() {
            return raw
                .indices
                .iter()
                .flat_map(|&i| self.digits.image(i as usize))
                .map(|&p| p as f32 / 255.0)
                .collect();
        }
        let side = IMAGE_SIDE * IMAGE_SIDE;
        let mut pixels = vec![0.0; raw.indices.len() * side];
        for ((&i, distortion), out) in raw
            .indices
            .iter()
            .zip(&raw.distortions)
            .zip(pixels.chunks_exact_mut(side))
        {
            distortion.apply(self.digits.image(i as usize), out);
        }
        pixels
    }

    pub fn tensors(&self, raw: &RawBatch, device: &Device) -> SequenceBatch {
        let labels = |v: &[bool]| {
            Tensor::from_data(
                TensorData::new(
                    v.iter().map(|&b| b as i64).collect::<Vec<_>>(),
                    [raw.size, NUM_DIGITS],
                ),
                device,
            )
        };
        SequenceBatch {
            images: Tensor::from_data(
                TensorData::new(
                    self.pixels(raw),
                    [raw.size, raw.len, IMAGE_SIDE, IMAGE_SIDE],
                ),
                device,
            ),
            noisy: labels(&raw.noisy),
            clean: labels(&raw.clean),
            running: Some(Tensor::from_data(
                TensorData::new(running_labels(raw), [raw.size, raw.len, NUM_DIGITS]),
                device,
            )),
        }
    }
}

/// `[size × len × 10]`: after each digit of each sequence, which digits have appeared.
fn running_labels(raw: &RawBatch) -> Vec<i64> {
    let mut labels = Vec::with_capacity(raw.size * raw.len * NUM_DIGITS);
    for sequence in raw.digits.chunks(raw.len) {
        let mut seen = [0i64; NUM_DIGITS];
        for &digit in sequence {
            seen[digit as usize] = 1;
            labels.extend_from_slice(&seen);
        }
    }
    labels
}

impl Batcher<RawBatch, SequenceBatch> for SequenceBatcher {
    /// The loader hands over one pre-drawn batch at a time (loader batch size 1): every
    /// sequence in a batch must share one length.
    fn batch(&self, items: Vec<RawBatch>, device: &Device) -> SequenceBatch {
        assert_eq!(items.len(), 1, "sequence loaders use batch_size(1)");
        self.tensors(&items[0], device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(n: usize) -> Arc<Digits> {
        Arc::new(Digits {
            images: (0..n * 784).map(|i| (i % 251) as u8).collect(),
            labels: (0..n).map(|i| (i * 7 % 10) as u8).collect(),
        })
    }

    fn set(wsr: f64, seed: u64) -> SequenceSet {
        SequenceSet::new(digits(500), LengthSpec::default(), 6400, 64, seed, wsr).unwrap()
    }

    #[test]
    fn lengths_stay_in_bounds_follow_the_normal_and_are_shared_within_a_batch() {
        let set = set(0.0, 1);
        let lens: Vec<usize> = (0..set.batches).map(|i| set.batch(i).len).collect();
        assert!(lens.iter().all(|l| (3..=30).contains(l)));
        let mean = lens.iter().sum::<usize>() as f64 / lens.len() as f64;
        // int() truncation of N(10, 3) has mean ≈ 9.5.
        assert!((8.8..10.2).contains(&mean), "mean length {mean}");
        for i in 0..5 {
            let b = set.batch(i);
            assert_eq!(b.indices.len(), b.size * b.len);
            assert_eq!(b.clean.len(), b.size * NUM_DIGITS);
        }
        let short = LengthSpec {
            min: 3,
            max: 4,
            mean: 10.0,
            std: 3.0,
        };
        let s = SequenceSet::new(digits(50), short, 640, 64, 2, 0.0).unwrap();
        assert!((0..10).all(|i| (3..=4).contains(&s.batch(i).len)));
    }

    #[test]
    fn labels_say_which_digits_each_sequence_contains() {
        let set = set(0.0, 3);
        for i in 0..10 {
            let b = set.batch(i);
            for seq in 0..b.size {
                let seq_digits = &b.digits[seq * b.len..(seq + 1) * b.len];
                for d in 0..10u8 {
                    assert_eq!(b.clean[seq * 10 + d as usize], seq_digits.contains(&d));
                }
                for (pos, &idx) in b.indices[seq * b.len..(seq + 1) * b.len].iter().enumerate() {
                    assert_eq!(set.digits.labels[idx as usize], seq_digits[pos]);
                }
            }
            assert_eq!(b.clean, b.noisy, "no flips at wsr 0");
        }
    }

    #[test]
    fn flip_rate_matches_wsr_and_clean_labels_are_untouched() {
        for wsr in [0.2, 0.4, 0.5] {
            let noisy = set(wsr, 5);
            let clean = set(0.0, 5);
            let (mut flips, mut total) = (0usize, 0usize);
            for i in 0..noisy.batches {
                let (a, b) = (noisy.batch(i), clean.batch(i));
                assert_eq!(a.clean, b.clean, "clean labels do not depend on wsr");
                flips += a.clean.iter().zip(&a.noisy).filter(|(x, y)| x != y).count();
                total += a.clean.len();
            }
            let rate = flips as f64 / total as f64;
            // 64,000 labels: 4 standard deviations is below 0.008.
            assert!((rate - wsr).abs() < 0.008, "wsr {wsr}: flip rate {rate}");
        }
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        assert_eq!(set(0.2, 9).batch(17), set(0.2, 9).batch(17));
        assert_ne!(set(0.2, 9).batch(17), set(0.2, 10).batch(17));
        assert_ne!(set(0.2, 9).batch(17), set(0.2, 9).batch(18));
    }

    #[test]
    fn augmenting_distorts_pixels_but_keeps_digits_and_labels() {
        let plain = set(0.2, 12);
        let augmented = set(0.2, 12).with_augment(Some(AugmentSpec::MILD));
        let (a, b) = (plain.batch(3), augmented.batch(3));
        assert_eq!((a.len, &a.indices, &a.noisy), (b.len, &b.indices, &b.noisy));
        assert!(a.distortions.is_empty());
        assert_eq!(b.distortions.len(), b.indices.len());
        let batcher = SequenceBatcher {
            digits: plain.digits.clone(),
        };
        let (pa, pb) = (batcher.pixels(&a), batcher.pixels(&b));
        assert_eq!(pa.len(), pb.len());
        assert_ne!(pa, pb);
        assert!(pb.iter().all(|p| (0.0..=1.0).contains(p)));
        assert_eq!(b, augmented.batch(3), "distortions are deterministic too");
    }

    #[test]
    fn the_test_set_is_fixed_and_never_flipped() {
        let t = SequenceSet::test_set(digits(1000));
        assert_eq!(t.sequences(), TEST_SEQUENCES);
        assert_eq!(t.wsr, 0.0);
        let b = t.batch(0);
        assert_eq!(b.clean, b.noisy);
        assert_eq!(b, SequenceSet::test_set(digits(1000)).batch(0));
    }

    #[test]
    fn bad_parameters_are_clear_errors() {
        let d = digits(10);
        let bad_wsr = SequenceSet::new(d.clone(), LengthSpec::default(), 10, 2, 0, 1.5);
        assert_eq!(bad_wsr.err(), Some(SpecError::Wsr(1.5)));
        let bounds = LengthSpec {
            min: 5,
            max: 4,
            ..Default::default()
        };
        assert!(matches!(
            SequenceSet::new(d.clone(), bounds, 10, 2, 0, 0.0),
            Err(SpecError::Bounds { .. })
        ));
        assert!(SequenceSet::new(d, LengthSpec::default(), 10, 2, 0, 1.0).is_ok());
    }

    #[test]
    fn batcher_lays_out_pixels_sequence_major_in_unit_range() {
        let set = set(0.0, 11);
        let batcher = SequenceBatcher {
            digits: set.digits.clone(),
        };
        let raw = set.batch(0);
        let batch = batcher.tensors(&raw, &Device::flex());
        assert_eq!(batch.images.dims(), [raw.size, raw.len, 28, 28]);
        let pixels = batch
            .images
            .clone()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let second = raw.indices[1] as usize;
        assert_eq!(pixels[784 + 5], set.digits.image(second)[5] as f32 / 255.0);
        assert!(pixels.iter().all(|p| (0.0..=1.0).contains(p)));
    }

    #[test]
    fn running_labels_say_which_digits_appeared_so_far_and_end_on_the_sequence_label() {
        let set = set(0.3, 11);
        let raw = set.batch(2);
        let running = running_labels(&raw);
        assert_eq!(running.len(), raw.size * raw.len * NUM_DIGITS);
        for (i, sequence) in raw.digits.chunks(raw.len).enumerate() {
            for t in 0..raw.len {
                let row = &running[(i * raw.len + t) * NUM_DIGITS..][..NUM_DIGITS];
                for (d, &label) in row.iter().enumerate() {
                    let seen = sequence[..=t].contains(&(d as u8));
                    assert_eq!(label == 1, seen, "sequence {i}, step {t}, digit {d}");
                }
            }
            // The last step's are the clean sequence labels, never the flipped ones.
            let last = &running[(i * raw.len + raw.len - 1) * NUM_DIGITS..][..NUM_DIGITS];
            let clean = &raw.clean[i * NUM_DIGITS..][..NUM_DIGITS];
            assert!(last.iter().zip(clean).all(|(&r, &c)| (r == 1) == c));
        }
    }
}
