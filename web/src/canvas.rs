//! Drawing on 2-D canvases, shared by the pad and the crops: ink strokes, and 28×28 pixels.

use digitseq_model::IMAGE_SIDE;
use digitseq_model::preprocess::Stroke;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::geometry::INK_WIDTH;

pub fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    Ok(canvas
        .get_context("2d")?
        .ok_or("canvas 2d unavailable")?
        .dyn_into()?)
}

/// A canvas that is not in the page (drawn elsewhere).
pub fn offscreen(width: u32, height: u32) -> Result<HtmlCanvasElement, JsValue> {
    let canvas: HtmlCanvasElement = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?
        .create_element("canvas")?
        .dyn_into()?;
    canvas.set_width(width);
    canvas.set_height(height);
    Ok(canvas)
}

pub fn set_ink_style(ctx: &CanvasRenderingContext2d) {
    ctx.set_stroke_style_str("#111111");
    ctx.set_fill_style_str("#111111");
    ctx.set_line_width(INK_WIDTH as f64);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
}

/// A stroke as a line through its points, or a dot if it has one.
pub fn draw_stroke(ctx: &CanvasRenderingContext2d, stroke: &Stroke) {
    let Some(first) = stroke.points.first() else {
        return;
    };
    ctx.begin_path();
    if stroke.points.len() == 1 {
        let _ = ctx.arc(
            first.x as f64,
            first.y as f64,
            INK_WIDTH as f64 / 2.0,
            0.0,
            std::f64::consts::TAU,
        );
        ctx.fill();
        return;
    }
    ctx.move_to(first.x as f64, first.y as f64);
    for p in &stroke.points[1..] {
        ctx.line_to(p.x as f64, p.y as f64);
    }
    ctx.stroke();
}

/// Puts 28×28 RGBA pixels onto `canvas`.
pub fn put_pixels(canvas: &HtmlCanvasElement, rgba: &[u8]) -> Result<(), JsValue> {
    let data = ImageData::new_with_u8_clamped_array(Clamped(rgba), IMAGE_SIDE as u32)?;
    context(canvas)?.put_image_data(&data, 0.0, 0.0)
}

/// A 28×28 offscreen canvas holding `rgba`, to be drawn scaled elsewhere.
pub fn bitmap(rgba: &[u8]) -> Option<HtmlCanvasElement> {
    let canvas = offscreen(IMAGE_SIDE as u32, IMAGE_SIDE as u32).ok()?;
    put_pixels(&canvas, rgba).ok()?;
    Some(canvas)
}
