//! Counting kernel launches on wgpu: what a GPU pays for per training step whatever its speed,
//! so a software adapter (lavapipe) measures it as well as a real GPU. cubecl's profiling log
//! at its lowest level names every kernel it launches; routed into the `log` crate, a counter
//! tallies them. Set up before the wgpu device exists: cubecl reads its config once.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use burn::cubecl::config::profiling::ProfilingLogLevel;
use burn::cubecl::config::{CubeClRuntimeConfig, RuntimeConfig};

static LAUNCHED: AtomicU64 = AtomicU64::new(0);
/// Launches per kernel name (the name up to its first generic parameter).
static BY_NAME: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

/// cubecl's profiling messages reach the `log` crate under this target.
const TARGET: &str = "cubecl::profiling";

struct Counter;

impl log::Log for Counter {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.target() == TARGET
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = record.args().to_string();
        if let Some(name) = message.strip_prefix("Executing ") {
            let short = name.split(['<', ' ', '(']).next().unwrap_or(name);
            if let Ok(mut by_name) = BY_NAME.lock() {
                *by_name.entry(short.to_string()).or_default() += 1;
            }
            LAUNCHED.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn flush(&self) {}
}

/// Turns counting on (cubecl's defaults otherwise; a `cubecl.toml` is not read). Fails if
/// cubecl or the `log` crate was configured already.
pub fn start() -> anyhow::Result<()> {
    let mut config = CubeClRuntimeConfig::default();
    config.profiling.logger.level = ProfilingLogLevel::Minimal;
    // The default sink is the `log` crate at level info.
    config.profiling.logger.log = Some(Default::default());
    anyhow::ensure!(
        CubeClRuntimeConfig::try_set(config),
        "cubecl was configured before the dispatch counter"
    );
    log::set_logger(&Counter).map_err(|e| anyhow::anyhow!("dispatch counter: {e}"))?;
    log::set_max_level(log::LevelFilter::Info);
    Ok(())
}

/// Kernels launched so far. cubecl logs from a background task: call after the device has
/// synced; this waits until the count stops moving.
pub fn launched() -> u64 {
    let mut last = LAUNCHED.load(Ordering::Relaxed);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let now = LAUNCHED.load(Ordering::Relaxed);
        if now == last {
            return now;
        }
        last = now;
    }
}

/// Launches per kernel name so far (call after `launched`, which waits for the log).
pub fn by_name() -> BTreeMap<String, u64> {
    BY_NAME.lock().map(|m| m.clone()).unwrap_or_default()
}
