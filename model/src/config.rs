use burn::config::Config;

use crate::network::DigitSeqNet;
use burn::prelude::Device;

/// Every size of the network. Saved beside the weights so a file can only be loaded into
/// the network it was trained as. The defaults are the reference architecture: 3×3 convs
/// 16→32→64 (2×2 max-pools after the first two), linear 576→128, a 2-layer LSTM with hidden
/// size 64, and one output per digit 0–9.
#[derive(Config, Debug, PartialEq)]
pub struct DigitSeqConfig {
    #[config(default = 16)]
    pub conv1_channels: usize,
    #[config(default = 32)]
    pub conv2_channels: usize,
    #[config(default = 64)]
    pub conv3_channels: usize,
    /// Size of the per-digit feature vector fed to the LSTM.
    #[config(default = 128)]
    pub embed_dim: usize,
    #[config(default = 64)]
    pub lstm_hidden: usize,
    #[config(default = 2)]
    pub lstm_layers: usize,
    /// One "does the sequence so far contain digit d?" output per digit.
    #[config(default = 10)]
    pub num_digits: usize,
    /// Standardise each digit's feature vector (zero mean, unit variance over its
    /// `embed_dim` values, no learned parameters) before the LSTM reads it. Without it the
    /// features can grow during training until they saturate the LSTM's gates, and the
    /// network sits on its first plateau (answering the base rate). Weights saved before
    /// this field existed (whose `model.json` lacks it) were trained without it:
    /// [`upgrade_saved`](Self::upgrade_saved) says so when they are read.
    #[config(default = true)]
    pub feature_norm: bool,
}

impl DigitSeqConfig {
    /// Spatial side of the last conv map: 28 →conv 26 →pool 13 →conv 11 →pool 5 →conv 3.
    pub const CONV_OUT_SIDE: usize = 3;

    pub fn conv_features(&self) -> usize {
        self.conv3_channels * Self::CONV_OUT_SIDE * Self::CONV_OUT_SIDE
    }

    /// The network's parameter count, computed without building it; `None` when a size is
    /// zero or the count overflows. Lets a loader check a config from outside (a manifest)
    /// against the real size of its weights before allocating anything it describes.
    pub fn parameter_count(&self) -> Option<usize> {
        let sizes = [
            self.conv1_channels,
            self.conv2_channels,
            self.conv3_channels,
            self.embed_dim,
            self.lstm_hidden,
            self.lstm_layers,
            self.num_digits,
        ];
        if sizes.contains(&0) {
            return None;
        }
        // Weight `[from, to]` plus a bias of `to`.
        let linear = |from: usize, to: usize| from.checked_mul(to)?.checked_add(to);
        let conv = |from: usize, to: usize| linear(from.checked_mul(9)?, to);
        let gates = self.lstm_hidden.checked_mul(4)?;
        // Each layer: input → gates with bias, hidden → gates without.
        let lstm_layer =
            |input: usize| linear(input, gates)?.checked_add(self.lstm_hidden.checked_mul(gates)?);
        let deeper_layers = lstm_layer(self.lstm_hidden)?.checked_mul(self.lstm_layers - 1)?;
        [
            conv(1, self.conv1_channels)?,
            conv(self.conv1_channels, self.conv2_channels)?,
            conv(self.conv2_channels, self.conv3_channels)?,
            linear(self.conv3_channels.checked_mul(9)?, self.embed_dim)?,
            lstm_layer(self.embed_dim)?,
            deeper_layers,
            linear(self.lstm_hidden, self.num_digits)?,
        ]
        .into_iter()
        .try_fold(0usize, |sum, n| sum.checked_add(n))
    }

    pub fn init(&self, device: &Device) -> DigitSeqNet {
        DigitSeqNet::new(self, device)
    }

    /// Completes a config saved (as JSON) before some of its fields existed, with the values
    /// that match how its weights were trained: no `feature_norm`.
    pub fn upgrade_saved(config: &mut serde_json::Value) {
        if let Some(fields) = config.as_object_mut() {
            fields
                .entry("feature_norm")
                .or_insert(serde_json::Value::Bool(false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_count_matches_the_built_network() {
        use burn::module::Module;
        let device = Device::flex();
        let small = DigitSeqConfig::new()
            .with_conv1_channels(3)
            .with_conv2_channels(5)
            .with_conv3_channels(7)
            .with_embed_dim(11)
            .with_lstm_hidden(6)
            .with_lstm_layers(3)
            .with_num_digits(2);
        for config in [DigitSeqConfig::new(), small] {
            assert_eq!(
                config.parameter_count(),
                Some(config.init(&device).num_params()),
                "{config:?}"
            );
        }
        assert_eq!(
            DigitSeqConfig::new().with_lstm_layers(0).parameter_count(),
            None
        );
        assert_eq!(
            DigitSeqConfig::new()
                .with_embed_dim(usize::MAX / 2)
                .parameter_count(),
            None
        );
    }
}
