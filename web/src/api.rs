//! `window.digitseq`: a small JS API for end-to-end tests and benchmarks.
//!
//! State, refreshed after every reading: `ready`, `backend`, `lastInferenceMs`, `inferences`,
//! `digits`, `target`, `probabilities` (per position, 10 numbers each), `answeredAt`
//! (`performance.now()` when the last reading's answer was put on the page),
//! `wasmMemoryBytes` (the wasm linear memory's size) and `padHeightUnits` (stroke
//! coordinates are in pad units; the pad is that many units tall).
//!
//! Actions: `showSamples([i, j, …])`, `setStrokes([[[x, y], …], …])`, `clear()`, `undo()`,
//! `setTargetDigit(d)`, `setBackend("webgpu" | "cpu")`, `injectGpuFault("lose" |
//! "validation")` (destroys the WebGPU device, or raises an error no call returns; false
//! without a device) and `panicForTest()` (a deliberate Rust panic, to check that crashes are
//! reported in `#error`). `?gpuFault=corrupt` in the URL alters WebGPU's answers, which the
//! warm-up check must catch.
//!
//! Readings are asynchronous: after an action, wait for `document.body.dataset.busy` to go
//! away (or `inferences` to grow).

use digitseq_model::preprocess::{Point, Stroke};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::app::{self, Shared};
use crate::geometry::PAD_UNITS_HIGH;
use crate::gpu::Fault;
use crate::inference::Backend;

#[derive(Default)]
pub struct Stats {
    last_ms: f64,
    inferences: u32,
    backend: Option<Backend>,
    probabilities: Vec<[f32; 10]>,
}

impl Stats {
    pub fn record(&mut self, ms: f64, backend: Backend, probabilities: &[[f32; 10]]) {
        self.last_ms = ms;
        self.inferences += 1;
        self.backend = Some(backend);
        self.probabilities = probabilities.to_vec();
    }
}

fn api_object() -> Option<Object> {
    let window = web_sys::window()?;
    Reflect::get(&window, &"digitseq".into())
        .ok()?
        .dyn_into()
        .ok()
}

fn set(object: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(object, &key.into(), &value.into());
}

fn method<F: Fn(JsValue) -> JsValue + 'static>(object: &Object, name: &str, f: F) {
    let closure = Closure::<dyn Fn(JsValue) -> JsValue>::new(f);
    set(object, name, closure.as_ref().clone());
    closure.forget(); // lives as long as the page
}

/// Creates `window.digitseq` with its actions.
pub fn expose(app: &Shared) -> Result<(), JsValue> {
    let object = Object::new();
    set(&object, "ready", false);
    set(&object, "padHeightUnits", PAD_UNITS_HIGH);
    let a = app.clone();
    method(&object, "showSamples", move |indices| {
        let indices: Vec<usize> = serde_wasm_bindgen::from_value(indices).unwrap_or_default();
        app::show_samples(&a, indices).into()
    });
    let a = app.clone();
    method(
        &object,
        "setStrokes",
        move |strokes| match serde_wasm_bindgen::from_value::<Vec<Vec<(f32, f32)>>>(strokes) {
            Ok(strokes) => {
                let strokes = strokes
                    .into_iter()
                    .map(|points| Stroke {
                        points: points.into_iter().map(|(x, y)| Point { x, y }).collect(),
                    })
                    .collect();
                app::set_strokes(&a, strokes);
                true.into()
            }
            Err(_) => false.into(),
        },
    );
    let a = app.clone();
    method(&object, "clear", move |_| {
        app::clear(&a);
        JsValue::UNDEFINED
    });
    let a = app.clone();
    method(&object, "undo", move |_| {
        app::undo(&a);
        JsValue::UNDEFINED
    });
    let a = app.clone();
    method(&object, "setTargetDigit", move |digit| {
        match digit.as_f64() {
            Some(d) if (0.0..=9.0).contains(&d) => {
                app::set_target(&a, d as usize);
                true.into()
            }
            _ => false.into(),
        }
    });
    let a = app.clone();
    method(&object, "setBackend", move |name| {
        match name.as_string().as_deref().and_then(Backend::parse) {
            Some(backend) => {
                app::set_backend(&a, backend);
                true.into()
            }
            None => false.into(),
        }
    });
    let a = app.clone();
    method(&object, "injectGpuFault", move |name| {
        match name.as_string().as_deref().and_then(Fault::parse) {
            Some(fault) => app::inject_gpu_fault(&a, fault).into(),
            None => false.into(),
        }
    });
    method(&object, "panicForTest", |_| {
        panic!("deliberate panic from window.digitseq.panicForTest()")
    });
    let window = web_sys::window().ok_or("no window")?;
    Reflect::set(&window, &"digitseq".into(), &object)?;
    Ok(())
}

/// Refreshes the state fields of `window.digitseq`.
pub fn publish(app: &Shared) {
    let Some(object) = api_object() else { return };
    let a = app.borrow();
    let stats = &a.stats;
    set(&object, "ready", a.is_model_ready());
    set(&object, "lastInferenceMs", stats.last_ms);
    set(&object, "inferences", stats.inferences);
    set(
        &object,
        "backend",
        stats.backend.map_or(JsValue::NULL, |b| b.name().into()),
    );
    set(&object, "digits", stats.probabilities.len() as u32);
    set(&object, "target", a.target_digit() as u32);
    let rows = Array::new();
    for row in &stats.probabilities {
        rows.push(
            &row.iter()
                .map(|&p| JsValue::from_f64(p as f64))
                .collect::<Array>(),
        );
    }
    set(&object, "probabilities", rows);
    set(&object, "answeredAt", app::now());
    set(&object, "wasmMemoryBytes", wasm_memory_bytes());
}

/// The size of the wasm instance's linear memory (it only grows), for the soak test.
fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0.0, |b| b.byte_length() as f64)
}
