//! Everything the page writes into the DOM. Element ids and data attributes here are what the
//! end-to-end tests read, so they stay stable.

use digitseq_model::IMAGE_SIDE;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, Document, HtmlCanvasElement, HtmlElement, ImageData};

use crate::answer::{Answer, percent};
use crate::inference::Backend;

fn document() -> Option<Document> {
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
    if let Some(el) = element("error") {
        el.set_text_content(Some(message));
        el.set_hidden(false);
    }
    set_body_data("error", Some("true"));
}

/// Whether `show_error` has been called.
pub fn error_shown() -> bool {
    body().is_some_and(|b| b.dataset().get("error").is_some())
}

/// A non-fatal remark (WebGPU fell back to CPU, samples missing…), or none.
pub fn set_notice(message: Option<&str>) {
    if let Some(el) = element("notice") {
        el.set_text_content(message);
        el.set_hidden(message.is_none());
    }
}

pub fn set_status(text: &str) {
    if let Some(el) = element("answer") {
        el.set_text_content(Some(text));
        el.set_class_name("answer pending");
        for attr in ["data-contains", "data-probability"] {
            let _ = el.remove_attribute(attr);
        }
    }
}

pub fn set_backend(backend: Backend) {
    set_text("backend", backend.name());
    if let Some(select) = element("backend-choice") {
        let select: web_sys::HtmlSelectElement = select.unchecked_into();
        select.set_value(backend.name());
    }
}

/// Greys out the WebGPU choice when this browser cannot use it, saying why.
pub fn disable_webgpu_choice(reason: &str) {
    let Some(doc) = document() else { return };
    if let Ok(Some(option)) = doc.query_selector("#backend-choice option[value=webgpu]") {
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
        "timing",
        &format!("{ms:.1} ms on {}{detail}", backend.name()),
    );
}

pub fn render_answer(answer: &Answer, digit: usize) {
    let Some(el) = element("answer") else { return };
    // Which digit the answer is about, so a test can wait for it after changing the question.
    let _ = el.set_attribute("data-digit", &digit.to_string());
    match answer {
        Answer::Empty => {
            el.set_class_name("answer empty");
            el.set_text_content(Some("Write digits on the pad, or press Sample."));
            for attr in ["data-contains", "data-probability"] {
                let _ = el.remove_attribute(attr);
            }
        }
        Answer::Verdict {
            contains,
            probability,
            ..
        } => {
            el.set_class_name(if *contains { "answer yes" } else { "answer no" });
            let (verdict, detail) = if *contains {
                ("Yes", format!("there is a {digit}"))
            } else {
                ("No", format!("no {digit} here"))
            };
            el.set_inner_html(&format!(
                "<span class=\"verdict\">{verdict}</span><span class=\"detail\">{detail}</span>\
                 <span class=\"probability\">{}<small>probability of a {digit}</small></span>",
                percent(*probability)
            ));
            let _ = el.set_attribute("data-contains", if *contains { "true" } else { "false" });
            let _ = el.set_attribute("data-probability", &probability.to_string());
        }
    }
    let note = match answer {
        Answer::Verdict {
            note: Some(note), ..
        } => Some(note.as_str()),
        _ => None,
    };
    if let Some(el) = element("note") {
        el.set_text_content(note);
        el.set_hidden(note.is_none());
    }
}

/// One child of `#crops` per digit, in order: the 28×28 image the network read, the
/// probability of `digit` after reading up to it (`data-probability`), and the true label for
/// samples. Children are reused so redrawing while the pen moves does not flicker.
pub fn render_crops(
    images: &[Vec<f32>],
    probabilities: Option<&[[f32; 10]]>,
    digit: usize,
    labels: Option<&[u8]>,
) {
    let (Some(doc), Some(crops)) = (document(), element("crops")) else {
        return;
    };
    while crops.child_element_count() as usize > images.len() {
        if let Some(last) = crops.last_element_child() {
            last.remove();
        }
    }
    while (crops.child_element_count() as usize) < images.len() {
        let Some(figure) = new_crop(&doc) else { return };
        let _ = crops.append_child(&figure);
    }
    let children = crops.children();
    for (i, image) in images.iter().enumerate() {
        let Some(figure) = children.item(i as u32) else {
            continue;
        };
        let _ = figure.set_attribute("data-position", &(i + 1).to_string());
        if let Some(canvas) = figure
            .query_selector("canvas")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok())
        {
            paint_crop(&canvas, image);
        }
        let probability = probabilities.and_then(|p| p.get(i)).map(|p| p[digit]);
        let label = labels.and_then(|l| l.get(i));
        let class = match probability {
            Some(p) if p >= 0.5 => "crop yes",
            Some(_) => "crop no",
            None => "crop",
        };
        figure.set_class_name(class);
        match probability {
            Some(p) => {
                let _ = figure.set_attribute("data-probability", &p.to_string());
            }
            None => {
                let _ = figure.remove_attribute("data-probability");
            }
        }
        let caption = probability.map_or("…".to_string(), percent);
        if let Ok(Some(el)) = figure.query_selector(".p") {
            el.set_text_content(Some(&caption));
            let _ = el.set_attribute("title", &format!("P(a {digit} among digits 1–{})", i + 1));
        }
        if let Ok(Some(el)) = figure.query_selector(".label") {
            el.set_text_content(label.map(|l| format!("true {l}")).as_deref());
        }
    }
}

fn new_crop(doc: &Document) -> Option<web_sys::Element> {
    let figure = doc.create_element("figure").ok()?;
    let canvas: HtmlCanvasElement = doc.create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(IMAGE_SIDE as u32);
    canvas.set_height(IMAGE_SIDE as u32);
    figure.append_child(&canvas).ok()?;
    let caption = doc.create_element("figcaption").ok()?;
    caption.set_inner_html("<span class=\"p\"></span><span class=\"label\"></span>");
    figure.append_child(&caption).ok()?;
    Some(figure)
}

/// Paints intensities as MNIST shows them: ink light on dark, exactly the model's input.
fn paint_crop(canvas: &HtmlCanvasElement, image: &[f32]) {
    let rgba: Vec<u8> = image
        .iter()
        .flat_map(|&v| {
            let v = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            [v, v, v, 255]
        })
        .collect();
    let ctx = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok());
    if let (Some(ctx), Ok(data)) = (
        ctx,
        ImageData::new_with_u8_clamped_array(wasm_bindgen::Clamped(&rgba), IMAGE_SIDE as u32),
    ) {
        let _ = ctx.put_image_data(&data, 0.0, 0.0);
    }
}

/// The "write here" hint over the empty pad.
pub fn set_hint_visible(visible: bool) {
    if let Some(el) = element("pad-hint") {
        el.set_hidden(!visible);
    }
}

/// The true labels of the sample on the pad, or nothing.
pub fn set_sample_caption(labels: Option<&[u8]>) {
    let text = labels.map(|labels| {
        let digits: Vec<String> = labels.iter().map(u8::to_string).collect();
        format!("MNIST test digits · true labels: {}", digits.join(" "))
    });
    if let Some(el) = element("sample-labels") {
        el.set_text_content(text.as_deref());
        el.set_hidden(text.is_none());
    }
}
