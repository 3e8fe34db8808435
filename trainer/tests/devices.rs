//! `--device` as a user meets it on a machine with a Vulkan device (in CI: lavapipe, Mesa's
//! Vulkan on the CPU, which `scripts/test.sh` installs). Ignored by a plain `cargo test`;
//! `scripts/test.sh` runs them (names containing "wgpu") with `--ignored`.

mod common;

/// Runs the trainer in the repository root with the Vulkan loader reporting every use.
fn trainer(args: &[&str]) -> (bool, String) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    common::run_trainer(
        root.as_ref(),
        args,
        &[("VK_LOADER_DEBUG", "error,warn,info")],
    )
}

/// What the Vulkan loader prints first whenever anything starts it.
const LOADER_STARTED: &str = "Vulkan Loader Version";

#[test]
#[ignore = "needs a Vulkan device (scripts/test.sh installs lavapipe)"]
fn wgpu_auto_prefers_flex_over_a_software_adapter_and_says_so() {
    let (ok, text) = trainer(&[
        "bench",
        "--device",
        "auto",
        "--batch",
        "2",
        "--length",
        "3",
        "--warmup",
        "0",
        "--runs",
        "1",
        "--infer-runs",
        "1",
    ]);
    assert!(ok, "{text}");
    assert!(
        text.contains(LOADER_STARTED),
        "auto looks for a GPU: {text}"
    );
    assert!(
        text.contains("only a software wgpu adapter") && text.contains("using the CPU"),
        "{text}"
    );
    assert!(text.contains("\"device\": \"cpu (burn flex"), "{text}");
}

#[test]
#[ignore = "needs a Vulkan device and MNIST in data/mnist (scripts/test.sh)"]
fn wgpu_is_never_touched_by_device_cpu_training_or_resuming() {
    let run = tempfile::tempdir().unwrap();
    let run_dir = run.path().to_str().unwrap();
    let train = |extra: &[&str]| {
        let mut args = vec![
            "train",
            "--device",
            "cpu",
            "--data-dir",
            "data/mnist",
            "--train-sequences",
            "64",
            "--valid-sequences",
            "64",
            "--no-export",
            "--run-dir",
            run_dir,
        ];
        args.extend_from_slice(extra);
        trainer(&args)
    };
    let (ok, text) = train(&["--epochs", "1"]);
    assert!(ok, "{text}");
    assert!(
        !text.contains(LOADER_STARTED),
        "--device cpu started Vulkan: {text}"
    );
    let (ok, text) = train(&["--epochs", "2", "--resume"]);
    assert!(ok && text.contains("resuming"), "{text}");
    assert!(
        !text.contains(LOADER_STARTED),
        "--resume on the CPU started Vulkan: {text}"
    );
}
