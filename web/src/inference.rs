//! Running the network on the digits of the pad, incrementally: per-digit CNN features are
//! cached by image, and the LSTM state after every position is kept, so a change reads again
//! only from the first changed digit. Backend-free: the page hands in a WebGPU or CPU device.

use std::collections::HashMap;
use std::fmt;

use burn::prelude::*;
use burn::tensor::TensorData;
use digitseq_model::{DigitSeqNet, IMAGE_SIDE, SequenceState};

use crate::answer::{Probabilities, sigmoid};
use crate::incremental::{FeatureCache, Plan, image_key};

/// Features kept for images no longer on the pad (undo, redraw): a few pads' worth.
const FEATURE_CACHE_CAPACITY: usize = 256;

/// Where the network runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The browser's GPU through burn's wgpu runtime.
    WebGpu,
    /// burn's `flex` backend on the CPU, in wasm.
    Cpu,
}

impl Backend {
    /// The name the page shows (`#backend`) and the URL accepts (`?backend=`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::WebGpu => "webgpu",
            Backend::Cpu => "cpu",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "webgpu" | "gpu" => Some(Backend::WebGpu),
            "cpu" | "flex" => Some(Backend::Cpu),
            _ => None,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failed reading: the device could not run or read back (e.g. the GPU was lost).
#[derive(Debug, Clone)]
pub struct InferenceError(pub String);

impl fmt::Display for InferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One reading of the pad.
#[derive(Debug, Clone)]
pub struct Reading {
    /// Sigmoid outputs after every position, `[position][digit]`.
    pub probabilities: Probabilities,
    /// LSTM steps run this time (the rest were reused).
    pub steps: usize,
    /// Digit images whose features had to be computed this time.
    pub computed: usize,
}

/// The network on one device, with what it remembers from the last reading.
pub struct Engine {
    pub backend: Backend,
    net: DigitSeqNet,
    device: Device,
    features: FeatureCache<Tensor<2>>,
    /// Image keys of the last reading, and the LSTM state and outputs after each position.
    keys: Vec<u64>,
    states: Vec<SequenceState>,
    probabilities: Probabilities,
}

impl Engine {
    pub fn new(net: DigitSeqNet, device: Device, backend: Backend) -> Self {
        Self {
            backend,
            net,
            device,
            features: FeatureCache::new(FEATURE_CACHE_CAPACITY),
            keys: Vec::new(),
            states: Vec::new(),
            probabilities: Vec::new(),
        }
    }

    /// Drops everything remembered (after the warm-up, or when a reading failed half-way).
    pub fn forget(&mut self) {
        self.features.clear();
        self.keys.clear();
        self.states.clear();
        self.probabilities.clear();
    }

    /// Reads the digits (28×28 images in [0, 1], ink = 1, left to right) and returns the
    /// probabilities after every position. Only the first changed digit onwards is read
    /// again; one async readback at the end, so it is safe on WebGPU in the browser.
    pub async fn read(&mut self, images: &[&[f32]]) -> Result<Reading, InferenceError> {
        let keys: Vec<u64> = images.iter().map(|image| image_key(image)).collect();
        let plan = Plan::new(&self.keys, &keys, |key| self.features.contains(key));
        self.keys.truncate(plan.keep);
        self.states.truncate(plan.keep);
        self.probabilities.truncate(plan.keep);
        let steps = plan.steps(keys.len());
        if steps == 0 {
            self.keys = keys;
            return Ok(self.reading(0, 0));
        }

        // New features in one batch: one CNN pass however many digits changed.
        let mut fresh: HashMap<u64, Tensor<2>> = HashMap::new();
        if !plan.compute.is_empty() {
            let count = plan.compute.len();
            let pixels: Vec<f32> = plan
                .compute
                .iter()
                .flat_map(|key| {
                    let position = keys.iter().position(|k| k == key).expect("planned key");
                    images[position].iter().copied()
                })
                .collect();
            let batch = Tensor::<3>::from_data(
                TensorData::new(pixels, [count, IMAGE_SIDE, IMAGE_SIDE]),
                &self.device,
            );
            let features = self.net.digit_features(batch);
            for (key, row) in plan.compute.iter().zip(features.chunk(count, 0)) {
                fresh.insert(*key, row);
            }
        }

        // One LSTM step per position, keeping each state for the next incremental reading.
        let mut state = self.states.last().cloned();
        let mut logits = Vec::with_capacity(steps);
        for key in &keys[plan.keep..] {
            let feature = match fresh.get(key) {
                Some(feature) => feature.clone(),
                None => self.features.get(*key).expect("planned as cached").clone(),
            };
            let [_, embed] = feature.dims();
            let (step_logits, next) = self.net.read(feature.reshape([1, 1, embed]), state);
            self.states.push(next.clone());
            state = Some(next);
            logits.push(step_logits);
        }
        let computed = fresh.len();
        for (key, feature) in fresh {
            self.features.insert(key, feature);
        }

        let data = Tensor::cat(logits, 1).into_data_async().await;
        let values = match data.map(|d| d.try_into_vec_as::<f32>()) {
            Ok(Ok(values)) => values,
            Ok(Err(e)) => return Err(self.fail(format!("unexpected output data: {e:?}"))),
            Err(e) => return Err(self.fail(format!("{e}"))),
        };
        let outputs = values.len() / steps;
        for row in values.chunks(outputs) {
            let mut probabilities = [0.0f32; 10];
            for (p, &logit) in probabilities.iter_mut().zip(row) {
                *p = sigmoid(logit);
            }
            self.probabilities.push(probabilities);
        }
        self.keys = keys;
        Ok(self.reading(steps, computed))
    }

