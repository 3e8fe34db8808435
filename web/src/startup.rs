//! Starting the page: controls first (the pad works while the model loads), then the samples
//! and the model, each reported to the page as an action.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlCanvasElement;

use crate::assets::{self, ModelFiles};
use crate::backends::Backends;
use crate::browser;
use crate::ids::{self, data};
use crate::inference::Backend;
use crate::pad::Pad;
use crate::page::{Action, Page};
use crate::{api, controls, ui};

/// A model still loading after this long (ms) gets a message saying so.
const SLOW_LOAD_MS: f64 = 4000.0;

pub async fn start() -> Result<(), JsValue> {
    let canvas: HtmlCanvasElement = ui::element(ids::PAD)
        .ok_or("no #pad canvas")?
        .unchecked_into();
    let forced = browser::query("backend")
        .as_deref()
        .and_then(Backend::parse);
    let backends = Backends::new(browser::query("gpuFault").as_deref() == Some("corrupt"));
    let page = Page::new(
        Pad::new(canvas.clone())?,
        backends.clone(),
        forced.unwrap_or(Backend::WebGpu),
        api::publish,
    );
    controls::wire(&page, &canvas)?;
    api::expose(&page)?;
    ui::set_status("Loading the model…");
    ui::set_text(ids::BACKEND, "…");
    if !browser::has_webgpu() {
        ui::disable_webgpu_choice("This browser offers no WebGPU (navigator.gpu).");
    }
    spawn_local(load_samples(page.clone()));
    // A slow server must not look like a dead page.
    let slow = backends.clone();
    spawn_local(async move {
        browser::sleep(SLOW_LOAD_MS).await;
        if !slow.has_model_files() && !ui::error_shown() {
            ui::set_status("Still loading the model: the server is slow to answer…");
        }
    });
    if let Err(e) = load_model(&page, &backends, forced).await {
        page.dispatch(Action::ModelFailed(e));
    }
    Ok(())
}

/// Samples are a convenience: they load beside the model, and without them the page still
/// works.
async fn load_samples(page: Page) {
    match assets::fetch_samples().await {
        Ok(samples) if !samples.is_empty() => {
            page.dispatch(Action::SamplesLoaded(samples));
        }
        Ok(_) => ui::set_notice(Some(
            "samples.bin holds no digits: the Sample button is off.",
        )),
        Err(e) => ui::set_notice(Some(&format!("{e} The Sample button is off."))),
    }
    ui::set_body_data(data::SAMPLES, Some("settled"));
}

/// WebGPU when the browser has it, unless `?backend=cpu`; the CPU otherwise or on any
/// failure.
async fn load_model(
    page: &Page,
    backends: &Backends,
    forced: Option<Backend>,
) -> Result<(), String> {
    backends.set_model_files(ModelFiles::fetch().await?);
    let first = match forced {
        Some(backend) => backend,
        None if browser::has_webgpu() => Backend::WebGpu,
        None => Backend::Cpu,
    };
    let engine = match backends.engine_for(first).await {
        Ok(engine) => engine,
        Err(reason) if first == Backend::WebGpu => {
            let tell = forced == Some(Backend::WebGpu);
            page.dispatch(Action::WebGpuFailed { reason, tell });
            backends.engine_for(Backend::Cpu).await?
        }
        Err(e) => return Err(e),
    };
    page.dispatch(Action::ModelLoaded(Box::new(engine)));
    Ok(())
}
