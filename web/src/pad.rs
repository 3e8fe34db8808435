//! The drawing pad: strokes from mouse, touch and pen via Pointer Events, stored in pad units
//! (see `geometry`) and redrawn crisply at the screen's pixel density; or a row of sample
//! MNIST digits shown as bitmaps. The page owns it and passes it the events (`handle`).

use digitseq_model::preprocess::{Bounds, Point, Stroke};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, PointerEvent};

use crate::canvas;
use crate::geometry::{self, Cell, INK_WIDTH, MIN_POINT_STEP, View};

/// What the page is told after the pad changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadChange {
    /// The pen moved: worth a throttled reading.
    Drawing,
    /// A stroke ended: read now.
    StrokeEnded,
    /// A sample was replaced by drawing.
    SampleDropped,
}

/// What a pointer event on the pad is to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pointer {
    Down,
    Move,
    /// Up, cancelled, or capture lost: the stroke ends.
    Up,
}

/// The pointer events the pad listens to.
pub const POINTER_EVENTS: [(&str, Pointer); 5] = [
    ("pointerdown", Pointer::Down),
    ("pointermove", Pointer::Move),
    ("pointerup", Pointer::Up),
    ("pointercancel", Pointer::Up),
    ("lostpointercapture", Pointer::Up),
];

/// Sample digits on display: indices into samples.bin, true labels, MNIST pixels (0–255).
pub struct SampleRow {
    pub indices: Vec<usize>,
    pub labels: Vec<u8>,
    pub pixels: Vec<Vec<u8>>,
}

/// A box drawn behind one digit: where the page found it, and whether to highlight it.
#[derive(PartialEq)]
pub struct Mark {
    pub bounds: Bounds,
    pub highlight: bool,
}

pub struct Pad {
    canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
    /// The strokes, drawn once onto a canvas of their own as they come: a frame is the marks,
    /// the sample and one copy of this, so it costs the same with 5 strokes or 500.
    ink: HtmlCanvasElement,
    ink_ctx: CanvasRenderingContext2d,
    pub strokes: Vec<Stroke>,
    pub sample: Option<SampleRow>,
    marks: Vec<Mark>,
    /// The pointer drawing right now; other pointers (a second finger, a palm) are ignored.
    active_pointer: Option<i32>,
    view: View,
}

impl Pad {
    pub fn new(canvas: HtmlCanvasElement) -> Result<Self, JsValue> {
        let ctx = canvas::context(&canvas)?;
        let ink = canvas::offscreen(1, 1)?;
        let ink_ctx = canvas::context(&ink)?;
        let mut pad = Self {
            canvas,
            ctx,
            ink,
            ink_ctx,
            strokes: Vec::new(),
            sample: None,
            marks: Vec::new(),
            active_pointer: None,
            view: View::fit(1.0, 1.0, 0.0),
        };
        pad.resize();
        Ok(pad)
    }

    /// Applies a pointer event; what changed, if anything did.
    pub fn handle(&mut self, pointer: Pointer, event: &PointerEvent) -> Option<PadChange> {
        match pointer {
            Pointer::Down => self.pointer_down(event),
            Pointer::Move => self.pointer_move(event),
            Pointer::Up => self.pointer_up(event),
        }
    }

    pub fn is_drawing(&self) -> bool {
        self.active_pointer.is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.strokes.is_empty() && self.sample.is_none()
    }

    pub fn clear(&mut self) {
        self.strokes.clear();
        self.sample = None;
        self.marks.clear();
        self.active_pointer = None;
        self.repaint_ink();
        self.redraw();
    }

    /// Removes the last stroke (or the sample); false if there was nothing to undo.
    pub fn undo(&mut self) -> bool {
        if self.sample.take().is_none() && self.strokes.pop().is_none() {
            return false;
        }
        self.active_pointer = None;
        self.marks.clear();
        self.repaint_ink();
        self.redraw();
        true
    }

    pub fn show_sample(&mut self, sample: SampleRow) {
        self.strokes.clear();
        self.active_pointer = None;
        self.marks.clear();
        self.sample = Some(sample);
        self.repaint_ink();
        self.redraw();
    }

    /// Replaces the strokes (test and benchmark API), in pad units.
    pub fn set_strokes(&mut self, strokes: Vec<Stroke>) {
        self.sample = None;
        self.active_pointer = None;
        self.marks.clear();
        self.strokes = strokes;
        self.repaint_ink();
        self.redraw();
    }

