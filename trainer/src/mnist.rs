//! Reading MNIST from its four IDX files (raw or gzip), checked thoroughly: a wrong, missing
//! or truncated file is an error that names the file and says how to get it, never a panic.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use digitseq_model::{IMAGE_PIXELS, IMAGE_SIDE};
use flate2::read::GzDecoder;

/// One of MNIST's two splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

impl Split {
    pub fn images_file(self) -> &'static str {
        match self {
            Split::Train => "train-images-idx3-ubyte",
            Split::Test => "t10k-images-idx3-ubyte",
        }
    }

    pub fn labels_file(self) -> &'static str {
        match self {
            Split::Train => "train-labels-idx1-ubyte",
            Split::Test => "t10k-labels-idx1-ubyte",
        }
    }
}

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;
pub const HOW_TO_GET: &str = "get MNIST with `cargo run -p trainer -- fetch` (or pass --data-dir)";

#[derive(Debug, thiserror::Error)]
pub enum MnistError {
    #[error(
        "MNIST file {name} not found in {dir} (looked for {name}, {name}.gz and the dotted variant): {HOW_TO_GET}"
    )]
    Missing { dir: PathBuf, name: String },
    #[error("cannot read {path}: {source}; {HOW_TO_GET}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is not an MNIST {kind} file: {reason}; delete it and {HOW_TO_GET}")]
    Invalid {
        path: PathBuf,
        kind: &'static str,
        reason: String,
    },
    #[error("{images} holds {images_count} images but {labels} holds {labels_count} labels")]
    CountMismatch {
        images: PathBuf,
        labels: PathBuf,
        images_count: usize,
        labels_count: usize,
    },
}

/// Digits of one split: `images[i*784..(i+1)*784]` (0–255, ink high) has label `labels[i]`.
#[derive(Debug, Clone)]
pub struct Digits {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Digits {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, index: usize) -> &[u8] {
        &self.images[index * IMAGE_PIXELS..(index + 1) * IMAGE_PIXELS]
    }

    /// These digits, then `more`'s.
    pub fn concat(&self, more: &Digits) -> Digits {
        Digits {
            images: [self.images.as_slice(), &more.images].concat(),
            labels: [self.labels.as_slice(), &more.labels].concat(),
        }
    }

    /// The digits `range` only (for a held-out validation part of the training split).
    pub fn slice(&self, range: std::ops::Range<usize>) -> Digits {
        Digits {
            images: self.images[range.start * IMAGE_PIXELS..range.end * IMAGE_PIXELS].to_vec(),
            labels: self.labels[range].to_vec(),
        }
    }

    /// Test digits that are trivially told apart: label d is a bright bar at rows 2d+4 and
    /// 2d+5.
    #[cfg(test)]
    pub fn bars(n: usize) -> Digits {
        let mut images = vec![0u8; n * IMAGE_PIXELS];
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        for (image, &d) in images.chunks_exact_mut(IMAGE_PIXELS).zip(&labels) {
            let row = 2 * d as usize + 4;
            for y in [row, row + 1] {
                image[y * IMAGE_SIDE + 4..y * IMAGE_SIDE + 24].fill(255);
            }
        }
        Digits { images, labels }
    }

    /// Reads and validates one split from `dir`.
    pub fn load(dir: &Path, split: Split) -> Result<Digits, MnistError> {
        let images_path = locate(dir, split.images_file())?;
        let labels_path = locate(dir, split.labels_file())?;
        let images = parse_images(&images_path, &read_maybe_gz(&images_path)?)?;
        let labels = parse_labels(&labels_path, &read_maybe_gz(&labels_path)?)?;
        if images.len() / IMAGE_PIXELS != labels.len() {
            return Err(MnistError::CountMismatch {
                images: images_path,
                labels: labels_path,
                images_count: images.len() / IMAGE_PIXELS,
                labels_count: labels.len(),
            });
        }
        Ok(Digits { images, labels })
    }
}

