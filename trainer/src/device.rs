//! `--device auto|wgpu|cpu`: a real GPU through wgpu when there is one, else burn's pure-Rust
//! `flex` CPU backend. Says which adapter it picked.

use burn::prelude::Device;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceChoice {
    /// A hardware GPU through wgpu if present, else the CPU.
    Auto,
    /// wgpu, whatever adapter it finds (software ones included); fails if none.
    Wgpu,
    /// burn's flex CPU backend.
    Cpu,
}

pub struct Selected {
    pub device: Device,
    /// Human-readable: backend and adapter.
    pub description: String,
    /// Whether it is wgpu (any adapter): training takes `TrainConfig::for_gpu`'s defaults.
    pub gpu: bool,
}

/// Threads rayon's global pool (hence `flex`) uses: what `rayon::current_num_threads()`
/// would say, without depending on rayon here.
pub fn cpu_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Makes flex what `Device::default()` gives. burn-train restores checkpoints onto the
/// default device before moving them to the run's, and with the wgpu feature built in the
/// default is wgpu: a CPU run that resumed started the Vulkan loader (and would take GPU
/// memory where there is a GPU). Call first thing in `main`, before any other thread exists.
pub fn make_cpu_the_default() {
    // SAFETY: called at the start of main, single-threaded: nothing reads the environment
    // concurrently.
    unsafe { std::env::set_var("BURN_DEVICE", "flex") };
}

fn cpu() -> Selected {
    let threads = cpu_threads();
    Selected {
        device: Device::flex(),
        description: format!("cpu (burn flex, {threads} threads)"),
        gpu: false,
    }
}

/// Initialises wgpu and reports its adapter; `None` with the reason if there is none.
fn wgpu() -> Result<(Selected, bool), String> {
    // Adapter discovery can panic deep in a driver; treat that as "no GPU".
    let init = std::panic::catch_unwind(|| Device::wgpu_options().init_with_setup());
    match init {
        Ok(Ok((device, setup))) => {
            let info = setup.adapter.get_info();
            let software = info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu;
            Ok((
                Selected {
                    device,
                    description: format!(
                        "wgpu: {} ({:?}, {:?})",
                        info.name, info.device_type, info.backend
                    ),
                    gpu: true,
                },
                software,
            ))
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("wgpu panicked while looking for an adapter".into()),
    }
}

pub fn select(choice: DeviceChoice) -> anyhow::Result<Selected> {
    match choice {
        DeviceChoice::Cpu => Ok(cpu()),
        DeviceChoice::Wgpu => wgpu()
            .map(|(s, _)| s)
            .map_err(|e| anyhow::anyhow!("--device wgpu: no usable adapter: {e}")),
        DeviceChoice::Auto => match wgpu() {
            Ok((s, false)) => Ok(s),
            // A software rasteriser would be far slower than flex on the same cores.
            Ok((s, true)) => {
                eprintln!(
                    "only a software wgpu adapter ({}); using the CPU",
                    s.description
                );
                Ok(cpu())
            }
            Err(e) => {
                eprintln!("no GPU adapter ({e}); using the CPU");
                Ok(cpu())
            }
        },
    }
}
