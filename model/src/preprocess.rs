//! From pen strokes to what the network reads: strokes are grouped into digits left to
//! right (`segment`), and each digit is drawn as MNIST was made: fitted into a 20×20 box keeping its
//! aspect ratio, anti-aliased, and placed in the 28×28 field so that its centre of mass
//! sits where MNIST's does.

use serde::{Deserialize, Serialize};

pub use crate::segment::{SegmentOptions, segment};
use crate::{IMAGE_PIXELS, IMAGE_SIDE};

/// A point in pad coordinates (CSS pixels, y down).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

/// One pen-down-to-pen-up path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stroke {
    pub points: Vec<Point>,
}

/// Horizontal and vertical extent of some ink.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    pub min_x: f32,
    pub min_y: f32,
    pub max_x: f32,
    pub max_y: f32,
}

impl Bounds {
    /// The extent of `points`; `None` without any.
    pub fn of_points<'a>(points: impl IntoIterator<Item = &'a Point>) -> Option<Self> {
        points.into_iter().fold(None, |b, p| {
            Some(match b {
                None => Bounds {
                    min_x: p.x,
                    min_y: p.y,
                    max_x: p.x,
                    max_y: p.y,
                },
                Some(b) => Bounds {
                    min_x: b.min_x.min(p.x),
                    min_y: b.min_y.min(p.y),
                    max_x: b.max_x.max(p.x),
                    max_y: b.max_y.max(p.y),
                },
            })
        })
    }

    pub fn union(self, other: Self) -> Self {
        Bounds {
            min_x: self.min_x.min(other.min_x),
            min_y: self.min_y.min(other.min_y),
            max_x: self.max_x.max(other.max_x),
            max_y: self.max_y.max(other.max_y),
        }
    }

    pub fn width(&self) -> f32 {
        self.max_x - self.min_x
    }

    pub fn height(&self) -> f32 {
        self.max_y - self.min_y
    }
}

/// MNIST's digits fill a 20×20 box inside the 28×28 field.
pub const BOX_SIDE: f32 = 20.0;
/// Mean centre of mass of the MNIST training digits, in pixel-index coordinates (measured:
/// 13.996 down, 14.007 across).
pub const MNIST_CENTRE: f32 = 14.0;
/// Pen width in the 28×28 field. MNIST strokes are about two pixels wide (mean ink mass
/// ≈ 102 over ~50 px of stroke); drawing every digit with one width makes a thin mouse line
/// and a fat finger look alike to the network.
pub const STROKE_WIDTH: f32 = 2.2;
/// Sub-pixels per pixel side used for anti-aliasing.
const SUPERSAMPLE: usize = 4;

/// One digit found on the pad: which strokes make it, where it is, and its 28×28 image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawnDigit {
    pub strokes: Vec<usize>,
    pub bounds: Bounds,
    /// Row-major 28×28 intensities in [0, 1], ink = 1.
    pub image: Vec<f32>,
}

/// Coordinates (pad pixels) beyond this are not handwriting; clamped so that extents and
/// scales computed from them stay finite.
const MAX_COORDINATE: f32 = 1e6;

impl Stroke {
    /// The stroke as preprocessing can use it: points that are not finite numbers (strokes
    /// can come from JavaScript) dropped, coordinates clamped to ±`MAX_COORDINATE`.
    pub fn sanitised(&self) -> Stroke {
        let clamp = |v: f32| v.clamp(-MAX_COORDINATE, MAX_COORDINATE);
        Stroke {
            points: self
                .points
                .iter()
                .filter(|p| p.x.is_finite() && p.y.is_finite())
                .map(|p| Point {
                    x: clamp(p.x),
                    y: clamp(p.y),
                })
                .collect(),
        }
    }
}

/// Segments the pad and renders every digit: what the page feeds the network. Accepts any
/// strokes (see `Stroke::sanitised`); stroke indices in the result refer to `strokes`.
pub fn digits_from_strokes(strokes: &[Stroke], options: &SegmentOptions) -> Vec<DrawnDigit> {
    let strokes: Vec<Stroke> = strokes.iter().map(Stroke::sanitised).collect();
    let strokes = strokes.as_slice();
    segment(strokes, options)
        .into_iter()
        .map(|members| {
            let parts: Vec<&Stroke> = members.iter().map(|&i| &strokes[i]).collect();
            let bounds = parts
                .iter()
                .filter_map(|s| Bounds::of_points(&s.points))
                .reduce(Bounds::union)
                .expect("segments hold only strokes with points");
            DrawnDigit {
                image: render_mnist_style(&parts),
                strokes: members,
                bounds,
            }
        })
        .collect()
}

