//! The engines the page reads with, at most one per backend, and the WebGPU device under
//! them. A WebGPU engine is trusted only once it answers as the CPU does; a device that
//! failed is closed and kept, so choosing WebGPU again can open a replacement.

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::Device;
use digitseq_model::samples::Samples;
use digitseq_model::{IMAGE_PIXELS, IMAGE_SIDE};

use crate::assets::ModelFiles;
use crate::browser;
use crate::gpu::{Fault, Gpu};
use crate::inference::{Backend, Engine};

/// WebGPU is trusted once its answers to a real sequence are this close to the CPU's.
const GPU_CHECK_TOLERANCE: f32 = 1e-3;
/// Digits in that sequence (spread over samples.bin).
const GPU_CHECK_DIGITS: usize = 10;
/// After the warm-up check, every this many WebGPU readings one is read again on the CPU
/// and compared: a device can start answering wrong later (one did here, once, after its
/// check had passed). Costs one CPU reading in this many.
const SPOT_CHECK_EVERY: u32 = 20;

enum GpuState {
    /// None open: not tried yet, or the last one failed (kept to open a replacement).
    Closed(Option<Rc<Gpu>>),
    Ready(Rc<Gpu>),
    /// This browser cannot run WebGPU at all.
    Unavailable(String),
}

/// A handle; the pool has its own cell because making an engine holds it across awaits.
#[derive(Clone)]
pub struct Backends(Rc<RefCell<Pool>>);

struct Pool {
    files: Option<Rc<ModelFiles>>,
    /// Taken out while they read.
    engines: Vec<Engine>,
    gpu: GpuState,
    /// What WebGPU's check reads: shipped sample digits once they have loaded.
    check_images: Option<Vec<Vec<f32>>>,
    /// `?gpuFault=corrupt` or `injectGpuFault("corrupt")`: alter WebGPU's answers
    /// (end-to-end tests of the checks).
    corrupt_gpu_for_test: bool,
    /// WebGPU readings since the last comparison with the CPU.
    since_check: u32,
}

impl Backends {
    pub fn new(corrupt_gpu_for_test: bool) -> Self {
        Backends(Rc::new(RefCell::new(Pool {
            files: None,
            engines: Vec::new(),
            gpu: GpuState::Closed(None),
            check_images: None,
            corrupt_gpu_for_test,
            since_check: 0,
        })))
    }

    pub fn set_model_files(&self, files: ModelFiles) {
        self.0.borrow_mut().files = Some(Rc::new(files));
    }

    pub fn has_model_files(&self) -> bool {
        self.0.borrow().files.is_some()
    }

    /// Checks WebGPU on these digits from now on.
    pub fn check_with(&self, samples: &Samples) {
        let images = (0..GPU_CHECK_DIGITS.min(samples.len()))
            .map(|i| samples.image(i * samples.len() / GPU_CHECK_DIGITS))
            .collect();
        self.0.borrow_mut().check_images = Some(images);
    }

    /// Returns an engine taken out by `engine_for`, for the next reading.
    pub fn put_back(&self, engine: Engine) {
        self.0.borrow_mut().engines.push(engine);
    }

    /// What the WebGPU device's handlers heard, if it is the one in use.
    pub fn gpu_fault(&self) -> Option<String> {
        match &self.0.borrow().gpu {
            GpuState::Ready(gpu) => gpu.fault(),
            _ => None,
        }
    }

    /// Test hook: causes `fault` on the WebGPU device in use; false if there is none.
    pub fn inject_gpu_fault(&self, fault: Fault) -> bool {
        let gpu = match &self.0.borrow().gpu {
            GpuState::Ready(gpu) => gpu.clone(),
            _ => return false,
        };
        if fault == Fault::Corrupt {
            self.0.borrow_mut().corrupt_gpu_for_test = true;
        }
        gpu.inject(fault);
        true
    }

    /// WebGPU's answers as the page takes them: altered under the `corrupt` test fault.
    pub fn gpu_answers(&self, mut probabilities: Vec<[f32; 10]>) -> Vec<[f32; 10]> {
        if self.0.borrow().corrupt_gpu_for_test {
            for row in &mut probabilities {
                row.iter_mut().for_each(|p| *p = 1.0 - *p);
            }
        }
        probabilities
    }

    /// Counts a WebGPU reading of `images` that answered `got`; every `SPOT_CHECK_EVERY`th
    /// is read again on the CPU, and an error says how far apart they were.
    pub async fn spot_check(&self, images: &[&[f32]], got: &[[f32; 10]]) -> Result<(), String> {
        {
            let mut pool = self.0.borrow_mut();
            pool.since_check += 1;
            if pool.since_check < SPOT_CHECK_EVERY {
                return Ok(());
            }
            pool.since_check = 0;
        }
        let expected = self.read_on_cpu(images).await?;
        compare(&expected, got).map_err(|worst| {
            format!("its answers drifted from the CPU's, by up to {worst:.3} on your digits")
        })
    }

    /// `images` read on the CPU engine (made if there is none yet), which stays in the pool.
    async fn read_on_cpu(&self, images: &[&[f32]]) -> Result<Vec<[f32; 10]>, String> {
        let mut cpu = match self.take(Backend::Cpu) {
            Some(engine) => engine,
            None => self.new_engine(Device::flex(), Backend::Cpu).await?,
        };
        let read = cpu.read(images).await.map_err(|e| e.to_string());
        self.put_back(cpu);
        Ok(read?.probabilities)
    }

