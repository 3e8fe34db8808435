//! Writing the weights and manifest the page loads, atomically: an interrupted export
//! leaves the previous pair intact, and the pair is never mixed.

use std::path::Path;

use digitseq_model::weights::{self, MANIFEST_FILE, Manifest, WEIGHTS_FILE};
use digitseq_model::{DigitSeqConfig, DigitSeqNet};

use crate::files::write_atomically;

/// Writes `dir/model.bpk` and `dir/model.json`, each atomically, weights first; the manifest
/// names the checksum of the new weights, so a crash between the two leaves a pair the loader
/// rejects loudly rather than silently mixing.
pub fn export(
    net: DigitSeqNet,
    config: &DigitSeqConfig,
    metrics: serde_json::Value,
    dir: &Path,
) -> anyhow::Result<Manifest> {
    std::fs::create_dir_all(dir)?;
    let (bytes, manifest) = weights::encode(net, config, metrics)?;
    let json = serde_json::to_string_pretty(&manifest)?;
    write_atomically(&dir.join(WEIGHTS_FILE), &bytes)?;
    write_atomically(&dir.join(MANIFEST_FILE), (json + "\n").as_bytes())?;
    Ok(manifest)
}

/// Loads an exported pair from `dir`.
pub fn load(dir: &Path, device: &burn::prelude::Device) -> anyhow::Result<(DigitSeqNet, Manifest)> {
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.join(name).display()))
    };
    let json = String::from_utf8(read(MANIFEST_FILE)?)?;
    Ok(weights::load(&json, read(WEIGHTS_FILE)?, device)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::prelude::*;

    #[test]
    fn export_replaces_the_pair_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let device = Device::flex();
        let config = DigitSeqConfig::new().with_embed_dim(16).with_lstm_hidden(8);
        let first = export(
            config.init(&device),
            &config,
            serde_json::json!(1),
            dir.path(),
        )
        .unwrap();
        let second = export(
            config.init(&device),
            &config,
            serde_json::json!(2),
            dir.path(),
        )
        .unwrap();
        assert_ne!(first.weights_sha256, second.weights_sha256);
        let (_, loaded) = load(dir.path(), &device).unwrap();
        assert_eq!(loaded, second);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 2, "{leftovers:?}");
    }
}
