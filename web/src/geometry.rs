//! Where things are on the pad. Strokes are stored in pad units, not screen pixels, so the
//! drawing survives resizes, rotation and zoom: the pad is `PAD_UNITS_HIGH` units tall
//! whatever its size on screen, and as wide as its aspect ratio makes it.

use digitseq_model::preprocess::SegmentOptions;

/// Height of the pad in pad units.
pub const PAD_UNITS_HIGH: f32 = 200.0;
/// Ink width in pad units: bold enough to see on a phone, thin enough for 30 digits.
pub const INK_WIDTH: f32 = 7.0;
/// Pen movements shorter than this (pad units) add no point: less work, same shape.
pub const MIN_POINT_STEP: f32 = 0.75;

/// Segmentation options for the pad: fixed in pad units, so the same drawing segments the
/// same way on every screen.
pub fn segment_options() -> SegmentOptions {
    SegmentOptions::for_pad_height(PAD_UNITS_HIGH)
}

/// Mapping between pad units and CSS pixels for a pad of a given on-screen size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// CSS pixels per pad unit.
    pub scale: f32,
    /// Visible pad width in pad units.
    pub width_units: f32,
    /// Visible pad height in pad units (`PAD_UNITS_HIGH` unless the drawing had to shrink).
    pub height_units: f32,
}

impl View {
    /// Fits the full pad height into `css_height`, unless existing ink reaching
    /// `content_right` units would then fall off the right edge (the window got narrower):
    /// then everything shrinks so the whole drawing stays visible.
    pub fn fit(css_width: f32, css_height: f32, content_right: f32) -> Self {
        let (css_width, css_height) = (css_width.max(1.0), css_height.max(1.0));
        let mut scale = css_height / PAD_UNITS_HIGH;
        // A little margin so the last digit does not touch the edge.
        let needed = content_right * 1.02;
        if needed * scale > css_width {
            scale = css_width / needed;
        }
        Self {
            scale,
            width_units: css_width / scale,
            height_units: css_height / scale,
        }
    }

    pub fn to_units(&self, css_x: f32, css_y: f32) -> (f32, f32) {
        (css_x / self.scale, css_y / self.scale)
    }
}

/// A square on the pad, in pad units, where a sample digit is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub x: f32,
    pub y: f32,
    pub side: f32,
}

/// Lays out `count` sample digits left to right, as large as fits, vertically centred.
pub fn sample_cells(count: usize, view: &View) -> Vec<Cell> {
    if count == 0 {
        return Vec::new();
    }
    let margin = 0.04 * view.height_units;
    let side = (view.height_units - 2.0 * margin)
        .min((view.width_units - 2.0 * margin) / count as f32)
        .max(1.0);
    let y = (view.height_units - side) / 2.0;
    (0..count)
        .map(|i| Cell {
            x: margin + i as f32 * side,
            y,
            side,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pad_is_always_the_same_number_of_units_high() {
        let small = View::fit(360.0, 150.0, 0.0);
        let big = View::fit(1200.0, 300.0, 0.0);
        assert!((small.height_units - PAD_UNITS_HIGH).abs() < 1e-3);
        assert!((big.height_units - PAD_UNITS_HIGH).abs() < 1e-3);
        assert!((big.width_units - 800.0).abs() < 1e-3);
        assert_eq!(big.to_units(600.0, 150.0), (400.0, 100.0));
    }

    #[test]
    fn a_narrower_window_shrinks_the_drawing_instead_of_cutting_it() {
        // Drawn on a wide pad up to x = 780 units, then the phone rotates to portrait.
        let view = View::fit(360.0, 150.0, 780.0);
        assert!(780.0 * view.scale <= 360.0 + 1e-3);
        assert!(view.height_units > PAD_UNITS_HIGH);
    }

    #[test]
    fn sample_cells_fit_inside_the_pad_in_order() {
        for (w, h, n) in [(1200.0, 260.0, 12), (360.0, 160.0, 12), (1200.0, 260.0, 3)] {
            let view = View::fit(w, h, 0.0);
            let cells = sample_cells(n, &view);
            assert_eq!(cells.len(), n);
            for pair in cells.windows(2) {
                assert!(pair[0].x + pair[0].side <= pair[1].x + 1e-3);
            }
            let last = cells.last().unwrap();
            assert!(last.x + last.side <= view.width_units + 1e-3);
            assert!(last.y >= 0.0 && last.y + last.side <= view.height_units + 1e-3);
        }
        assert!(sample_cells(0, &View::fit(100.0, 100.0, 0.0)).is_empty());
    }
}