/// Accepts the canonical name, its `.gz`, and the `train-images.idx3-ubyte` spelling some
/// mirrors use.
pub fn candidates(dir: &Path, name: &str) -> Vec<PathBuf> {
    let dotted = name.replacen("-idx", ".idx", 1);
    [
        name.to_string(),
        format!("{name}.gz"),
        dotted.clone(),
        format!("{dotted}.gz"),
    ]
    .into_iter()
    .map(|n| dir.join(n))
    .collect()
}

fn locate(dir: &Path, name: &str) -> Result<PathBuf, MnistError> {
    candidates(dir, name)
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| MnistError::Missing {
            dir: dir.to_path_buf(),
            name: name.to_string(),
        })
}

/// The largest file MNIST has (training images: 47,040,016 bytes), with room to spare.
const MAX_FILE_BYTES: u64 = 64 << 20;

/// The file's bytes, gunzipped if they start with the gzip magic.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, MnistError> {
    let raw = std::fs::read(path).map_err(|source| MnistError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_maybe_gz(raw).map_err(|reason| MnistError::Invalid {
        path: path.to_path_buf(),
        kind: "IDX",
        reason,
    })
}

/// `raw` gunzipped if it starts with the gzip magic, else as is. Never inflates past
/// `MAX_FILE_BYTES`: a small hostile .gz can claim any size.
pub fn decode_maybe_gz(raw: Vec<u8>) -> Result<Vec<u8>, String> {
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    GzDecoder::new(raw.as_slice())
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("broken gzip data ({e})"))?;
    if out.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "gzip data inflates past {} MiB, more than any MNIST file",
            MAX_FILE_BYTES >> 20
        ));
    }
    Ok(out)
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Validates an IDX3 image file and returns its pixels.
pub fn parse_images(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, MnistError> {
    let invalid = |reason: String| MnistError::Invalid {
        path: path.to_path_buf(),
        kind: "images",
        reason,
    };
    let header = |at| be_u32(bytes, at).ok_or_else(|| invalid("shorter than its header".into()));
    let magic = header(0)?;
    if magic != IMAGES_MAGIC {
        return Err(invalid(format!(
            "magic number {magic:#010x}, expected {IMAGES_MAGIC:#010x}"
        )));
    }
    let (count, rows, cols) = (
        header(4)? as usize,
        header(8)? as usize,
        header(12)? as usize,
    );
    if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE) {
        return Err(invalid(format!("images are {rows}×{cols}, expected 28×28")));
    }
    let expected = 16 + count * IMAGE_PIXELS;
    if bytes.len() != expected {
        return Err(invalid(format!(
            "{} bytes for {count} images, expected {expected} (truncated or padded)",
            bytes.len()
        )));
    }
    Ok(bytes[16..].to_vec())
}

