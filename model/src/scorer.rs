//! How much a crop looks like one MNIST digit, rather than two digits run together or a
//! piece of one: what segmentation asks where the geometry of a row is ambiguous (tight,
//! slanted, touching writing). A small CNN with eleven outputs, the digits 0–9 and "not one
//! digit", trained by `trainer scorer` from MNIST alone (single digits against merged pairs
//! and fragments, docs/segmentation.md). Its weights ship inside this crate (`scorer.bpk`),
//! so the page and native tools segment alike; it runs on burn flex, synchronously.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use burn::tensor::activation::log_softmax;

use crate::conv;
use crate::{IMAGE_PIXELS, IMAGE_SIDE, MNIST_MEAN, MNIST_STD};

/// The scorer's classes: digits 0–9, then this one.
pub const NOT_ONE_DIGIT: usize = 10;
const CLASSES: usize = 11;
const CONV1_CHANNELS: usize = 16;
const CONV2_CHANNELS: usize = 32;
/// 28 →conv 26 →pool 13 →conv 11 →pool 5.
const CONV_OUT_SIDE: usize = 5;
const HIDDEN: usize = 64;

/// The trained weights (written by `trainer scorer`).
const SHIPPED: &[u8] = include_bytes!("../scorer.bpk");

#[derive(Module, Debug)]
pub struct DigitScorer {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    activation: Relu,
    hidden: Linear,
    out: Linear,
}

impl DigitScorer {
    /// Freshly initialised (for training).
    pub fn new(device: &Device) -> Self {
        Self {
            conv1: Conv2dConfig::new([1, CONV1_CHANNELS], [3, 3]).init(device),
            conv2: Conv2dConfig::new([CONV1_CHANNELS, CONV2_CHANNELS], [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            activation: Relu::new(),
            hidden: LinearConfig::new(CONV2_CHANNELS * CONV_OUT_SIDE * CONV_OUT_SIDE, HIDDEN)
                .init(device),
            out: LinearConfig::new(HIDDEN, CLASSES).init(device),
        }
    }

    /// The weights that ship with this crate, on the CPU.
    pub fn shipped() -> Self {
        Self::from_bytes(SHIPPED.to_vec(), &Device::flex())
            .expect("scorer.bpk is written by `trainer scorer` for this network")
    }

    pub fn from_bytes(bytes: Vec<u8>, device: &Device) -> Result<Self, String> {
        let record =
            ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| e.to_string())?;
        Self::new(device)
            .try_load_record(record)
            .map_err(|e| e.to_string())
    }

    pub fn to_bytes(self) -> Result<Vec<u8>, String> {
        Ok(self
            .into_record()
            .into_bytes()
            .map_err(|e| e.to_string())?
            .to_vec())
    }

    /// `[n, 28, 28]` images, intensities in [0, 1] (ink = 1) → logits `[n, 11]`.
    pub fn forward(&self, images: Tensor<3>) -> Tensor<2> {
        let [n, h, w] = images.dims();
        let x = ((images - MNIST_MEAN) / MNIST_STD).reshape([n, 1, h, w]);
        let x = conv::conv_relu_pool(&self.conv1, &self.pool, x);
        let x = conv::conv_relu_pool(&self.conv2, &self.pool, x);
        let x = self
            .activation
            .forward(self.hidden.forward(x.flatten::<2>(1, 3)));
        self.out.forward(x)
    }

    /// ln P(one digit) of each 28×28 image (rendered as `preprocess::render_mnist_style`
    /// does): the log of one minus the "not one digit" probability.
    pub fn one_digit_log_probability(&self, images: &[Vec<f32>]) -> Vec<f32> {
        if images.is_empty() {
            return Vec::new();
        }
        let device = self.out.weight.device();
        let pixels: Vec<f32> = images.iter().flatten().copied().collect();
        assert_eq!(
            pixels.len(),
            images.len() * IMAGE_PIXELS,
            "28×28 images only"
        );
        let x = Tensor::<3>::from_data(
            TensorData::new(pixels, [images.len(), IMAGE_SIDE, IMAGE_SIDE]),
            &device,
        );
        let log_p = log_softmax(self.forward(x), 1);
        let not_one = log_p.slice(s![.., NOT_ONE_DIGIT..NOT_ONE_DIGIT + 1]);
        // ln(1 − p) from ln p, without cancellation where p is tiny.
        let one = (-not_one.exp()).log1p().clamp_min(-30.0);
        one.into_data().try_to_vec::<f32>().expect("f32 scores")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::{Point, Stroke, render_mnist_style};

    fn ring(cx: f32) -> Stroke {
        Stroke {
            points: (0..=24)
                .map(|k| {
                    let a = k as f32 / 24.0 * std::f32::consts::TAU;
                    Point {
                        x: cx + 20.0 * a.cos(),
                        y: 60.0 + 30.0 * a.sin(),
                    }
                })
                .collect(),
        }
    }

    fn line(from: (f32, f32), to: (f32, f32)) -> Stroke {
        Stroke {
            points: vec![
                Point {
                    x: from.0,
                    y: from.1,
                },
                Point { x: to.0, y: to.1 },
            ],
        }
    }

    #[test]
    fn the_shipped_weights_tell_one_digit_from_two_and_from_a_bar() {
        let scorer = DigitScorer::shipped();
        let (zero, other_zero) = (ring(100.0), ring(141.0));
        // A 1 leaning right, as most are written.
        let one = line((108.0, 20.0), (96.0, 100.0));
        let bar = line((100.0, 20.0), (160.0, 21.0));
        let images = [
            render_mnist_style(&[&zero]),
            render_mnist_style(&[&one]),
            render_mnist_style(&[&zero, &other_zero]),
            render_mnist_style(&[&bar]),
        ];
        let p: Vec<f32> = scorer
            .one_digit_log_probability(&images)
            .iter()
            .map(|l| l.exp())
            .collect();
        assert!(p[0] > 0.5 && p[1] > 0.5, "single digits: {p:?}");
        assert!(p[2] < 0.5 && p[3] < 0.5, "two zeros, a bar: {p:?}");
    }

    #[test]
    fn weights_for_another_network_are_an_error() {
        assert!(DigitScorer::from_bytes(vec![1, 2, 3], &Device::flex()).is_err());
    }
}