/// Draws strokes as an MNIST digit: the centre lines are scaled (aspect kept) so that the
/// ink, at `STROKE_WIDTH`, fits the 20×20 box, drawn anti-aliased (4×4 supersampling), then
/// shifted so the centre of mass is at (14, 14). Returns 784 intensities in [0, 1].
pub fn render_mnist_style(strokes: &[&Stroke]) -> Vec<f32> {
    let Some(bounds) = strokes
        .iter()
        .filter_map(|s| Bounds::of_points(&s.points))
        .reduce(Bounds::union)
    else {
        return vec![0.0; IMAGE_PIXELS];
    };
    let extent = bounds.width().max(bounds.height());
    // A dot or a perfectly straight line has no extent along some axis; any scale will do.
    let scale = if extent > 1e-3 {
        (BOX_SIDE - STROKE_WIDTH) / extent
    } else {
        1.0
    };
    // Centre the ink in the field first; the centre-of-mass shift below fixes the rest.
    let offset_x = (IMAGE_SIDE as f32 - bounds.width() * scale) / 2.0;
    let offset_y = (IMAGE_SIDE as f32 - bounds.height() * scale) / 2.0;
    let to_field = |p: &Point| Point {
        x: (p.x - bounds.min_x) * scale + offset_x,
        y: (p.y - bounds.min_y) * scale + offset_y,
    };

    let side = IMAGE_SIDE * SUPERSAMPLE;
    let mut fine = vec![false; side * side];
    for stroke in strokes {
        let points: Vec<Point> = stroke.points.iter().map(to_field).collect();
        let segments = points.windows(2).map(|w| (w[0], w[1])).chain(
            points
                .first()
                .filter(|_| points.len() == 1)
                .map(|&p| (p, p)),
        );
        for (a, b) in segments {
            stamp_capsule(&mut fine, side, a, b, STROKE_WIDTH / 2.0);
        }
    }
    let coarse = downsample(&fine, side);
    centre_by_mass(&fine, side).map_or(coarse, |(dx, dy)| {
        let mut shifted = vec![false; side * side];
        for y in 0..side {
            for x in 0..side {
                let (sx, sy) = (x as isize - dx, y as isize - dy);
                if (0..side as isize).contains(&sx) && (0..side as isize).contains(&sy) {
                    shifted[y * side + x] = fine[sy as usize * side + sx as usize];
                }
            }
        }
        downsample(&shifted, side)
    })
}

/// Marks every sub-pixel whose centre lies within `radius` (field pixels) of segment a–b.
fn stamp_capsule(fine: &mut [bool], side: usize, a: Point, b: Point, radius: f32) {
    let ss = SUPERSAMPLE as f32;
    let lo = |v: f32| (((v - radius) * ss).floor().max(0.0)) as usize;
    let hi = |v: f32| (((v + radius) * ss).ceil().max(0.0) as usize).min(side);
    for sy in lo(a.y.min(b.y))..hi(a.y.max(b.y)) {
        for sx in lo(a.x.min(b.x))..hi(a.x.max(b.x)) {
            let p = Point {
                x: (sx as f32 + 0.5) / ss,
                y: (sy as f32 + 0.5) / ss,
            };
            if distance_sq_to_segment(p, a, b) <= radius * radius {
                fine[sy * side + sx] = true;
            }
        }
    }
}

/// Squared distance from `p` to the segment a–b (a point if a = b).
#[inline]
pub(crate) fn distance_sq_to_segment(p: Point, a: Point, b: Point) -> f32 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let length_sq = dx * dx + dy * dy;
    let t = if length_sq > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / length_sq).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (p.x - (a.x + t * dx), p.y - (a.y + t * dy));
    ex * ex + ey * ey
}

/// Averages SUPERSAMPLE×SUPERSAMPLE blocks into 28×28 coverage values.
fn downsample(fine: &[bool], side: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; IMAGE_PIXELS];
    for y in 0..side {
        for x in 0..side {
            if fine[y * side + x] {
                out[(y / SUPERSAMPLE) * IMAGE_SIDE + x / SUPERSAMPLE] += 1.0;
            }
        }
    }
    let area = (SUPERSAMPLE * SUPERSAMPLE) as f32;
    out.iter_mut().for_each(|v| *v /= area);
    out
}

/// Sub-pixel shift (dx, dy) that moves the ink's centre of mass to MNIST's; `None` for no ink.
fn centre_by_mass(fine: &[bool], side: usize) -> Option<(isize, isize)> {
    let (mut n, mut sum_x, mut sum_y) = (0.0f64, 0.0f64, 0.0f64);
    for y in 0..side {
        for x in 0..side {
            if fine[y * side + x] {
                n += 1.0;
                sum_x += x as f64;
                sum_y += y as f64;
            }
        }
    }
    if n == 0.0 {
        return None;
    }
    // Pixel index i covers sub-pixels i·S … i·S+S−1, whose mean is i·S + (S−1)/2.
    let ss = SUPERSAMPLE as f64;
    let target = MNIST_CENTRE as f64 * ss + (ss - 1.0) / 2.0;
    Some((
        (target - sum_x / n).round() as isize,
        (target - sum_y / n).round() as isize,
    ))
}

