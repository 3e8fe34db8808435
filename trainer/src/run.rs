//! `trainer train` and `trainer sweep`: a full run (train, evaluate on the fixed test set,
//! report), then the export, or one run per label-noise rate beside the reference's figures.

use std::path::Path;
use std::time::Instant;

use crate::cli::TrainArgs;
use crate::device;
use crate::drawn_crops;
use crate::evaluate::{self, REFERENCE};
use crate::export;
use crate::mnist::{Digits, Split};
use crate::report;
use crate::sequences;
use crate::training::{self, TrainConfig, TrainingDigits};

/// One full run on `selected`: train, evaluate, report. Returns the trained net and its
/// test report. The device is chosen once per process: wgpu cannot be set up twice.
pub fn run(
    args: &TrainArgs,
    config: TrainConfig,
    run_dir: &Path,
    selected: &device::Selected,
) -> anyhow::Result<(
    digitseq_model::DigitSeqNet,
    evaluate::TestReport,
    TrainConfig,
)> {
    let resume_from = if args.resume {
        training::last_checkpoint(run_dir)
    } else {
        None
    };
    let config = match (args.resume, resume_from) {
        (true, Some(epoch)) => {
            let mut saved = training::saved_config(run_dir).map_err(|e| {
                anyhow::anyhow!(
                    "--resume: cannot read {}/config.json: {e}",
                    run_dir.display()
                )
            })?;
            saved.epochs = args.epochs.unwrap_or(saved.epochs);
            println!(
                "resuming {} after epoch {epoch} of {}",
                run_dir.display(),
                saved.epochs
            );
            saved
        }
        (true, None) => {
            println!(
                "--resume: no checkpoint in {}, starting afresh",
                run_dir.display()
            );
            config
        }
        (false, _) => config,
    };
    // A resumed run keeps its saved batch size and rate; a fresh one on a GPU takes the GPU's.
    let config = match resume_from {
        Some(_) => config,
        None => args.on_device(config, selected.gpu),
    };
    // Read the data before anything slow, so a missing file fails fast.
    let all = Digits::load(&args.data_dir, Split::Train)?;
    let test_set = evaluate::load_test_set(&args.data_dir)?;
    let mut digits = TrainingDigits::split(&all, config.valid_digits);
    if let Some(path) = &config.drawn_digits {
        let drawn = drawn_crops::digits(Path::new(path))?;
        println!(
            "training digits: {} from MNIST, {} drawn ({path})",
            digits.train.len(),
            drawn.len()
        );
        digits.train = std::sync::Arc::new(digits.train.concat(&drawn));
    }
    println!("device: {}", selected.description);

    let started = Instant::now();
    let devices = selected.training_devices();
    let trained = training::train(&config, &digits, &devices, run_dir, resume_from)?;
    let seconds = started.elapsed().as_secs_f64();

    let report = evaluate::evaluate(&trained, &test_set, &selected.device);
    let metrics =
        report::RunMetrics::collect(run_dir, &config, &selected.description, seconds, &report);
    metrics.write(run_dir)?;
    println!("{}", metrics.summary());
    Ok((trained, report, config))
}

pub fn train_and_export(args: &TrainArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    let selected = device::select_gpus(args.device, args.gpus.into())?;
    let (net, report, config) = run(args, config, &args.run_dir, &selected)?;
    if !args.no_export {
        let metrics = serde_json::json!({
            "test_set": format!(
                "{} sequences of MNIST test digits, seed {}",
                sequences::TEST_SEQUENCES, sequences::TEST_SEED
            ),
            "digit4_accuracy": report.digit4.accuracy,
            "macro_accuracy": report.macro_accuracy,
            "training": {
                "epochs": config.epochs,
                "train_sequences": config.train_sequences,
                "wsr": config.wsr,
                "seed": config.seed,
            },
        });
        let dir = export::destination(
            &args.export_dir,
            &args.run_dir.join("export"),
            report.macro_accuracy,
            args.force_export,
        );
        let dir = dir.as_path();
        let manifest = export::export(net, &config.model, metrics, dir)?;
        println!(
            "exported {} ({} bytes, sha256 {}) to {}",
            manifest.weights_file,
            manifest.weights_bytes,
            manifest.weights_sha256,
            dir.display()
        );
    }
    Ok(())
}

pub fn sweep(args: &TrainArgs) -> anyhow::Result<()> {
    let rates = if args.wsr.is_empty() {
        REFERENCE.map(|(rate, _, _)| rate).to_vec()
    } else {
        args.wsr.clone()
    };
    let mut table = String::from(
        "| WSR | reference (README) | reference (rerun) | ours: digit 4 | ours: all digits |\n|---|---|---|---|---|\n",
    );
    // Check every rate before the first hour of training, not after it.
    let configs = rates
        .iter()
        .map(|&wsr| args.with_wsr(wsr).config())
        .collect::<anyhow::Result<Vec<_>>>()?;
    let selected = device::select_gpus(args.device, args.gpus.into())?;
    for (&wsr, config) in rates.iter().zip(configs) {
        let run_dir = args.run_dir.join(format!("wsr-{wsr}"));
        // Untrained outputs make the all-digit average meaningless.
        let all_trained = config.only_digit.is_none();
        let (_, report, _) = run(args, config, &run_dir, &selected)?;
        let reference = REFERENCE.iter().find(|(r, _, _)| (r - wsr).abs() < 1e-9);
        let fmt = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.2}%"));
        table += &format!(
            "| {wsr} | {} | {} | {:.2}% | {} |\n",
            fmt(reference.map(|r| r.1)),
            fmt(reference.and_then(|r| r.2)),
            100.0 * report.digit4.accuracy,
            fmt(all_trained.then_some(100.0 * report.macro_accuracy)),
        );
        std::fs::write(args.run_dir.join("sweep.md"), &table)?;
    }
    println!("{table}");
    Ok(())
}
