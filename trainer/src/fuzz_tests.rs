//! Every parser of outside data, fed thousands of damaged inputs: each gets a clear error or
//! a sane result, never a panic, and no allocation sized by an unchecked header.
//!
//! Inputs are valid files damaged by proptest-generated edits (truncation, bit flips,
//! overwritten header fields, inserted and removed bytes), or generated from scratch (strokes,
//! JSON values). The seed is fixed; `DIGITSEQ_FUZZ_CASES` scales every parser's case count
//! (default 1: seconds in all; e.g. 50 for a longer run). Each test prints its count.

use std::path::Path;

use burn::prelude::*;
use digitseq_model::preprocess::{Point, SegmentOptions, Stroke, digits_from_strokes};
use digitseq_model::samples::Samples;
use digitseq_model::weights::{self, Manifest};
use digitseq_model::{DigitSeqConfig, IMAGE_PIXELS};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use crate::mnist::{decode_maybe_gz, parse_images, parse_labels};

/// Runs `check` on `cases` (times `DIGITSEQ_FUZZ_CASES`) inputs from `strategy`, seeded.
fn fuzz<S: Strategy>(
    what: &str,
    cases: u32,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let scale: u32 = std::env::var("DIGITSEQ_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let cases = cases * scale;
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let seed: Vec<u8> = (0..32).collect();
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    if let Err(e) = runner.run(&strategy, check) {
        panic!("{what}: {e}");
    }
    eprintln!("fuzz {what}: {cases} cases, no panic");
}

/// One damage done to a file.
#[derive(Debug, Clone)]
enum Edit {
    Truncate(usize),
    FlipBit(usize, u8),
    /// Overwrite the `n`th 32-bit word of the first 64 bytes (where headers live).
    HeaderWord(usize, u32),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let word = prop_oneof![
        any::<u32>(),
        Just(0u32),
        Just(u32::MAX),
        Just(u32::MAX / 785 + 1),
        0u32..1000,
    ];
    prop_oneof![
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Edit::FlipBit(at, bit)),
        (0usize..16, word).prop_map(|(n, v)| Edit::HeaderWord(n, v)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..32))
            .prop_map(|(at, bytes)| Edit::Insert(at, bytes)),
        (any::<usize>(), 1usize..256).prop_map(|(at, n)| Edit::Remove(at, n)),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..4)
}

fn damaged(original: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for edit in edits {
        let len = bytes.len();
        match edit {
            Edit::Truncate(at) => bytes.truncate(at % (len + 1)),
            Edit::FlipBit(at, bit) if len > 0 => bytes[at % len] ^= 1 << bit,
            Edit::HeaderWord(n, value) => {
                let at = n * 4;
                if at + 4 <= len {
                    // Both byte orders appear in our formats (IDX big-endian, the rest little).
                    let word = if n % 2 == 0 {
                        value.to_be_bytes()
                    } else {
                        value.to_le_bytes()
                    };
                    bytes[at..at + 4].copy_from_slice(&word);
                }
            }
            Edit::Insert(at, more) => {
                let at = at % (len + 1);
                bytes.splice(at..at, more.iter().copied());
            }
            Edit::Remove(at, n) if len > 0 => {
                let at = at % len;
                bytes.drain(at..(at + n).min(len));
            }
            _ => {}
        }
    }
    bytes
}

fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    for d in dims {
        out.extend(d.to_be_bytes());
    }
    out.extend(data);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn mnist_idx_files_raw_and_gzipped() {
    let images = idx(
        0x803,
        &[3, 28, 28],
        &(0..3 * IMAGE_PIXELS).map(|i| i as u8).collect::<Vec<_>>(),
    );
    let labels = idx(0x801, &[3], &[4, 0, 9]);
    let path = Path::new("fuzzed");
    let check_images = |bytes: &[u8]| match parse_images(path, bytes) {
        Ok(pixels) => {
            prop_assert_eq!(pixels.len() % IMAGE_PIXELS, 0);
            prop_assert_eq!(pixels.len() + 16, bytes.len());
            Ok(())
        }
        Err(e) => {
            prop_assert!(e.to_string().contains("fuzzed"), "{}", e);
            Ok(())
        }
    };
    let check_labels = |bytes: &[u8]| {
        if let Ok(parsed) = parse_labels(path, bytes) {
            prop_assert!(parsed.iter().all(|&l| l <= 9));
            prop_assert_eq!(parsed.len() + 8, bytes.len());
        }
        Ok(())
    };
    fuzz("IDX images", 3000, edits(), |e| {
        check_images(&damaged(&images, &e))
    });
    fuzz("IDX labels", 3000, edits(), |e| {
        check_labels(&damaged(&labels, &e))
    });
    let (images_gz, labels_gz) = (gzip(&images), gzip(&labels));
    fuzz("IDX images .gz", 1000, edits(), |e| {
        match decode_maybe_gz(damaged(&images_gz, &e)) {
            Ok(raw) => check_images(&raw),
            Err(reason) => {
                prop_assert!(!reason.is_empty());
                Ok(())
            }
        }
    });
    fuzz("IDX labels .gz", 1000, edits(), |e| {
        match decode_maybe_gz(damaged(&labels_gz, &e)) {
            Ok(raw) => check_labels(&raw),
            Err(_) => Ok(()),
        }
    });
}

