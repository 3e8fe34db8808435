//! The page's small DOM writes: status, notices, errors, the backend and digit choices, the
//! `document.body` data the tests wait on. Drawing what a reading gave is `render`'s.

use wasm_bindgen::JsCast;
use web_sys::{Document, HtmlElement, HtmlSelectElement};

use crate::ids::{self, data};
use crate::inference::Backend;

pub fn document() -> Option<Document> {
    web_sys::window()?.document()
}

pub fn element(id: &str) -> Option<HtmlElement> {
    document()?.get_element_by_id(id)?.dyn_into().ok()
}

fn body() -> Option<HtmlElement> {
    document()?.body()
}

/// Sets or removes `document.body.dataset[name]`.
pub fn set_body_data(name: &str, value: Option<&str>) {
    if let Some(body) = body() {
        match value {
            Some(value) => {
                let _ = body.dataset().set(name, value);
            }
            None => body.dataset().delete(name),
        }
    }
}

pub fn set_text(id: &str, text: &str) {
    if let Some(el) = element(id) {
        el.set_text_content(Some(text));
    }
}

/// A message in `#error`, marking the page as failed for tests. No `RefCell` is touched, so
/// the panic hook may call it whatever state the app is in.
pub fn show_error(message: &str) {
    if let Some(el) = element(ids::ERROR) {
        el.set_text_content(Some(message));
        el.set_hidden(false);
    }
    set_body_data(data::ERROR, Some("true"));
}

/// Whether `show_error` has been called.
pub fn error_shown() -> bool {
    body().is_some_and(|b| b.dataset().get(data::ERROR).is_some())
}

/// A non-fatal remark (WebGPU fell back to CPU, samples missing…), or none.
pub fn set_notice(message: Option<&str>) {
    if let Some(el) = element(ids::NOTICE) {
        el.set_text_content(message);
        el.set_hidden(message.is_none());
    }
}

pub fn set_status(text: &str) {
    if let Some(el) = element(ids::ANSWER) {
        el.set_text_content(Some(text));
        el.set_class_name("answer pending");
        remove_verdict(&el);
    }
}

/// Takes a yes/no verdict's data off `#answer`, which no longer shows one.
pub fn remove_verdict(answer: &HtmlElement) {
    for attr in ["data-contains", "data-probability"] {
        let _ = answer.remove_attribute(attr);
    }
}

pub fn set_backend(backend: Backend) {
    set_text(ids::BACKEND, backend.name());
    if let Some(select) = element(ids::BACKEND_CHOICE) {
        select
            .unchecked_into::<HtmlSelectElement>()
            .set_value(backend.name());
    }
}

/// Puts `digit` in the "Is there a …" choice.
pub fn set_target_choice(digit: usize) {
    if let Some(select) = element(ids::TARGET_DIGIT) {
        select
            .unchecked_into::<HtmlSelectElement>()
            .set_value(&digit.to_string());
    }
}

/// Greys out the WebGPU choice when this browser cannot use it, saying why.
pub fn disable_webgpu_choice(reason: &str) {
    let Some(doc) = document() else { return };
    if let Ok(Some(option)) =
        doc.query_selector(&format!("#{} option[value=webgpu]", ids::BACKEND_CHOICE))
    {
        let option: web_sys::HtmlOptionElement = option.unchecked_into();
        option.set_disabled(true);
        option.set_text("WebGPU (unavailable)");
        let _ = option.set_attribute("title", reason);
    }
}

pub fn set_timing(ms: f64, backend: Backend, steps: usize, digits: usize) {
    let detail = if digits == 0 {
        String::new()
    } else if steps == 0 {
        format!(" · all {digits} from cache")
    } else if steps == digits {
        format!(" · read all {digits}")
    } else {
        format!(" · read {steps} of {digits} anew")
    };
    set_text(
        ids::TIMING,
        &format!("{ms:.1} ms on {}{detail}", backend.name()),
    );
}

/// The "write here" hint over the empty pad.
pub fn set_hint_visible(visible: bool) {
    if let Some(el) = element(ids::PAD_HINT) {
        el.set_hidden(!visible);
    }
}

/// The true labels of the sample on the pad, or nothing.
pub fn set_sample_caption(labels: Option<&[u8]>) {
    let text = labels.map(|labels| {
        let digits: Vec<String> = labels.iter().map(u8::to_string).collect();
        format!("MNIST test digits · true labels: {}", digits.join(" "))
    });
    if let Some(el) = element(ids::SAMPLE_LABELS) {
        el.set_text_content(text.as_deref());
        el.set_hidden(text.is_none());
    }
}
