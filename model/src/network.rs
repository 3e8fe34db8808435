use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use crate::conv;
use crate::lstm::{FusedLstm, LstmState};
use crate::{DigitSeqConfig, IMAGE_SIDE, MNIST_MEAN, MNIST_STD};

/// The LSTM state of every layer after some prefix of a sequence: what lets the page resume
/// reading after the last unchanged digit instead of starting over.
pub type SequenceState = Vec<LstmState>;

/// A CNN reads each digit into a feature vector; an LSTM reads the vectors left to right;
/// a linear head after every step answers "has digit d appeared so far?" for each d.
#[derive(Module, Debug)]
pub struct DigitSeqNet {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
    pool: MaxPool2d,
    activation: Relu,
    embed: Linear,
    lstm: Vec<FusedLstm>,
    head: Linear,
    feature_norm: bool,
}

impl DigitSeqNet {
    pub fn new(config: &DigitSeqConfig, device: &Device) -> Self {
        let conv = |from, to| Conv2dConfig::new([from, to], [3, 3]).init(device);
        let lstm = (0..config.lstm_layers)
            .map(|layer| {
                let input = if layer == 0 {
                    config.embed_dim
                } else {
                    config.lstm_hidden
                };
                FusedLstm::new(input, config.lstm_hidden, device)
            })
            .collect();
        Self {
            conv1: conv(1, config.conv1_channels),
            conv2: conv(config.conv1_channels, config.conv2_channels),
            conv3: conv(config.conv2_channels, config.conv3_channels),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            activation: Relu::new(),
            embed: LinearConfig::new(config.conv_features(), config.embed_dim).init(device),
            lstm,
            head: LinearConfig::new(config.lstm_hidden, config.num_digits).init(device),
            feature_norm: config.feature_norm,
        }
    }

    /// Per-digit features: `[n, 28, 28]` images with intensities in [0, 1] (ink = 1) →
    /// `[n, embed_dim]`. The MNIST standardisation happens here, once for every caller.
    pub fn digit_features(&self, digits: Tensor<3>) -> Tensor<2> {
        let [n, h, w] = digits.dims();
        debug_assert_eq!([h, w], [IMAGE_SIDE, IMAGE_SIDE]);
        let x = ((digits - MNIST_MEAN) / MNIST_STD).reshape([n, 1, h, w]);
        let x = conv::conv_relu_pool(&self.conv1, &self.pool, x);
        let x = conv::conv_relu_pool(&self.conv2, &self.pool, x);
        let x = conv::conv_relu(&self.conv3, x);
        let x = x.flatten::<2>(1, 3);
        let features = self.activation.forward(self.embed.forward(x));
        if self.feature_norm {
            standardize_rows(features)
        } else {
            features
        }
    }

    /// Reads `[batch, steps, embed_dim]` features from `state` (the start if `None`);
    /// returns logits `[batch, steps, num_digits]` after every step and the state after the
    /// last step.
    pub fn read(
        &self,
        features: Tensor<3>,
        state: Option<SequenceState>,
    ) -> (Tensor<3>, SequenceState) {
        let mut states = state.map(|s| s.into_iter().map(Some).collect::<Vec<_>>());
        let mut x = features;
        let mut next = Vec::with_capacity(self.lstm.len());
        for (layer, lstm) in self.lstm.iter().enumerate() {
            let previous = states.as_mut().and_then(|s| s.get_mut(layer)?.take());
            let (out, state) = lstm.forward(x, previous);
            x = out;
            next.push(state);
        }
        (self.head.forward(x), next)
    }

    /// Whole sequences: `[batch, steps, 28, 28]` → logits `[batch, steps, num_digits]`.
    pub fn forward(&self, sequences: Tensor<4>) -> Tensor<3> {
        let [batch, steps, h, w] = sequences.dims();
        let features = self.digit_features(sequences.reshape([batch * steps, h, w]));
        let [_, embed] = features.dims();
        self.read(features.reshape([batch, steps, embed]), None).0
    }

    /// The answer about each whole sequence: logits of its last step, `[batch, num_digits]`.
    pub fn sequence_logits(&self, sequences: Tensor<4>) -> Tensor<2> {
        last_step(self.forward(sequences))
    }

    /// Probabilities that digit d has appeared, after every step: `[batch, steps, num_digits]`.
    pub fn probabilities(&self, sequences: Tensor<4>) -> Tensor<3> {
        sigmoid(self.forward(sequences))
    }

    /// Probabilities about each whole sequence (its last step): `[batch, num_digits]`.
    pub fn sequence_probabilities(&self, sequences: Tensor<4>) -> Tensor<2> {
        sigmoid(self.sequence_logits(sequences))
    }
}

/// `[batch, steps, n]` → the last step's `[batch, n]`.
pub fn last_step(per_step: Tensor<3>) -> Tensor<2> {
    let [batch, steps, n] = per_step.dims();
    per_step
        .slice(s![.., steps - 1..steps, ..])
        .reshape([batch, n])
}

/// Each row shifted and scaled to zero mean and unit variance (a layer norm without learned
/// scale and shift; the LSTM's input projection that follows can learn both).
fn standardize_rows(x: Tensor<2>) -> Tensor<2> {
    const EPS: f64 = 1e-5;
    let centred = x.clone() - x.mean_dim(1);
    let variance = centred.clone().square().mean_dim(1);
    centred / (variance + EPS).sqrt()
}