/// Centre of mass of a 28×28 image in pixel-index coordinates (x, y); for tests and checks.
pub fn centre_of_mass(image: &[f32]) -> Option<(f32, f32)> {
    let (mut n, mut sx, mut sy) = (0.0f32, 0.0f32, 0.0f32);
    for (i, &v) in image.iter().enumerate() {
        n += v;
        sx += v * (i % IMAGE_SIDE) as f32;
        sy += v * (i / IMAGE_SIDE) as f32;
    }
    (n > 0.0).then(|| (sx / n, sy / n))
}

/// Ink bounding box of a 28×28 image as (width, height) in pixels, counting pixels above
/// `threshold`.
pub fn ink_extent(image: &[f32], threshold: f32) -> Option<(usize, usize)> {
    let inked = |i: &usize| image[*i] > threshold;
    let all: Vec<usize> = (0..IMAGE_PIXELS).filter(inked).collect();
    let xs = all.iter().map(|i| i % IMAGE_SIDE);
    let ys = all.iter().map(|i| i / IMAGE_SIDE);
    let w = xs.clone().max()? - xs.min()? + 1;
    let h = ys.clone().max()? - ys.min()? + 1;
    Some((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stroke(points: &[(f32, f32)]) -> Stroke {
        Stroke {
            points: points.iter().map(|&(x, y)| Point { x, y }).collect(),
        }
    }

    fn options() -> SegmentOptions {
        SegmentOptions::for_pad_height(200.0)
    }

    #[test]
    fn no_strokes_no_digits() {
        assert!(digits_from_strokes(&[], &options()).is_empty());
    }

    #[test]
    fn rendered_digit_fits_the_20_box_keeps_aspect_and_is_centred_by_mass() {
        // A tall narrow "1"-like stroke and a wide "7"-like shape, drawn large.
        for strokes in [
            vec![stroke(&[(500.0, 100.0), (520.0, 900.0)])],
            vec![
                stroke(&[(0.0, 0.0), (600.0, 0.0), (200.0, 300.0)]),
                stroke(&[(150.0, 150.0), (450.0, 150.0)]),
            ],
        ] {
            let refs: Vec<&Stroke> = strokes.iter().collect();
            let image = render_mnist_style(&refs);
            assert_eq!(image.len(), IMAGE_PIXELS);
            assert!(image.iter().all(|v| (0.0..=1.0).contains(v)));
            let (w, h) = ink_extent(&image, 0.0).unwrap();
            assert!(w.max(h) <= 21 && w.max(h) >= 18, "extent {w}×{h}");
            let (cx, cy) = centre_of_mass(&image).unwrap();
            assert!(
                (cx - 14.0).abs() < 0.6 && (cy - 14.0).abs() < 0.6,
                "com {cx},{cy}"
            );
            // Anti-aliased: some pixels partly covered.
            assert!(image.iter().any(|&v| v > 0.0 && v < 1.0));
            assert!(image.contains(&1.0));
        }
        // Aspect ratio kept: the tall stroke stays narrow.
        let tall = [stroke(&[(500.0, 100.0), (520.0, 900.0)])];
        let (w, h) = ink_extent(&render_mnist_style(&[&tall[0]]), 0.5).unwrap();
        assert!(w <= 4 && h >= 18, "{w}×{h}");
    }

    #[test]
    fn size_and_position_on_the_pad_do_not_change_the_image() {
        let shape = [
            (0.0, 0.0),
            (30.0, 0.0),
            (30.0, 40.0),
            (0.0, 40.0),
            (0.0, 80.0),
        ];
        let small = stroke(&shape);
        let big = stroke(&shape.map(|(x, y)| (300.0 + 3.0 * x, 50.0 + 3.0 * y)));
        let a = render_mnist_style(&[&small]);
        let b = render_mnist_style(&[&big]);
        let diff: f32 = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum();
        assert!(diff < 1.0, "difference {diff}");
    }

    #[test]
    fn a_single_tap_stroke_still_renders() {
        let dot = stroke(&[(10.0, 10.0)]);
        let image = render_mnist_style(&[&dot]);
        assert!(image.iter().sum::<f32>() > 1.0);
        let (cx, cy) = centre_of_mass(&image).unwrap();
        assert!((cx - 14.0).abs() < 0.6 && (cy - 14.0).abs() < 0.6);
    }
}
