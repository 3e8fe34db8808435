//! Running the trainer binary as a user would, for the integration tests.

use std::path::Path;
use std::process::Command;

/// Runs `trainer args` in `dir` with `env` added; success and stdout + stderr. A panic is
/// never an acceptable way to fail.
pub fn run_trainer(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!text.contains("panicked"), "{text}");
    (out.status.success(), text)
}
