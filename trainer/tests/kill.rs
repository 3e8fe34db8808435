//! Kill-safety: a real training run (real MNIST, CPU) is killed with SIGKILL ten times, at
//! random moments and the moment a checkpoint or the exported weights are being written, and
//! resumed each time. After every kill: every checkpoint file reads back, `config.json`
//! parses, and the export directory holds a matching pair (the old one or the new one).
//! The run then completes.
//!
//! Needs `data/mnist` (`cargo run -p trainer -- fetch`); scripts/test.sh runs it with
//! `--include-ignored`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use digitseq_model::weights::Manifest;

const KILLS: usize = 10;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mnist")
}

/// When to kill the run.
#[derive(Debug, Clone, Copy)]
enum Moment {
    After(Duration),
    /// As soon as a checkpoint file is being written (burnpack writes a scratch file first).
    CheckpointWrite,
    /// As soon as new weights appear in the export directory, before the manifest names them.
    ExportWrite,
}

/// A small seeded generator: the kill times are the same on every run of the test.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Starts the run; its stderr goes to `log` (a pipe nobody reads could fill and block it).
fn start(run: &Path, www: &Path, epochs: usize, log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args([
            "train",
            "--resume",
            "--device",
            "cpu",
            "--force-export",
            "--seed",
            "3",
        ])
        .args(["--train-sequences", "640", "--valid-sequences", "64"])
        .args(["--epochs", &epochs.to_string()])
        .arg("--data-dir")
        .arg(data_dir())
        .arg("--run-dir")
        .arg(run)
        .arg("--export-dir")
        .arg(www)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits for `moment`; true if the run was killed, false if it finished first.
fn kill_at(child: &mut Child, moment: Moment, run: &Path, www: &Path) -> bool {
    let checkpoints = run.join("checkpoint");
    let weights_before = names(www);
    let t0 = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let now = match moment {
            Moment::After(delay) => t0.elapsed() >= delay,
            Moment::CheckpointWrite => names(&checkpoints)
                .iter()
                .any(|n| !(n.ends_with(".bpk") && n.split('-').count() == 2)),
            Moment::ExportWrite => names(www).iter().any(|n| !weights_before.contains(n)),
        };
        if now {
            child.kill().unwrap();
            child.wait().unwrap();
            return true;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// What must hold after any kill.
fn assert_consistent(run: &Path, www: &Path, context: &str) {
    let json = std::fs::read_to_string(www.join("model.json"))
        .unwrap_or_else(|e| panic!("{context}: model.json unreadable: {e}"));
    let manifest = Manifest::parse(&json).unwrap_or_else(|e| panic!("{context}: model.json: {e}"));
    let weights = std::fs::read(www.join(&manifest.weights_file))
        .unwrap_or_else(|e| panic!("{context}: {}: {e}", manifest.weights_file));
    manifest
        .verify(&weights)
        .unwrap_or_else(|e| panic!("{context}: model.json and its weights differ: {e}"));

    let checkpoints = run.join("checkpoint");
    for name in names(&checkpoints) {
        let Some(kind) = name.strip_suffix(".bpk").and_then(|n| n.split('-').next()) else {
            continue; // a scratch file, never read
        };
        let path = checkpoints.join(&name);
        let read = match kind {
            "model" => burn::store::ModuleRecord::load(&path).map(|_| ()),
            "optim" => burn::optim::OptimizerRecord::load(&path).map(|_| ()),
            "scheduler" => burn::lr_scheduler::LrSchedulerRecord::load(&path).map(|_| ()),
            _ => Ok(()),
        };
        read.unwrap_or_else(|e| panic!("{context}: checkpoint {name} unreadable: {e}"));
    }
    if let Ok(text) = std::fs::read_to_string(run.join("config.json")) {
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap_or_else(|e| panic!("{context}: config.json: {e}"));
    }
}

#[test]
#[ignore = "needs MNIST in data/mnist; scripts/test.sh runs it"]
fn a_run_killed_ten_times_resumes_to_the_end_and_never_leaves_a_broken_file() {
    assert!(
        data_dir().join("t10k-labels-idx1-ubyte").exists()
            || data_dir().join("t10k-labels-idx1-ubyte.gz").exists(),
        "no MNIST in {}: cargo run -p trainer -- fetch",
        data_dir().display()
    );
    let scratch = tempfile::tempdir().unwrap();
    let (run, www) = (scratch.path().join("run"), scratch.path().join("www"));
    // The previous pair: the shipped weights.
    std::fs::create_dir_all(&www).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../www");
    for file in ["model.json", "model.bpk"] {
        std::fs::copy(shipped.join(file), www.join(file)).unwrap();
    }

    let log = scratch.path().join("stderr.log");
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let mut random = Lcg(16);
    let mut epochs = 3;
    let mut kills = Vec::new();
    let mut missed = 0;
    while kills.len() < KILLS {
        let watched = match kills.len() % 5 {
            1 => Some(Moment::CheckpointWrite),
            3 => Some(Moment::ExportWrite),
            _ => None,
        };
        // A write too quick to catch twice in a row gives way to a timed kill.
        let moment = match watched {
            Some(moment) if missed < 2 => moment,
            _ => Moment::After(Duration::from_secs_f64(0.3 + 6.0 * random.next())),
        };
        let mut child = start(&run, &www, epochs, &log);
        let killed = kill_at(&mut child, moment, &run, &www);
        let context = format!("after {moment:?} (kill {} of {KILLS})", kills.len() + 1);
        if killed {
            kills.push(moment);
            missed = 0;
        } else {
            // The run finished before the moment came: it must have succeeded; train on.
            let status = child.wait().unwrap();
            assert!(
                status.success(),
                "{context}: the run failed:\n{}",
                read_log()
            );
            assert!(
                !read_log().contains("panicked"),
                "{context}:\n{}",
                read_log()
            );
            epochs += 1;
            missed += 1;
        }
        assert_consistent(&run, &www, &context);
    }

    let status = start(&run, &www, epochs, &log).wait().unwrap();
    assert!(status.success(), "the last resume failed:\n{}", read_log());
    assert!(!read_log().contains("panicked"), "{}", read_log());
    assert_consistent(&run, &www, "at the end");
    let manifest = Manifest::parse(&std::fs::read_to_string(www.join("model.json")).unwrap());
    assert_ne!(
        manifest.unwrap().weights_file,
        "model.bpk",
        "this run exported"
    );
    eprintln!(
        "survived {} kills: {kills:?}; {epochs} epochs in the end",
        kills.len()
    );
}
