//! The page's WebGPU device, with ears. cubecl installs no handler for a lost device or for
//! errors no call returns (a shader that fails validation only logs and leaves stale data,
//! cubecl issue #1641), so the page attaches its own to the device burn runs on and reads them
//! after every reading. A fault ends that device; opening again registers a fresh device as a
//! new burn runtime, so WebGPU can be retried without reloading the page.

use std::sync::{Arc, Mutex};

use burn::prelude::Device;
use burn::tensor::wgpu::{WgpuBackend, WgpuSetup, wgpu};

/// A deliberate device fault, for the end-to-end tests (`digitseq.injectGpuFault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The device is destroyed, as when the GPU resets or the driver crashes.
    Lose,
    /// An invalid command is submitted: a validation error that no call returns.
    Validation,
    /// From now on WebGPU's answers are altered, as by a driver that computes wrong results
    /// without any error: only comparing with the CPU can tell (`Backends` applies it).
    Corrupt,
}

impl Fault {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "lose" => Some(Fault::Lose),
            "validation" => Some(Fault::Validation),
            "corrupt" => Some(Fault::Corrupt),
            _ => None,
        }
    }
}

/// One WebGPU device and what its handlers heard.
pub struct Gpu {
    pub device: Device,
    handle: wgpu::Device,
    /// Kept to open a replacement: an adapter serves one device only.
    instance: wgpu::Instance,
    heard: Arc<Mutex<Option<String>>>,
}

impl Gpu {
    /// Opens a device: the first through burn (its choice of adapter, features and limits),
    /// later ones (`previous`) on a fresh adapter with the same features and limits.
    pub async fn open(previous: Option<&Gpu>) -> Result<Gpu, String> {
        let (device, setup) = match previous {
            None => Device::wgpu_options()
                .graphics_api(WgpuBackend::WebGpu)
                .init_with_setup_async()
                .await
                .map_err(|e| e.to_string())?,
            Some(previous) => {
                let setup = reopen(previous).await?;
                let device = Device::wgpu_options()
                    .setup(setup.clone())
                    .init()
                    .map_err(|e| e.to_string())?;
                (device, setup)
            }
        };
        let heard = Arc::new(Mutex::new(None));
        let on_error = heard.clone();
        setup
            .device
            .on_uncaptured_error(Arc::new(move |error: wgpu::Error| {
                record(&on_error, format!("the GPU reported an error: {error}"));
            }));
        let on_lost = heard.clone();
        setup
            .device
            .set_device_lost_callback(move |reason, message| {
                record(
                    &on_lost,
                    format!("the GPU device was lost ({reason:?}) {message}"),
                );
            });
        Ok(Gpu {
            device,
            handle: setup.device,
            instance: setup.instance,
            heard,
        })
    }

    /// What the handlers heard since the device was opened, if anything: the device's
    /// answers cannot be trusted any more.
    pub fn fault(&self) -> Option<String> {
        self.heard.lock().ok()?.clone()
    }

    /// Causes `fault` on this device.
    pub fn inject(&self, fault: Fault) {
        match fault {
            Fault::Lose => self.handle.destroy(),
            // Not a fault of the device: the answers are altered above it.
            Fault::Corrupt => {}
            Fault::Validation => {
                // MAP_READ may only be combined with COPY_DST: an invalid buffer.
                let _ = self.handle.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("deliberately invalid (test hook)"),
                    size: 4,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::STORAGE,
                    mapped_at_creation: false,
                });
            }
        }
    }
}

fn record(heard: &Mutex<Option<String>>, message: String) {
    web_sys::console::error_1(&message.clone().into());
    if let Ok(mut heard) = heard.lock() {
        heard.get_or_insert(message);
    }
}

async fn reopen(previous: &Gpu) -> Result<WgpuSetup, String> {
    let instance = previous.instance.clone();
    let adapter = instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        })
        .await
        .map_err(|e| format!("no GPU adapter: {e}"))?;
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("digitseq"),
            required_features: previous.handle.features(),
            required_limits: previous.handle.limits(),
            ..Default::default()
        })
        .await
        .map_err(|e| format!("the GPU refused a new device: {e}"))?;
    Ok(WgpuSetup {
        instance,
        backend: adapter.get_info().backend,
        adapter,
        device,
        queue,
    })
}
