//! Drawing what the last reading gave: the answer, one crop per digit, and the boxes behind
//! the digits on the pad, for the chosen digit.

use digitseq_model::IMAGE_SIDE;
use digitseq_model::preprocess::Bounds;
use wasm_bindgen::JsCast;
use web_sys::{Document, HtmlCanvasElement};

use crate::answer::{Answer, Probabilities, answer, percent};
use crate::ids;
use crate::incremental::image_key;
use crate::pad::{Mark, Pad};
use crate::ui::{self, element};

/// The digits on the pad when a reading began: segmented strokes, or a sample's MNIST
/// images as they are (with their true labels).
#[derive(Default)]
pub struct Digits {
    pub images: Vec<Vec<f32>>,
    pub bounds: Vec<Bounds>,
    pub labels: Option<Vec<u8>>,
    /// The pad's strokes of each digit, in writing order (none for samples).
    pub strokes: Vec<Vec<usize>>,
}

/// What the page shows now: the digits read, and what the network said about them.
#[derive(Default)]
pub struct Shown {
    pub digits: Digits,
    pub probabilities: Option<Probabilities>,
}

/// Draws answer, crops and pad marks from `shown`, for the digit `target`.
pub fn render(shown: &Shown, target: usize, pad: &mut Pad) {
    let digits = &shown.digits;
    render_crops(
        &digits.images,
        shown.probabilities.as_deref(),
        target,
        digits.labels.as_deref(),
    );
    if let Some(probabilities) = &shown.probabilities {
        render_answer(&answer(probabilities, target), target);
    }
    // The first position where the digit counts as present is the one that made it "yes".
    let first_yes = shown
        .probabilities
        .as_ref()
        .and_then(|p| p.iter().position(|p| p[target] >= 0.5));
    let marks = if pad.is_drawing() {
        Vec::new()
    } else {
        digits
            .bounds
            .iter()
            .enumerate()
            .map(|(i, &bounds)| Mark {
                bounds,
                highlight: Some(i) == first_yes,
            })
            .collect()
    };
    pad.set_marks(marks);
    ui::set_hint_visible(pad.is_empty());
}

fn render_answer(answer: &Answer, digit: usize) {
    let Some(el) = element(ids::ANSWER) else {
        return;
    };
    // Which digit the answer is about, so a test can wait for it after changing the question.
    let _ = el.set_attribute("data-digit", &digit.to_string());
    match answer {
        Answer::Empty => {
            el.set_class_name("answer empty");
            el.set_text_content(Some("Write digits on the pad, or press Sample."));
            ui::remove_verdict(&el);
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
    if let Some(el) = element(ids::NOTE) {
        el.set_text_content(note);
        el.set_hidden(note.is_none());
    }
}

/// One child of `#crops` per digit, in order: the 28×28 image the network read, the
/// probability of `digit` after reading up to it (`data-probability`), and the true label for
/// samples. Children are reused so redrawing while the pen moves does not flicker.
fn render_crops(
    images: &[Vec<f32>],
    probabilities: Option<&[[f32; 10]]>,
    digit: usize,
    labels: Option<&[u8]>,
) {
    let (Some(doc), Some(crops)) = (ui::document(), element(ids::CROPS)) else {
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

/// Paints intensities as MNIST shows them: ink light on dark, exactly the model's input. A
/// crop already showing the same image is left alone (a reading repaints only what changed).
fn paint_crop(canvas: &HtmlCanvasElement, image: &[f32]) {
    let key = image_key(image).to_string();
    if canvas.get_attribute("data-image").as_deref() == Some(key.as_str()) {
        return;
    }
    let rgba: Vec<u8> = image
        .iter()
        .flat_map(|&v| {
            let v = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            [v, v, v, 255]
        })
        .collect();
    if crate::canvas::put_pixels(canvas, &rgba).is_ok() {
        let _ = canvas.set_attribute("data-image", &key);
    }
}
