//! The weight-file format: a JSON manifest (`model.json`) and the burnpack file it names
//! (`model-<checksum>.bpk`; older exports: `model.bpk`), which it describes (the network,
//! size, SHA-256). The weights' name is their checksum, so a new export adds a file and
//! then replaces only the manifest: the manifest always names weights that match it.

use burn::module::Module;
use burn::prelude::Device;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{DigitSeqConfig, DigitSeqNet};

/// Bumped whenever the network's parameter layout or the manifest changes meaning.
pub const FORMAT_VERSION: u32 = 1;
pub const MANIFEST_FILE: &str = "model.json";

/// The name weights are exported under: their checksum's first 64 bits.
pub fn weights_file_name(sha256_hex: &str) -> String {
    format!("model-{}.bpk", &sha256_hex[..16.min(sha256_hex.len())])
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format_version: u32,
    pub config: DigitSeqConfig,
    /// Output `i` answers "does the sequence contain `digits[i]`?".
    pub digits: Vec<u8>,
    pub weights_file: String,
    pub weights_bytes: u64,
    pub weights_sha256: String,
    pub parameters: usize,
    /// Test-set figures of these weights, as the trainer measured them (free-form).
    #[serde(default)]
    pub metrics: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("model manifest is not valid JSON for this format: {0}")]
    Manifest(#[from] serde_json::Error),
    #[error(
        "weights are format version {found}, this build reads version {expected}: re-export them with this version's trainer (`cargo run -p trainer`)"
    )]
    Version { found: u32, expected: u32 },
    #[error(
        "weights file is {found} bytes but the manifest says {expected}: it is truncated or not the file the manifest describes"
    )]
    Size { expected: u64, found: u64 },
    #[error(
        "weights checksum mismatch (manifest {expected}, file {found}): the file is corrupt or belongs to another export"
    )]
    Checksum { expected: String, found: String },
    #[error(
        "manifest names weights file {0:?}: expected a plain .bpk file name beside the manifest"
    )]
    FileName(String),
    #[error("manifest lists {found} digit outputs but its config has {expected}")]
    Digits { expected: usize, found: usize },
    #[error(
        "the manifest's config describes a network of {parameters} parameters, which {bytes} bytes of weights cannot hold"
    )]
    ConfigSize { parameters: String, bytes: u64 },
    #[error("weights do not fit the network described by the manifest's config: {0}")]
    Record(String),
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Serialises `model` and describes it; `metrics` goes into the manifest as is.
pub fn encode(
    model: DigitSeqNet,
    config: &DigitSeqConfig,
    metrics: serde_json::Value,
) -> Result<(Vec<u8>, Manifest), WeightsError> {
    let parameters = model.num_params();
    let bytes = model
        .into_record()
        .into_bytes()
        .map_err(|e| WeightsError::Record(e.to_string()))?
        .to_vec();
    let weights_sha256 = sha256_hex(&bytes);
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        config: config.clone(),
        digits: (0..config.num_digits as u8).collect(),
        weights_file: weights_file_name(&weights_sha256),
        weights_bytes: bytes.len() as u64,
        weights_sha256,
        parameters,
        metrics,
    };
    Ok((bytes, manifest))
}

impl Manifest {
    pub fn parse(json: &str) -> Result<Self, WeightsError> {
        // Read the version alone first, so an old or future file gets the version error
        // rather than a confusing "missing field".
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        let Version { format_version } = serde_json::from_str(json)?;
        if format_version != FORMAT_VERSION {
            return Err(WeightsError::Version {
                found: format_version,
                expected: FORMAT_VERSION,
            });
        }
        let mut value: serde_json::Value = serde_json::from_str(json)?;
        if let Some(config) = value.get_mut("config") {
            DigitSeqConfig::upgrade_saved(config);
        }
        let manifest: Manifest = serde_json::from_value(value)?;
        // Loaders fetch or open this name: never a path or a URL elsewhere.
        let name = &manifest.weights_file;
        let plain = name.ends_with(".bpk")
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !plain {
            return Err(WeightsError::FileName(name.clone()));
        }
        if manifest.digits.len() != manifest.config.num_digits {
            return Err(WeightsError::Digits {
                expected: manifest.config.num_digits,
                found: manifest.digits.len(),
            });
        }
        Ok(manifest)
    }

    /// Checks that `weights` are exactly the bytes this manifest was written for.
    pub fn verify(&self, weights: &[u8]) -> Result<(), WeightsError> {
        if weights.len() as u64 != self.weights_bytes {
            return Err(WeightsError::Size {
                expected: self.weights_bytes,
                found: weights.len() as u64,
            });
        }
        let found = sha256_hex(weights);
        if found != self.weights_sha256 {
            return Err(WeightsError::Checksum {
                expected: self.weights_sha256.clone(),
                found,
            });
        }
        Ok(())
    }

    /// Verifies `weights` and loads them into a fresh network on `device`. Loading reads no
    /// tensor back from the device, so it is safe in the browser on WebGPU.
    pub fn load(&self, weights: Vec<u8>, device: &Device) -> Result<DigitSeqNet, WeightsError> {
        self.verify(&weights)?;
        // The network is allocated from the config before the weights are read into it: a
        // config too large for the file (f32 parameters) must not get that far.
        let fits = self
            .config
            .parameter_count()
            .and_then(|n| n.checked_mul(4))
            .is_some_and(|bytes| bytes as u64 <= self.weights_bytes);
        if !fits {
            return Err(WeightsError::ConfigSize {
                parameters: self
                    .config
                    .parameter_count()
                    .map_or("an impossible number of".into(), |n| n.to_string()),
                bytes: self.weights_bytes,
            });
        }
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights))
            .map_err(|e| WeightsError::Record(e.to_string()))?;
        self.config
            .init(device)
            .try_load_record(record)
            .map_err(|e| WeightsError::Record(e.to_string()))
    }
}

/// Parses the manifest, then verifies and loads the weights: the one call loaders need.
pub fn load(
    manifest_json: &str,
    weights: Vec<u8>,
    device: &Device,
) -> Result<(DigitSeqNet, Manifest), WeightsError> {
    let manifest = Manifest::parse(manifest_json)?;
    let model = manifest.load(weights, device)?;
    Ok((model, manifest))
}
