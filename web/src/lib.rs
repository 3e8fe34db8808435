//! The digitseq page: draw a sequence of digits, and a CNN+LSTM running in the browser
//! (burn on WebGPU, or on the CPU in wasm) says whether it contains the digit you chose.
//!
//! Pure logic (`answer`, `geometry`, `incremental`, `inference`) builds natively and is unit
//! tested there; the DOM side is compiled for wasm32 only.

pub mod answer;
pub mod geometry;
pub mod incremental;
pub mod inference;

// The browser side, bottom up: `ids`, `browser`, `ui`, `canvas` (DOM and canvas primitives),
// `assets`, `gpu`, `backends` (engines, WebGPU's check), `scheduler` (when to read), `pad`,
// `render`; then `page` (the state and `dispatch`), and on top of it `controls`, `api` and
// `startup`, which only send it actions.
#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod assets;
#[cfg(target_arch = "wasm32")]
mod backends;
#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
mod canvas;
#[cfg(target_arch = "wasm32")]
mod controls;
#[cfg(target_arch = "wasm32")]
mod gpu;
#[cfg(target_arch = "wasm32")]
mod ids;
#[cfg(target_arch = "wasm32")]
mod pad;
#[cfg(target_arch = "wasm32")]
mod page;
#[cfg(target_arch = "wasm32")]
mod render;
#[cfg(target_arch = "wasm32")]
mod scheduler;
#[cfg(target_arch = "wasm32")]
mod startup;
#[cfg(target_arch = "wasm32")]
mod ui;

/// Runs the module's static constructors (cubecl registers its IR operations through
/// `inventory`), once. It must come before anything touches burn.
///
/// Calling `__wasm_call_ctors` explicitly is also what stops wasm-ld from wrapping every
/// export in a call to it: without this, all constructors ran again on every call from JS
/// into wasm — each pointer event, timer and resolved promise — about 100 ms each on this
/// machine, which was most of the time between lifting the pen and seeing the answer.
#[cfg(target_arch = "wasm32")]
pub fn run_static_constructors() {
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: the linker's constructor function, run exactly once, before other code.
    ONCE.call_once(|| unsafe { __wasm_call_ctors() });
}

/// Entry point, run by the wasm-bindgen glue when the module loads.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    run_static_constructors();
    // A panic aborts the module, so say so on the page rather than leave a dead pad; the
    // console gets the full message and stack as well.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        ui::set_body_data(ids::data::CRASHED, Some("true"));
        ui::show_error(&format!(
            "The page crashed ({info}). Reload to start again; if it keeps happening, \
             try the CPU backend (?backend=cpu)."
        ));
    }));
    wasm_bindgen_futures::spawn_local(async {
        if let Err(e) = startup::start().await {
            ui::show_error(&format!(
                "The page could not start: {}",
                assets::js_error(&e)
            ));
        }
    });
}