    pub fn set_marks(&mut self, marks: Vec<Mark>) {
        if self.marks != marks {
            self.marks = marks;
            self.redraw();
        }
    }

    /// Where the sample digits sit, as bounds for marks: inset so that neighbouring marks,
    /// which `draw_marks` grows by the ink width, keep a gap.
    pub fn sample_bounds(&self, count: usize) -> Vec<Bounds> {
        geometry::sample_cells(count, &self.view)
            .into_iter()
            .map(|Cell { x, y, side }| {
                let inset = (INK_WIDTH + 0.04 * side).min(side / 3.0);
                Bounds {
                    min_x: x + inset,
                    min_y: y + inset,
                    max_x: x + side - inset,
                    max_y: y + side - inset,
                }
            })
            .collect()
    }

    /// Matches the backing store to the on-screen size × devicePixelRatio (crisp lines on
    /// high-DPI screens) and redraws; the strokes, in pad units, are untouched.
    pub fn resize(&mut self) {
        let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
        let (css_w, css_h) = (
            self.canvas.client_width() as f64,
            self.canvas.client_height() as f64,
        );
        let (w, h) = (
            (css_w * dpr).round().max(1.0) as u32,
            (css_h * dpr).round().max(1.0) as u32,
        );
        for canvas in [&self.canvas, &self.ink] {
            if canvas.width() != w || canvas.height() != h {
                canvas.set_width(w);
                canvas.set_height(h);
            }
        }
        let right = self
            .strokes
            .iter()
            .flat_map(|s| &s.points)
            .fold(0.0f32, |m, p| m.max(p.x + INK_WIDTH));
        self.view = View::fit(css_w as f32, css_h as f32, right);
        let scale = dpr * self.view.scale as f64;
        for ctx in [&self.ctx, &self.ink_ctx] {
            let _ = ctx.set_transform(scale, 0.0, 0.0, scale, 0.0, 0.0);
        }
        self.repaint_ink();
        self.redraw();
    }

    /// Composes a frame: background, marks, the sample, the ink.
    pub fn redraw(&self) {
        let ctx = &self.ctx;
        let (w, h) = (self.view.width_units as f64, self.view.height_units as f64);
        ctx.set_fill_style_str("#ffffff");
        ctx.fill_rect(0.0, 0.0, w, h);
        self.draw_marks();
        if let Some(sample) = &self.sample {
            self.draw_sample(sample);
        }
        // The ink canvas has the pad's pixel size: copied pixel for pixel.
        ctx.save();
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        let _ = ctx.draw_image_with_html_canvas_element(&self.ink, 0.0, 0.0);
        ctx.restore();
    }

    /// Draws every stroke onto the ink canvas afresh (after anything but added ink).
    fn repaint_ink(&self) {
        let ctx = &self.ink_ctx;
        ctx.save();
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        ctx.clear_rect(0.0, 0.0, self.ink.width() as f64, self.ink.height() as f64);
        ctx.restore();
        canvas::set_ink_style(ctx);
        for stroke in &self.strokes {
            canvas::draw_stroke(ctx, stroke);
        }
    }

    /// Draws the last stroke's points from `from` on (joined to the one before) onto the
    /// ink canvas: the pen's new ink only.
    fn ink_tail(&self, from: usize) {
        let Some(stroke) = self.strokes.last() else {
            return;
        };
        let ctx = &self.ink_ctx;
        canvas::set_ink_style(ctx);
        canvas::draw_stroke(
            ctx,
            &Stroke {
                points: stroke.points[from.saturating_sub(1)..].to_vec(),
            },
        );
    }

    fn draw_marks(&self) {
        let ctx = &self.ctx;
        let pad = INK_WIDTH as f64;
        for (i, mark) in self.marks.iter().enumerate() {
            let b = &mark.bounds;
            let (x, y) = (b.min_x as f64 - pad, b.min_y as f64 - pad);
            let (w, h) = (b.width() as f64 + 2.0 * pad, b.height() as f64 + 2.0 * pad);
            ctx.set_fill_style_str(if mark.highlight { "#dcfce7" } else { "#f1f5f9" });
            ctx.fill_rect(x, y, w, h);
            ctx.set_fill_style_str("#94a3b8");
            ctx.set_font("bold 14px system-ui, sans-serif");
            let _ = ctx.fill_text(&(i + 1).to_string(), x + 3.0, y + 14.0);
        }
    }

