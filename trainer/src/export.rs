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

/// The all-ten mean accuracy on the fixed test set of the pair exported in `dir`, as its
/// manifest records it; `None` when there is no valid manifest or it has no such figure.
pub fn exported_macro_accuracy(dir: &Path) -> Option<f64> {
    let json = std::fs::read_to_string(dir.join(MANIFEST_FILE)).ok()?;
    Manifest::parse(&json)
        .ok()?
        .metrics
        .get("macro_accuracy")?
        .as_f64()
}

/// The score of the weights already in `dir` when they answer the page's ten questions
/// better than a new run's `new_macro_accuracy`: those must not be silently replaced.
pub fn better_exported(dir: &Path, new_macro_accuracy: f64) -> Option<f64> {
    exported_macro_accuracy(dir).filter(|&existing| existing > new_macro_accuracy)
}

/// Loads an exported pair from `dir`.
pub fn load(dir: &Path, device: &burn::prelude::Device) -> anyhow::Result<(DigitSeqNet, Manifest)> {
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.join(name).display()))
    };
    let json = String::from_utf8(read(MANIFEST_FILE)?)?;
    weights::load(&json, read(WEIGHTS_FILE)?, device)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))
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

    #[test]
    fn a_weaker_run_does_not_replace_better_exported_weights() {
        let dir = tempfile::tempdir().unwrap();
        let device = Device::flex();
        let config = DigitSeqConfig::new().with_embed_dim(16).with_lstm_hidden(8);
        // Nothing exported yet: replace.
        assert_eq!(better_exported(dir.path(), 0.5), None);
        let metrics = serde_json::json!({ "macro_accuracy": 0.99 });
        export(config.init(&device), &config, metrics, dir.path()).unwrap();
        assert_eq!(exported_macro_accuracy(dir.path()), Some(0.99));
        assert_eq!(better_exported(dir.path(), 0.86), Some(0.99));
        assert_eq!(better_exported(dir.path(), 0.995), None);
        // A manifest without the figure (or unreadable) protects nothing.
        std::fs::write(dir.path().join(MANIFEST_FILE), "not json").unwrap();
        assert_eq!(better_exported(dir.path(), 0.1), None);
    }
}