    /// Why WebGPU cannot be had in this browser, if it cannot.
    pub fn webgpu_unavailable(&self) -> Option<String> {
        match &self.0.borrow().gpu {
            GpuState::Unavailable(reason) => Some(reason.clone()),
            _ => None,
        }
    }

    /// Drops the WebGPU engine and closes its device; true if a new one may be tried.
    pub fn close_webgpu(&self) -> bool {
        let mut pool = self.0.borrow_mut();
        pool.engines.retain(|e| e.backend != Backend::WebGpu);
        pool.gpu = match std::mem::replace(&mut pool.gpu, GpuState::Closed(None)) {
            GpuState::Ready(gpu) => GpuState::Closed(Some(gpu)),
            other => other,
        };
        !matches!(pool.gpu, GpuState::Unavailable(_))
    }

    /// The engine for `backend`, taken out of the pool: the existing one, or the weights
    /// loaded onto a new device and warmed up with one dummy reading (compiles shaders,
    /// fills allocators), so the first real answer comes fast.
    pub async fn engine_for(&self, backend: Backend) -> Result<Engine, String> {
        if let Some(engine) = self.take(backend) {
            return Ok(engine);
        }
        let device = match backend {
            Backend::Cpu => Device::flex(),
            Backend::WebGpu => self.gpu_device().await?,
        };
        let mut engine = self.new_engine(device, backend).await?;
        if backend == Backend::WebGpu {
            self.check_against_cpu(&mut engine).await?;
        }
        Ok(engine)
    }

    fn take(&self, backend: Backend) -> Option<Engine> {
        let mut pool = self.0.borrow_mut();
        let at = pool.engines.iter().position(|e| e.backend == backend)?;
        Some(pool.engines.swap_remove(at))
    }

    async fn new_engine(&self, device: Device, backend: Backend) -> Result<Engine, String> {
        let files = self
            .0
            .borrow()
            .files
            .clone()
            .ok_or("the model is not loaded")?;
        let (net, _) = files.load(&device)?;
        let mut engine = Engine::new(net, device, backend);
        let blank = vec![0.0f32; IMAGE_PIXELS];
        engine
            .read(&[blank.as_slice()])
            .await
            .map_err(|e| format!("the warm-up reading failed: {e}"))?;
        engine.forget();
        Ok(engine)
    }

    /// A driver can compute wrong answers without any error, so WebGPU must answer a real
    /// sequence as the CPU does. The CPU engine made for the check stays, ready for a
    /// fallback.
    async fn check_against_cpu(&self, gpu: &mut Engine) -> Result<(), String> {
        let images = self.0.borrow().check_images.clone().unwrap_or_else(bars);
        let images: Vec<&[f32]> = images.iter().map(Vec::as_slice).collect();
        let expected = self.read_on_cpu(&images).await?;
        let got = gpu
            .read(&images)
            .await
            .map_err(|e| format!("its check reading failed: {e}"))?
            .probabilities;
        gpu.forget();
        let got = self.gpu_answers(got);
        if let Some(reason) = self.gpu_fault() {
            return Err(reason);
        }
        compare(&expected, &got).map_err(|worst| {
            format!("its answers differ from the CPU's by up to {worst:.3} on a test sequence")
        })
    }

    async fn gpu_device(&self) -> Result<Device, String> {
        let previous = match &self.0.borrow().gpu {
            GpuState::Ready(gpu) => return Ok(gpu.device.clone()),
            GpuState::Unavailable(reason) => return Err(reason.clone()),
            GpuState::Closed(previous) => previous.clone(),
        };
        if !browser::has_webgpu() {
            return Err("this browser offers no WebGPU".into());
        }
        let opened = Gpu::open(previous.as_deref()).await.map_err(|e| {
            browser::warn(&format!("WebGPU initialisation failed: {e}"));
            // wgpu's own words are long and technical; the console has them in full.
            if e.to_lowercase().contains("adapter") {
                "the browser offers no GPU adapter".to_string()
            } else {
                e.chars().take(160).collect()
            }
        });
        match opened {
            Ok(gpu) => {
                let device = gpu.device.clone();
                self.0.borrow_mut().gpu = GpuState::Ready(Rc::new(gpu));
                Ok(device)
            }
            // The first device could not be had: this browser cannot run WebGPU.
            Err(reason) if previous.is_none() => {
                self.0.borrow_mut().gpu = GpuState::Unavailable(reason.clone());
                Err(reason)
            }
            Err(reason) => Err(reason),
        }
    }
}

/// The check's digits without samples (they failed to load): bars at different heights
/// still exercise every layer.
/// `Err(the largest difference)` unless `got` is `expected` within `GPU_CHECK_TOLERANCE`.
fn compare(expected: &[[f32; 10]], got: &[[f32; 10]]) -> Result<(), f32> {
    let worst = expected
        .iter()
        .flatten()
        .zip(got.iter().flatten())
        .map(|(e, g)| (e - g).abs())
        .fold(0.0f32, f32::max);
    if expected.len() != got.len() || worst.is_nan() || worst > GPU_CHECK_TOLERANCE {
        return Err(worst);
    }
    Ok(())
}

fn bars() -> Vec<Vec<f32>> {
    (0..GPU_CHECK_DIGITS)
        .map(|d| {
            let mut image = vec![0.0f32; IMAGE_PIXELS];
            image[(4 + 2 * d) * IMAGE_SIDE + 4..(5 + 2 * d) * IMAGE_SIDE - 4].fill(1.0);
            image
        })
        .collect()
}
