//! Checks on the real MNIST files and the weights shipped in `www/`. They need
//! `data/mnist` (`cargo run -p trainer -- fetch`), so plain `cargo test` lists them as
//! ignored; `scripts/test.sh` fetches the data and runs them with `--include-ignored`.

use std::process::Command;

const NEEDS_DATA: &str = "needs MNIST in data/mnist: run scripts/test.sh";

fn trainer(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "trainer {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
#[ignore = "needs MNIST in data/mnist: run scripts/test.sh"]
fn fetch_keeps_the_verified_files_it_already_has() {
    let _ = NEEDS_DATA;
    let out = trainer(&["fetch", "--data-dir", "data/mnist"]);
    assert_eq!(out.matches("present, checksum ok").count(), 4, "{out}");
}

#[test]
#[ignore = "needs MNIST in data/mnist: run scripts/test.sh"]
fn shipped_weights_beat_the_reference_on_the_fixed_test_set() {
    let out = trainer(&[
        "eval",
        "--weights-dir",
        "www",
        "--data-dir",
        "data/mnist",
        "--device",
        "cpu",
    ]);
    let json = &out[out.find('{').expect("JSON report")..];
    let report: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(report["sequences"], 10_000);
    let digit4 = report["digit4"]["accuracy"].as_f64().unwrap();
    let macro_accuracy = report["macro_accuracy"].as_f64().unwrap();
    // The targets: ≥ 99.5% for digit 4 (the reference: 98.8% in its README, 99.06% when its
    // code was rerun here) and ≥ 99% averaged over all ten digits.
    assert!(digit4 >= 0.995, "digit-4 accuracy {digit4}");
    assert!(
        macro_accuracy >= 0.99,
        "all-digit accuracy {macro_accuracy}"
    );
}

#[test]
#[ignore = "needs MNIST in data/mnist: run scripts/test.sh"]
fn predictions_for_shipped_samples_are_probabilities_for_every_prefix() {
    let out = trainer(&["predict", "--weights-dir", "www", "--samples", "0,1,2,3,4"]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let rows = v["probabilities"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    for row in rows {
        let row = row.as_array().unwrap();
        assert_eq!(row.len(), 10);
        assert!(
            row.iter()
                .all(|p| (0.0..=1.0).contains(&p.as_f64().unwrap()))
        );
    }
}
