//! The digitseq page: draw a sequence of digits, and a CNN+LSTM running in the browser
//! (burn on WebGPU, or on the CPU in wasm) says whether it contains the digit you chose.
//!
//! Pure logic (`answer`, `geometry`, `incremental`, `inference`) builds natively and is unit
//! tested there; the DOM side is compiled for wasm32 only.

pub mod answer;
pub mod geometry;
pub mod incremental;
pub mod inference;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod assets;
#[cfg(target_arch = "wasm32")]
mod pad;
#[cfg(target_arch = "wasm32")]
mod ui;

/// Entry point, run by the wasm-bindgen glue when the module loads.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    // A panic aborts the module, so say so on the page rather than leave a dead pad; the
    // console gets the full message and stack as well.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        ui::set_body_data("crashed", Some("true"));
        ui::show_error(&format!(
            "The page crashed ({info}). Reload to start again; if it keeps happening, \
             try the CPU backend (?backend=cpu)."
        ));
    }));
    wasm_bindgen_futures::spawn_local(async {
        if let Err(e) = app::start().await {
            ui::show_error(&format!(
                "The page could not start: {}",
                assets::js_error(&e)
            ));
        }
    });
}