    fn reading(&self, steps: usize, computed: usize) -> Reading {
        Reading {
            probabilities: self.probabilities.clone(),
            steps,
            computed,
        }
    }

    /// A failed device leaves states of unknown worth behind: forget them all.
    fn fail(&mut self, message: String) -> InferenceError {
        self.forget();
        InferenceError(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use digitseq_model::{DigitSeqConfig, IMAGE_PIXELS};
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    /// flex reads back at once, so polling until ready never spins for long.
    fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    /// Deterministic pseudo-random digit images.
    fn image(seed: u32) -> Vec<f32> {
        let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..IMAGE_PIXELS)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                if x.is_multiple_of(3) {
                    (x % 1000) as f32 / 1000.0
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The answer of the whole network on the whole sequence, read the plain way.
    fn full(net: &DigitSeqNet, device: &Device, images: &[Vec<f32>]) -> Vec<f32> {
        let pixels: Vec<f32> = images.iter().flatten().copied().collect();
        let input = Tensor::<4>::from_data(
            TensorData::new(pixels, [1, images.len(), IMAGE_SIDE, IMAGE_SIDE]),
            device,
        );
        let logits: Vec<f32> = net.forward(input).into_data().try_into_vec_as().unwrap();
        logits.into_iter().map(sigmoid).collect()
    }

    fn assert_close(reading: &Reading, expected: &[f32]) {
        let got: Vec<f32> = reading.probabilities.iter().flatten().copied().collect();
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(expected) {
            assert!((g - e).abs() < 1e-5, "{g} vs {e}");
        }
    }

    #[test]
    fn incremental_readings_match_reading_from_scratch() {
        let device = Device::flex();
        let net = DigitSeqConfig::new().init(&device);
        let mut engine = Engine::new(net.clone(), device.clone(), Backend::Cpu);
        let read = |engine: &mut Engine, seq: &[Vec<f32>]| {
            let refs: Vec<&[f32]> = seq.iter().map(Vec::as_slice).collect();
            block_on(engine.read(&refs)).unwrap()
        };

        let mut seq: Vec<Vec<f32>> = (0..4).map(image).collect();
        let first = read(&mut engine, &seq);
        assert_eq!((first.steps, first.computed), (4, 4));
        assert_close(&first, &full(&net, &device, &seq));

        // A digit added at the end: one step, one new feature.
        seq.push(image(10));
        let appended = read(&mut engine, &seq);
        assert_eq!((appended.steps, appended.computed), (1, 1));
        assert_close(&appended, &full(&net, &device, &seq));

        // A digit in the middle redrawn: read from there, one new feature.
        seq[1] = image(11);
        let changed = read(&mut engine, &seq);
        assert_eq!((changed.steps, changed.computed), (4, 1));
        assert_close(&changed, &full(&net, &device, &seq));

        // Undo of the last digit: nothing to run.
        seq.pop();
        let undone = read(&mut engine, &seq);
        assert_eq!((undone.steps, undone.computed), (0, 0));
        assert_close(&undone, &full(&net, &device, &seq));

        // The old middle digit back (undo of the redraw): its features are still cached.
        seq[1] = image(1);
        let restored = read(&mut engine, &seq);
        assert_eq!((restored.steps, restored.computed), (3, 0));
        assert_close(&restored, &full(&net, &device, &seq));

        // Same digit twice in a fresh sequence after forgetting: computed once.
        engine.forget();
        let twice = vec![image(3), image(3), image(4)];
        let reading = read(&mut engine, &twice);
        assert_eq!((reading.steps, reading.computed), (3, 2));
        assert_close(&reading, &full(&net, &device, &twice));

        // Empty pad.
        let empty = read(&mut engine, &[]);
        assert!(empty.probabilities.is_empty());
    }

    #[test]
    fn backend_names_round_trip() {
        for backend in [Backend::WebGpu, Backend::Cpu] {
            assert_eq!(Backend::parse(backend.name()), Some(backend));
        }
        assert_eq!(Backend::parse(" WebGPU "), Some(Backend::WebGpu));
        assert_eq!(Backend::parse("tpu"), None);
    }
}