#[test]
fn a_gzip_bomb_is_refused_without_inflating_it() {
    // 80 MiB of zeros: a ~80 KB file that claims more than any MNIST file holds.
    let bomb = gzip(&vec![0u8; 80 << 20]);
    let err = decode_maybe_gz(bomb).unwrap_err();
    assert!(err.contains("inflates past 64 MiB"), "{err}");
}

#[test]
fn samples_file() {
    let valid = Samples {
        labels: vec![4, 1, 7],
        pixels: (0..3 * IMAGE_PIXELS).map(|i| (i * 7) as u8).collect(),
    }
    .encode();
    fuzz("samples.bin", 5000, edits(), |e| {
        let bytes = damaged(&valid, &e);
        if let Ok(samples) = Samples::decode(&bytes) {
            prop_assert_eq!(samples.pixels.len(), samples.len() * IMAGE_PIXELS);
            prop_assert!(samples.labels.iter().all(|&l| l <= 9));
            prop_assert_eq!(samples.encode(), bytes);
        }
        Ok(())
    });
}

/// A small network's export: manifest JSON and weights.
fn small_export() -> (Manifest, Vec<u8>) {
    let config = DigitSeqConfig::new()
        .with_conv1_channels(2)
        .with_conv2_channels(2)
        .with_conv3_channels(2)
        .with_embed_dim(4)
        .with_lstm_hidden(3);
    let (bytes, manifest) =
        weights::encode(config.init(&Device::flex()), &config, serde_json::json!({})).unwrap();
    (manifest, bytes)
}

#[test]
fn weights_file_with_its_checksum_recomputed() {
    // The checksum alone refuses any damaged file; recomputing it lets the damage reach
    // burnpack's parser and the loading of the tensors into the network.
    let (manifest, bytes) = small_export();
    let device = Device::flex();
    fuzz("model.bpk", 1500, edits(), |e| {
        let bytes = damaged(&bytes, &e);
        let manifest = Manifest {
            weights_bytes: bytes.len() as u64,
            weights_sha256: weights::sha256_hex(&bytes),
            ..manifest.clone()
        };
        if let Err(e) = manifest.load(bytes, &device) {
            prop_assert!(!e.to_string().is_empty());
        }
        Ok(())
    });
}

