//! DOM wiring: the pad's pointer events and resizes, the buttons, the two choices and the
//! keyboard shortcuts, each turned into an `Action`.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Event, HtmlCanvasElement, HtmlSelectElement, KeyboardEvent, PointerEvent};

use crate::browser::on;
use crate::ids;
use crate::inference::Backend;
use crate::pad::POINTER_EVENTS;
use crate::page::{Action, Page};
use crate::ui;

/// Wires the page's controls, and the pad's `canvas`, to `page`.
pub fn wire(page: &Page, canvas: &HtmlCanvasElement) -> Result<(), JsValue> {
    wire_pad(page, canvas)?;

    let button = |id: &str, action: fn() -> Action| -> Result<(), JsValue> {
        let el = ui::element(id).ok_or_else(|| format!("no #{id}"))?;
        let page = page.clone();
        on(&el, "click", move |_: Event| {
            page.dispatch(action());
        })
    };
    button(ids::CLEAR, || Action::Clear)?;
    button(ids::UNDO, || Action::Undo)?;
    button(ids::SAMPLE, || Action::RandomSample)?;

    let choice = |id: &str, action: fn(&str) -> Option<Action>| -> Result<(), JsValue> {
        let Some(el) = ui::element(id) else {
            return Ok(());
        };
        let select: HtmlSelectElement = el.clone().unchecked_into();
        let page = page.clone();
        on(&el, "change", move |_: Event| {
            if let Some(action) = action(&select.value()) {
                page.dispatch(action);
            }
        })
    };
    choice(ids::TARGET_DIGIT, |value| {
        value.parse().ok().map(Action::SetTarget)
    })?;
    choice(ids::BACKEND_CHOICE, |value| {
        Backend::parse(value).map(Action::SetBackend)
    })?;

    // Ctrl/Cmd+Z undoes, Escape or Delete clears (not while a form control has the keys).
    let window = web_sys::window().ok_or("no window")?;
    let page = page.clone();
    on(&window, "keydown", move |event: KeyboardEvent| {
        let in_control = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
        if in_control {
            return;
        }
        let key = event.key();
        if (event.ctrl_key() || event.meta_key())
            && !event.shift_key()
            && key.eq_ignore_ascii_case("z")
        {
            event.prevent_default();
            page.dispatch(Action::Undo);
        } else if key == "Escape" || key == "Delete" {
            event.prevent_default();
            page.dispatch(Action::Clear);
        }
    })
}

fn wire_pad(page: &Page, canvas: &HtmlCanvasElement) -> Result<(), JsValue> {
    for (name, pointer) in POINTER_EVENTS {
        let page = page.clone();
        on(canvas, name, move |event: PointerEvent| {
            page.dispatch(Action::Pointer(pointer, event));
        })?;
    }
    // Re-fit on any size change of the pad, and on zoom (which changes devicePixelRatio).
    let resize = {
        let page = page.clone();
        Closure::<dyn Fn()>::new(move || {
            page.dispatch(Action::ResizePad);
        })
    };
    let observer = web_sys::ResizeObserver::new(resize.as_ref().unchecked_ref())?;
    observer.observe(canvas);
    let window = web_sys::window().ok_or("no window")?;
    window.add_event_listener_with_callback("resize", resize.as_ref().unchecked_ref())?;
    resize.forget(); // lives as long as the page
    Ok(())
}