    fn draw_sample(&self, sample: &SampleRow) {
        let cells = geometry::sample_cells(sample.pixels.len(), &self.view);
        self.ctx.set_image_smoothing_enabled(true);
        // Multiply: the bitmaps' white lets the marks behind them show through.
        let _ = self.ctx.set_global_composite_operation("multiply");
        for (pixels, cell) in sample.pixels.iter().zip(cells) {
            // The MNIST bitmap, inverted to black ink on the white pad.
            let rgba: Vec<u8> = pixels
                .iter()
                .flat_map(|&p| {
                    let v = 255 - p;
                    [v, v, v, 255]
                })
                .collect();
            let Some(bitmap) = canvas::bitmap(&rgba) else {
                continue;
            };
            let _ = self.ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
                &bitmap,
                cell.x as f64,
                cell.y as f64,
                cell.side as f64,
                cell.side as f64,
            );
        }
        let _ = self.ctx.set_global_composite_operation("source-over");
    }

    fn point(&self, event: &PointerEvent) -> Point {
        let rect = self.canvas.get_bounding_client_rect();
        let (x, y) = self.view.to_units(
            (event.client_x() as f64 - rect.left()) as f32,
            (event.client_y() as f64 - rect.top()) as f32,
        );
        Point { x, y }
    }

    fn pointer_down(&mut self, event: &PointerEvent) -> Option<PadChange> {
        // Left mouse button, any touch or pen contact; ignore extra fingers.
        if self.active_pointer.is_some() || (event.pointer_type() == "mouse" && event.button() != 0)
        {
            return None;
        }
        event.prevent_default();
        let _ = self.canvas.set_pointer_capture(event.pointer_id());
        self.active_pointer = Some(event.pointer_id());
        let dropped = self.sample.take().is_some();
        self.marks.clear();
        self.strokes.push(Stroke {
            points: vec![self.point(event)],
        });
        self.ink_tail(0);
        self.redraw();
        Some(if dropped {
            PadChange::SampleDropped
        } else {
            PadChange::Drawing
        })
    }

    fn pointer_move(&mut self, event: &PointerEvent) -> Option<PadChange> {
        if self.active_pointer != Some(event.pointer_id()) {
            return None;
        }
        event.prevent_default();
        // Pens and fast fingers report more positions than events: use them all if the
        // browser offers them (not every browser has getCoalescedEvents).
        let has_coalesced =
            js_sys::Reflect::has(event, &JsValue::from_str("getCoalescedEvents")).unwrap_or(false);
        let mut events: Vec<PointerEvent> = if has_coalesced {
            event
                .get_coalesced_events()
                .iter()
                .filter_map(|e| e.dyn_into().ok())
                .collect()
        } else {
            Vec::new()
        };
        if events.is_empty() {
            events.push(event.clone());
        }
        let points: Vec<Point> = events.iter().map(|e| self.point(e)).collect();
        let stroke = self.strokes.last_mut()?;
        let before = stroke.points.len();
        for p in points {
            let last = stroke.points.last().copied().unwrap_or(p);
            if (p.x - last.x).hypot(p.y - last.y) >= MIN_POINT_STEP {
                stroke.points.push(p);
            }
        }
        if stroke.points.len() == before {
            return None;
        }
        self.ink_tail(before);
        self.redraw();
        Some(PadChange::Drawing)
    }

    fn pointer_up(&mut self, event: &PointerEvent) -> Option<PadChange> {
        if self.active_pointer != Some(event.pointer_id()) {
            return None;
        }
        // Capture ends by itself after pointerup; releasing it here would fire
        // lostpointercapture while the page still holds the pad.
        self.active_pointer = None;
        // A stroke too small to be part of a digit is ignored by segmentation; dropping it
        // here too keeps Undo from "undoing" something invisible to the model.
        let speck = geometry::segment_options().min_stroke_extent;
        let last = self
            .strokes
            .last()
            .and_then(|s| Bounds::of_points(&s.points));
        if last.is_some_and(|b| b.width() < speck && b.height() < speck) {
            self.strokes.pop();
            self.repaint_ink();
            self.redraw();
        }
        Some(PadChange::StrokeEnded)
    }
}