/// A JSON value of any shape, small.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1e12f64..1e12).prop_map(|f| json!(f)),
        Just(json!(0)),
        Just(json!(1u64 << 40)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("../../etc/passwd")),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn manifest_fields_replaced_and_text_damaged() {
    let (manifest, bytes) = small_export();
    let valid = serde_json::to_value(&manifest).unwrap();
    let device = Device::flex();
    let fields = [
        "format_version",
        "config",
        "config.conv1_channels",
        "config.embed_dim",
        "config.lstm_hidden",
        "config.lstm_layers",
        "config.num_digits",
        "config.feature_norm",
        "digits",
        "weights_file",
        "weights_bytes",
        "weights_sha256",
        "parameters",
        "metrics",
    ];
    // Loading must refuse every config the weights were not written for, before it builds
    // (allocates) the network the config describes.
    let load = |json: &str| match Manifest::parse(json) {
        Ok(parsed) => parsed
            .load(bytes.clone(), &device)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    fuzz(
        "model.json fields",
        3000,
        (0..fields.len(), json_value()),
        |(field, value)| {
            let mut json = valid.clone();
            let mut target = &mut json;
            let path: Vec<&str> = fields[field].split('.').collect();
            for key in &path[..path.len() - 1] {
                target = &mut target[*key];
            }
            target[path[path.len() - 1]] = value.clone();
            if load(&json.to_string()).is_ok() {
                // Only values that change nothing the weights depend on may load.
                let parsed = Manifest::parse(&json.to_string()).unwrap();
                let parameters_as_written = parsed
                    .config
                    .clone()
                    .with_feature_norm(manifest.config.feature_norm);
                prop_assert_eq!(&parameters_as_written, &manifest.config);
                prop_assert_eq!(&parsed.weights_sha256, &manifest.weights_sha256);
            }
            Ok(())
        },
    );
    let text = serde_json::to_string_pretty(&manifest).unwrap();
    fuzz("model.json text", 3000, edits(), |e| {
        let damaged = String::from_utf8_lossy(&damaged(text.as_bytes(), &e)).into_owned();
        let _ = load(&damaged);
        Ok(())
    });
}

#[test]
fn run_files_read_on_resume() {
    // A real run's files: config.json and an epoch's three checkpoints.
    let run = tempfile::tempdir().unwrap();
    let config = crate::training::TrainConfig::new(
        DigitSeqConfig::new()
            .with_embed_dim(8)
            .with_lstm_hidden(4)
            .with_feature_norm(true),
    )
    .with_lengths(crate::sequences::LengthSpec {
        min: 3,
        max: 3,
        mean: 3.0,
        std: 0.0,
    })
    .with_epochs(1)
    .with_train_sequences(32)
    .with_valid_sequences(16)
    .with_batch_size(16)
    .with_augment(None);
    let digits = crate::training::TrainingDigits::split(&crate::mnist::Digits::bars(60), 20);
    crate::training::train(&config, &digits, &[Device::flex()], run.path(), None).unwrap();
    assert_eq!(crate::training::last_checkpoint(run.path()), Some(1));

    let checkpoints = run.path().join("checkpoint");
    let scratch = tempfile::tempdir().unwrap();
    let damaged_dir = scratch.path().join("checkpoint");
    std::fs::create_dir_all(&damaged_dir).unwrap();
    for part in ["model", "optim", "scheduler"] {
        let name = format!("{part}-1.bpk");
        let original = std::fs::read(checkpoints.join(&name)).unwrap();
        for other in ["model", "optim", "scheduler"] {
            let other = format!("{other}-1.bpk");
            std::fs::copy(checkpoints.join(&other), damaged_dir.join(&other)).unwrap();
        }
        fuzz(&format!("checkpoint {name}"), 700, edits(), |e| {
            std::fs::write(damaged_dir.join(&name), damaged(&original, &e)).unwrap();
            let _ = crate::training::checkpoint_readable(&damaged_dir, 1);
            Ok(())
        });
        std::fs::write(damaged_dir.join(&name), original).unwrap();
    }
    // The one clear case: a truncated checkpoint is passed over for the epoch before.
    std::fs::write(damaged_dir.join("model-1.bpk"), b"\x00\x01").unwrap();
    assert!(crate::training::checkpoint_readable(&damaged_dir, 1).is_err());
    assert_eq!(crate::training::last_checkpoint(scratch.path()), None);

    let text = std::fs::read(run.path().join("config.json")).unwrap();
    fuzz("config.json", 3000, edits(), |e| {
        std::fs::write(scratch.path().join("config.json"), damaged(&text, &e)).unwrap();
        let _ = crate::training::saved_config(scratch.path());
        Ok(())
    });
}

/// Strokes as JavaScript may send them: NaN, infinities, far outside the pad, empty.
fn coordinate() -> impl Strategy<Value = f32> {
    prop_oneof![
        8 => 0f32..800.0,
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
        1 => Just(f32::MAX),
        1 => -1e30f32..1e30,
    ]
}

fn strokes(max_strokes: usize, max_points: usize) -> impl Strategy<Value = Vec<Stroke>> {
    let point = (coordinate(), coordinate()).prop_map(|(x, y)| Point { x, y });
    let stroke = prop::collection::vec(point, 0..max_points).prop_map(|points| Stroke { points });
    prop::collection::vec(stroke, 0..max_strokes)
}

fn check_digits(strokes: &[Stroke]) -> Result<(), TestCaseError> {
    let digits = digits_from_strokes(strokes, &SegmentOptions::for_pad_height(200.0));
    prop_assert!(digits.len() <= strokes.len());
    for digit in &digits {
        prop_assert_eq!(digit.image.len(), IMAGE_PIXELS);
        prop_assert!(digit.image.iter().all(|v| (0.0..=1.0).contains(v)));
        prop_assert!(digit.strokes.iter().all(|&i| i < strokes.len()));
    }
    Ok(())
}

#[test]
fn strokes_from_javascript() {
    fuzz("strokes", 2000, strokes(12, 24), |s| check_digits(&s));
    // The sizes the issue names: 10⁵ points in one stroke, 10³ strokes.
    let long = Stroke {
        points: (0..100_000)
            .map(|i| Point {
                x: (i % 400) as f32,
                y: ((i / 400) % 200) as f32,
            })
            .collect(),
    };
    check_digits(&[long]).unwrap();
    let many: Vec<Stroke> = (0..1000)
        .map(|i| Stroke {
            points: vec![
                Point {
                    x: i as f32 * 3.0,
                    y: 10.0,
                },
                Point {
                    x: i as f32 * 3.0 + 2.0,
                    y: 190.0,
                },
            ],
        })
        .collect();
    check_digits(&many).unwrap();
}
