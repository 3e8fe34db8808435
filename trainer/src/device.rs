//! `--device auto|wgpu|cpu`: a real GPU through wgpu when there is one, else burn's pure-Rust
//! `flex` CPU backend. Says which adapter it picked. `--gpus N`: the first N discrete GPUs.

use burn::prelude::Device;
use burn::tensor::DeviceKind;

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
    /// The device that evaluates, and that updates the weights when training uses several.
    pub device: Device,
    /// Further GPUs training also runs on (`--gpus`), each reading its share of the batches.
    pub others: Vec<Device>,
    /// Human-readable: backend and adapter.
    pub description: String,
    /// Whether it is wgpu (any adapter): training takes `TrainConfig::for_gpu`'s defaults.
    pub gpu: bool,
}

impl Selected {
    /// Every device training runs on, the main one first.
    pub fn training_devices(&self) -> Vec<Device> {
        std::iter::once(self.device.clone())
            .chain(self.others.iter().cloned())
            .collect()
    }
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
        others: Vec::new(),
    }
}

/// Probes the main device for a shader loop cap ([`digitseq_kernels::shader_loop_cap`]); where
/// there is one, says so in the description and warns: such a device computes long reductions
/// wrongly without an error.
fn with_loop_cap(mut selected: Selected) -> Selected {
    if let Some(cap) = digitseq_kernels::shader_loop_cap(&selected.device) {
        eprintln!(
            "warning: {} stops every shader loop after {cap} iterations (Mesa's software \
             Vulkan does): longer reductions come out wrong without an error, so training on \
             it past about 100 digits a batch gets wrong convolution gradients (docs/gpu.md). \
             Train with --device cpu, or on a hardware GPU.",
            selected.description
        );
        selected.description += &format!(", shader loops cut at {cap} iterations");
    }
    selected
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
                    others: Vec::new(),
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
            .map(|(s, _)| with_loop_cap(s))
            .map_err(|e| anyhow::anyhow!("--device wgpu: no usable adapter: {e}")),
        DeviceChoice::Auto => match wgpu() {
            Ok((s, false)) => Ok(with_loop_cap(s)),
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

/// `count` GPUs for training (`--gpus`): wgpu's discrete GPUs 0 to `count − 1`, the first
/// the main one; one GPU as [`select`] picks it.
pub fn select_gpus(choice: DeviceChoice, count: usize) -> anyhow::Result<Selected> {
    if count <= 1 {
        return select(choice);
    }
    anyhow::ensure!(
        choice != DeviceChoice::Cpu,
        "--gpus {count} trains on GPUs: use it with --device wgpu or auto"
    );
    let mut devices = Vec::with_capacity(count);
    let mut names = Vec::with_capacity(count);
    for index in 0..count {
        let init = std::panic::catch_unwind(|| {
            Device::wgpu_options()
                .device_kind(DeviceKind::DiscreteGpu(index))
                .init_with_setup()
        });
        let (device, setup) = match init {
            Ok(Ok(found)) => found,
            Ok(Err(e)) => anyhow::bail!("--gpus {count}: no discrete GPU {index}: {e}"),
            Err(_) => anyhow::bail!("--gpus {count}: wgpu panicked looking for GPU {index}"),
        };
        let info = setup.adapter.get_info();
        names.push(format!("{} ({:?})", info.name, info.backend));
        devices.push(device);
    }
    let device = devices.remove(0);
    Ok(with_loop_cap(Selected {
        device,
        others: devices,
        description: format!("wgpu, {count} GPUs: {}", names.join(", ")),
        gpu: true,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_gpus_are_refused_on_the_cpu_and_one_is_the_plain_choice() {
        let err = select_gpus(DeviceChoice::Cpu, 2)
            .err()
            .expect("--gpus 2 on the CPU");
        assert!(err.to_string().contains("--device wgpu or auto"), "{err}");
        let one = select_gpus(DeviceChoice::Cpu, 1).unwrap();
        assert!(!one.gpu && one.others.is_empty());
        assert_eq!(one.training_devices().len(), 1);
    }
}
