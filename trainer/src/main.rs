//! `trainer`: MNIST → random digit sequences → CNN+LSTM trained with burn → metrics, plots,
//! and the weights the page loads. This file is the command dispatch; `cli.rs` holds the
//! flags, each command lives with what it does.

mod augment;
mod bench;
mod cli;
mod device;
mod dispatches;
mod drawn_crops;
mod evaluate;
mod export;
mod fetch;
mod files;
#[cfg(test)]
mod fuzz_tests;
mod gradients;
mod metrics;
mod mnist;
mod optimizer;
mod progress;
mod report;
mod run;
mod scorer;
mod sequences;
mod training;
#[cfg(test)]
mod wgpu_tests;

use clap::Parser;

use cli::{Cli, Command};
use device::DeviceChoice;

/// Training allocates and frees the same large buffers every step (activations, im2row
/// patches, gradients). By default glibc hands blocks over 128 KiB back to the kernel and
/// trims the heap, so every step page-faults them in again: ~6% of `trainer bench`'s CPU
/// time was the kernel's. Keeping freed memory in the heap cut that to ~1.5%.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    // SAFETY: mallopt only sets allocator parameters; this runs first in main, before any
    // other thread exists or allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    keep_freed_memory();
    let cli = Cli::parse();
    if cli.device() == DeviceChoice::Cpu {
        device::make_cpu_the_default();
    }
    let result = match cli.command {
        None => run::train_and_export(&cli.train),
        Some(Command::Train(args)) => run::train_and_export(&args),
        Some(Command::Sweep { train }) => run::sweep(&train),
        Some(Command::Fetch { data_dir }) => fetch::run(&data_dir),
        Some(Command::Eval {
            weights_dir,
            data_dir,
            device,
        }) => evaluate::eval(&weights_dir, &data_dir, device),
        Some(Command::Predict {
            weights_dir,
            samples,
        }) => evaluate::print_predictions(&weights_dir, &samples),
        Some(Command::Samples {
            data_dir,
            export_dir,
            count,
        }) => export::export_samples(&data_dir, &export_dir, count),
        Some(Command::Bench(args)) => bench::run(&args),
        Some(Command::Scorer(args)) => scorer::run(&args),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
