//! `window.digitseq`: a small JS API for end-to-end tests and benchmarks.
//!
//! State, refreshed after every reading: `ready`, `backend`, `lastInferenceMs`, `inferences`,
//! `digits`, `target`, `probabilities` (per position, 10 numbers each), `groups` (the pad's
//! stroke indices of each digit shown, left to right; empty for samples), `answeredAt`
//! (`performance.now()` when the last reading's answer was put on the page),
//! `wasmMemoryBytes` (the wasm linear memory's size) and `padHeightUnits` (stroke
//! coordinates are in pad units; the pad is that many units tall).
//!
//! Actions: `showSamples([i, j, …])`, `setStrokes([[[x, y], …], …])`, `clear()`, `undo()`,
//! `setTargetDigit(d)`, `setBackend("webgpu" | "cpu")`, `injectGpuFault("lose" |
//! "validation" | "corrupt")` (destroys the WebGPU device, raises an error no call returns, or
//! alters WebGPU's answers from now on; false without a device) and `panicForTest()` (a deliberate Rust panic, to check that crashes are
//! reported in `#error`). `?gpuFault=corrupt` in the URL alters WebGPU's answers, which the
//! warm-up check must catch.
//!
//! Readings are asynchronous: after an action, wait for `document.body.dataset.busy` to go
//! away (or `inferences` to grow).
//!
//! It only sends the page `Action`s and hears its `Published` state through the callback
//! given to `Page::new`, so the page knows nothing of it.

use digitseq_model::preprocess::{Point, Stroke};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::browser::now;
use crate::geometry::PAD_UNITS_HIGH;
use crate::gpu::Fault;
use crate::inference::Backend;
use crate::page::{Action, Page, Published};

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
pub fn expose(page: &Page) -> Result<(), JsValue> {
    let object = Object::new();
    set(&object, "ready", false);
    set(&object, "padHeightUnits", PAD_UNITS_HIGH);
    // A method whose argument becomes an action; it answers whether the action applied
    // (false for an argument that makes no action).
    let action = |name: &str, parse: fn(JsValue) -> Option<Action>| {
        let page = page.clone();
        method(&object, name, move |arg| match parse(arg) {
            Some(action) => page.dispatch(action).into(),
            None => false.into(),
        });
    };
    action("showSamples", |indices| {
        let indices = serde_wasm_bindgen::from_value(indices).unwrap_or_default();
        Some(Action::ShowSamples(indices))
    });
    action("setStrokes", |strokes| {
        let strokes: Vec<Vec<(f32, f32)>> = serde_wasm_bindgen::from_value(strokes).ok()?;
        let strokes = strokes
            .into_iter()
            .map(|points| Stroke {
                points: points.into_iter().map(|(x, y)| Point { x, y }).collect(),
            })
            .collect();
        Some(Action::SetStrokes(strokes))
    });
    action("setTargetDigit", |digit| match digit.as_f64() {
        Some(d) if (0.0..=9.0).contains(&d) => Some(Action::SetTarget(d as usize)),
        _ => None,
    });
    action("setBackend", |name| {
        name.as_string()
            .as_deref()
            .and_then(Backend::parse)
            .map(Action::SetBackend)
    });
    action("injectGpuFault", |name| {
        name.as_string()
            .as_deref()
            .and_then(Fault::parse)
            .map(Action::InjectGpuFault)
    });
    // These two answer nothing.
    let command = |name: &str, action: fn() -> Action| {
        let page = page.clone();
        method(&object, name, move |_| {
            page.dispatch(action());
            JsValue::UNDEFINED
        });
    };
    command("clear", || Action::Clear);
    command("undo", || Action::Undo);
    method(&object, "panicForTest", |_| {
        panic!("deliberate panic from window.digitseq.panicForTest()")
    });
    let window = web_sys::window().ok_or("no window")?;
    Reflect::set(&window, &"digitseq".into(), &object)?;
    Ok(())
}

/// Refreshes the state fields of `window.digitseq`.
pub fn publish(published: &Published) {
    let Some(object) = api_object() else { return };
    let stats = &published.stats;
    set(&object, "ready", published.ready);
    set(&object, "lastInferenceMs", stats.last_ms);
    set(&object, "inferences", stats.inferences);
    set(
        &object,
        "backend",
        stats.backend.map_or(JsValue::NULL, |b| b.name().into()),
    );
    set(&object, "digits", stats.probabilities.len() as u32);
    set(&object, "target", published.target as u32);
    let rows = Array::new();
    for row in &stats.probabilities {
        rows.push(
            &row.iter()
                .map(|&p| JsValue::from_f64(p as f64))
                .collect::<Array>(),
        );
    }
    set(&object, "probabilities", rows);
    let groups = Array::new();
    for group in &published.groups {
        groups.push(
            &group
                .iter()
                .map(|&i| JsValue::from(i as u32))
                .collect::<Array>(),
        );
    }
    set(&object, "groups", groups);
    set(&object, "answeredAt", now());
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
