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
    /// network sits on its first plateau (answering the base rate). Off by default because
    /// off is the reference's layout, and weights saved before this field existed (whose
    /// `model.json` lacks it) were trained without it.
    #[config(default = false)]
    pub feature_norm: bool,
}

impl DigitSeqConfig {
    /// Spatial side of the last conv map: 28 →conv 26 →pool 13 →conv 11 →pool 5 →conv 3.
    pub const CONV_OUT_SIDE: usize = 3;

    pub fn conv_features(&self) -> usize {
        self.conv3_channels * Self::CONV_OUT_SIDE * Self::CONV_OUT_SIDE
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
