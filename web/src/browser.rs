//! Small wrappers over the browser's clock, timers, URL, console and event listeners.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// `performance.now()`, in ms.
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// A promise that `setTimeout` resolves after `ms`; `on_resolver` receives its resolve
/// function too, to end the wait earlier.
pub async fn timeout(ms: f64, on_resolver: impl FnOnce(js_sys::Function)) {
    let mut on_resolver = Some(on_resolver);
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ =
                window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
        if let Some(f) = on_resolver.take() {
            f(resolve);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Waits `ms`.
pub async fn sleep(ms: f64) {
    timeout(ms, |_| {}).await;
}

/// The URL's query parameter `name`.
pub fn query(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

pub fn has_webgpu() -> bool {
    web_sys::window().is_some_and(|w| {
        js_sys::Reflect::get(&w.navigator(), &JsValue::from_str("gpu"))
            .is_ok_and(|gpu| !gpu.is_undefined() && !gpu.is_null())
    })
}

pub fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

/// Calls `handler` on every `name` event at `target`, for the life of the page.
pub fn on<E: JsCast + 'static>(
    target: &web_sys::EventTarget,
    name: &str,
    handler: impl Fn(E) + 'static,
) -> Result<(), JsValue> {
    let closure = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
        handler(event.unchecked_into::<E>());
    });
    target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref())?;
    closure.forget(); // lives as long as the page
    Ok(())
}