/// Validates an IDX1 label file and returns its labels.
pub fn parse_labels(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, MnistError> {
    let invalid = |reason: String| MnistError::Invalid {
        path: path.to_path_buf(),
        kind: "labels",
        reason,
    };
    let header = |at| be_u32(bytes, at).ok_or_else(|| invalid("shorter than its header".into()));
    let magic = header(0)?;
    if magic != LABELS_MAGIC {
        return Err(invalid(format!(
            "magic number {magic:#010x}, expected {LABELS_MAGIC:#010x}"
        )));
    }
    let count = header(4)? as usize;
    if bytes.len() != 8 + count {
        return Err(invalid(format!(
            "{} bytes for {count} labels, expected {} (truncated or padded)",
            bytes.len(),
            8 + count
        )));
    }
    let labels = bytes[8..].to_vec();
    if let Some(bad) = labels.iter().find(|&&l| l > 9) {
        return Err(invalid(format!("label {bad} is not a digit")));
    }
    Ok(labels)
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    /// Writes a small but valid IDX pair (`n` digits) for `split` into `dir`.
    pub fn write_split(dir: &Path, split: Split, n: usize, gzip: bool) {
        let mut images = Vec::new();
        images.extend(IMAGES_MAGIC.to_be_bytes());
        images.extend((n as u32).to_be_bytes());
        images.extend(28u32.to_be_bytes());
        images.extend(28u32.to_be_bytes());
        for i in 0..n {
            images.extend((0..IMAGE_PIXELS).map(|p| ((p + i) % 256) as u8));
        }
        let mut labels = Vec::new();
        labels.extend(LABELS_MAGIC.to_be_bytes());
        labels.extend((n as u32).to_be_bytes());
        labels.extend((0..n).map(|i| (i % 10) as u8));
        for (name, bytes) in [(split.images_file(), images), (split.labels_file(), labels)] {
            if gzip {
                let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
                enc.write_all(&bytes).unwrap();
                std::fs::write(dir.join(format!("{name}.gz")), enc.finish().unwrap()).unwrap();
            } else {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        }
    }

    #[test]
    fn reads_raw_and_gzipped_files() {
        for gzip in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            write_split(dir.path(), Split::Test, 25, gzip);
            let digits = Digits::load(dir.path(), Split::Test).unwrap();
            assert_eq!(digits.len(), 25);
            assert_eq!(digits.labels[13], 3);
            assert_eq!(digits.image(2)[0], 2);
        }
    }

    #[test]
    fn missing_file_names_it_and_says_how_to_fetch() {
        let dir = tempfile::tempdir().unwrap();
        let err = Digits::load(dir.path(), Split::Train)
            .unwrap_err()
            .to_string();
        assert!(err.contains("train-images-idx3-ubyte"), "{err}");
        assert!(err.contains("trainer -- fetch"), "{err}");
    }

    #[test]
    fn corrupt_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write_split(dir.path(), Split::Test, 10, false);
        let images = dir.path().join(Split::Test.images_file());
        let labels = dir.path().join(Split::Test.labels_file());
        let good_images = std::fs::read(&images).unwrap();
        let good_labels = std::fs::read(&labels).unwrap();

        // Truncated images.
        std::fs::write(&images, &good_images[..good_images.len() - 100]).unwrap();
        let err = Digits::load(dir.path(), Split::Test)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t10k-images") && err.contains("truncated"),
            "{err}"
        );

        // Wrong magic (a label file where images should be).
        std::fs::write(&images, &good_labels).unwrap();
        let err = Digits::load(dir.path(), Split::Test)
            .unwrap_err()
            .to_string();
        assert!(err.contains("magic"), "{err}");

        // Empty file.
        std::fs::write(&images, b"").unwrap();
        let err = Digits::load(dir.path(), Split::Test)
            .unwrap_err()
            .to_string();
        assert!(err.contains("header"), "{err}");

        // Label out of range.
        std::fs::write(&images, &good_images).unwrap();
        let mut bad = good_labels.clone();
        bad[9] = 42;
        std::fs::write(&labels, &bad).unwrap();
        let err = Digits::load(dir.path(), Split::Test)
            .unwrap_err()
            .to_string();
        assert!(err.contains("label 42"), "{err}");

        // Counts that disagree.
        let mut fewer = good_labels[..good_labels.len() - 1].to_vec();
        fewer[7] = 9;
        std::fs::write(&labels, &fewer).unwrap();
        assert!(Digits::load(dir.path(), Split::Test).is_err());

        // Broken gzip.
        std::fs::remove_file(&images).unwrap();
        std::fs::write(&labels, &good_labels).unwrap();
        std::fs::write(
            dir.path().join(format!("{}.gz", Split::Test.images_file())),
            [0x1f, 0x8b, 0, 1, 2],
        )
        .unwrap();
        let err = Digits::load(dir.path(), Split::Test)
            .unwrap_err()
            .to_string();
        assert!(err.contains("t10k-images"), "{err}");
    }
}
