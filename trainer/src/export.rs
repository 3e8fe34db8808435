//! Writing the weights and manifest the page loads so that the manifest always names
//! weights that match it: a kill or a full disk at any point leaves the previous pair or the
//! new one, never a mix.

use std::path::{Path, PathBuf};

use digitseq_model::samples::{SAMPLES_FILE, Samples};
use digitseq_model::weights::{self, MANIFEST_FILE, Manifest};
use digitseq_model::{DigitSeqConfig, DigitSeqNet};

use crate::files::write_atomically;
use crate::mnist::{Digits, Split};

/// Writes the weights under their own name (`model-<checksum>.bpk`), then replaces
/// `model.json` in one rename, then removes weights no longer named. The previous pair's
/// weights stay one export longer, for a reader that fetched the old manifest just before.
pub fn export(
    net: DigitSeqNet,
    config: &DigitSeqConfig,
    metrics: serde_json::Value,
    dir: &Path,
) -> anyhow::Result<Manifest> {
    std::fs::create_dir_all(dir)?;
    let (bytes, manifest) = weights::encode(net, config, metrics)?;
    let json = serde_json::to_string_pretty(&manifest)?;
    let previous = current_manifest(dir).map(|m| m.weights_file);
    write_atomically(&dir.join(&manifest.weights_file), &bytes)?;
    write_atomically(&dir.join(MANIFEST_FILE), (json + "\n").as_bytes())?;
    let keep = [Some(manifest.weights_file.clone()), previous];
    remove_stale_weights(dir, &keep);
    Ok(manifest)
}

fn current_manifest(dir: &Path) -> Option<Manifest> {
    Manifest::parse(&std::fs::read_to_string(dir.join(MANIFEST_FILE)).ok()?).ok()
}

/// Deletes weight files (and temporaries of interrupted exports) that `keep` does not name.
fn remove_stale_weights(dir: &Path, keep: &[Option<String>]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for name in entries.filter_map(|e| e.ok()?.file_name().into_string().ok()) {
        let ours = name.strip_prefix('.').unwrap_or(&name).starts_with("model")
            && (name.ends_with(".bpk") || name.ends_with(".bpk.partial"));
        if ours && !keep.iter().flatten().any(|k| *k == name) {
            let _ = std::fs::remove_file(dir.join(&name));
        }
    }
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
    let manifest = Manifest::parse(&json).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let net = manifest
        .load(read(&manifest.weights_file)?, device)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    Ok((net, manifest))
}

/// Where a run's weights go: `export_dir`, unless the weights already there score better on
/// the fixed test set (all ten digits) than `macro_accuracy`, in which case they are kept and
/// this run goes to `fallback`, beside the run (or replaces them anyway, with `force`).
/// Weights that answer the page better are never silently replaced, nor is a run lost.
pub fn destination(
    export_dir: &Path,
    fallback: &Path,
    macro_accuracy: f64,
    force: bool,
) -> PathBuf {
    match better_exported(export_dir, macro_accuracy) {
        Some(existing) if force => {
            eprintln!(
                "replacing better weights in {} ({:.2}% over all ten digits, this run \
                 {:.2}%), as --force-export asks",
                export_dir.display(),
                100.0 * existing,
                100.0 * macro_accuracy,
            );
            export_dir.to_path_buf()
        }
        Some(existing) => {
            eprintln!(
                "kept the weights in {}: they score {:.2}% over all ten digits on the fixed \
                 test set, this run {:.2}%. This run's weights go to {} (pass \
                 --force-export to replace them anyway).",
                export_dir.display(),
                100.0 * existing,
                100.0 * macro_accuracy,
                fallback.display()
            );
            fallback.to_path_buf()
        }
        None => export_dir.to_path_buf(),
    }
}

/// `trainer samples`: every `test digits / count`-th test digit: spread over the split, the same every time.
pub fn export_samples(data_dir: &Path, export_dir: &Path, count: usize) -> anyhow::Result<()> {
    let test = Digits::load(data_dir, Split::Test)?;
    anyhow::ensure!(
        (1..=test.len()).contains(&count),
        "--count must be 1–{}",
        test.len()
    );
    let step = test.len() / count;
    let picked: Vec<usize> = (0..count).map(|i| i * step).collect();
    let samples = Samples {
        labels: picked.iter().map(|&i| test.labels[i]).collect(),
        pixels: picked
            .iter()
            .flat_map(|&i| test.image(i).to_vec())
            .collect(),
    };
    std::fs::create_dir_all(export_dir)?;
    let path = export_dir.join(SAMPLES_FILE);
    write_atomically(&path, &samples.encode())?;
    println!("wrote {count} test digits to {}", path.display());
    Ok(())
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
        let files = || {
            let mut names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            names
        };
        // The previous weights stay one export longer, for readers of the old manifest.
        let mut expected = vec![
            first.weights_file.clone(),
            second.weights_file.clone(),
            MANIFEST_FILE.to_string(),
        ];
        expected.sort();
        assert_eq!(files(), expected);
        let third = export(
            config.init(&device),
            &config,
            serde_json::json!(3),
            dir.path(),
        )
        .unwrap();
        let mut expected = vec![
            second.weights_file.clone(),
            third.weights_file.clone(),
            MANIFEST_FILE.to_string(),
        ];
        expected.sort();
        assert_eq!(files(), expected);
    }

    /// A disk that fills up mid-export: the error names the file, the previous pair still
    /// loads, and no temporary is left behind. The limit is a file-size limit
    /// (RLIMIT_FSIZE) in a child process, so the test needs no privileges.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn a_full_disk_leaves_the_previous_pair_intact() {
        use std::os::unix::process::CommandExt;
        const CHILD: &str = "DIGITSEQ_FULL_DISK_CHILD_DIR";
        if let Ok(dir) = std::env::var(CHILD) {
            // The child: export into `dir` where no file may grow past 64 KB.
            let device = Device::flex();
            let config = DigitSeqConfig::new();
            let err = export(
                config.init(&device),
                &config,
                serde_json::json!(2),
                Path::new(&dir),
            )
            .unwrap_err();
            println!("export failed: {err}");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let device = Device::flex();
        let config = DigitSeqConfig::new();
        let before = export(
            config.init(&device),
            &config,
            serde_json::json!(1),
            dir.path(),
        )
        .unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args([
                "--exact",
                "export::tests::a_full_disk_leaves_the_previous_pair_intact",
            ])
            .args(["--nocapture", "--test-threads=1"])
            .env(CHILD, dir.path());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            child.pre_exec(|| {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let limit = libc::rlimit {
                    rlim_cur: 64 << 10,
                    rlim_max: 64 << 10,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = child.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("export failed: cannot write") && text.contains(".bpk"),
            "{text}"
        );
        let (_, after) = load(dir.path(), &device).unwrap();
        assert_eq!(after, before);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".partial"))
            .collect();
        assert_eq!(leftovers, Vec::<String>::new());
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
