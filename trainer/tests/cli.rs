//! The trainer as a user runs it: bad input gets a clear error, never a panic.

mod common;

fn trainer(args: &[&str]) -> (bool, String) {
    common::run_trainer(env!("CARGO_MANIFEST_DIR").as_ref(), args, &[])
}

#[test]
fn missing_data_names_the_file_and_how_to_fetch_it() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, text) = trainer(&["--data-dir", dir.path().to_str().unwrap(), "--no-export"]);
    assert!(!ok);
    assert!(
        text.contains("train-images-idx3-ubyte") && text.contains("trainer -- fetch"),
        "{text}"
    );
}

#[test]
fn an_impossible_weak_supervision_rate_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, text) = trainer(&["--wsr", "1.5", "--data-dir", dir.path().to_str().unwrap()]);
    assert!(!ok);
    assert!(
        text.contains("--wsr must be a probability between 0 and 1"),
        "{text}"
    );
}

#[test]
fn corrupt_or_mismatched_weights_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let www = concat!(env!("CARGO_MANIFEST_DIR"), "/../www");
    for file in ["model.bpk", "model.json"] {
        std::fs::copy(format!("{www}/{file}"), dir.path().join(file)).unwrap();
    }
    let weights = dir.path().join("model.bpk");
    let mut bytes = std::fs::read(&weights).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&weights, &bytes).unwrap();
    let eval = || {
        trainer(&[
            "eval",
            "--weights-dir",
            dir.path().to_str().unwrap(),
            "--device",
            "cpu",
        ])
    };
    let (ok, text) = eval();
    assert!(!ok);
    assert!(text.contains("checksum mismatch"), "{text}");

    std::fs::write(dir.path().join("model.json"), "{\"format_version\": 99}").unwrap();
    let (ok, text) = eval();
    assert!(!ok);
    assert!(text.contains("format version 99"), "{text}");
}

#[test]
fn every_subcommand_parses_its_help() {
    for sub in [
        "train", "fetch", "eval", "sweep", "samples", "predict", "bench",
    ] {
        let (ok, text) = trainer(&[sub, "--help"]);
        assert!(ok, "{sub}: {text}");
    }
}

#[test]
fn a_sweep_checks_every_rate_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, text) = trainer(&[
        "sweep",
        "--wsr",
        "0,0.2,7",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(text.contains("got 7"), "{text}");
}
