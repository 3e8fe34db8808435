//! Which strokes make one digit, from how people write a row:
//! - a digit's strokes are written one after another, so a digit is a run of consecutive
//!   strokes in writing order, whatever their order on the pad (a row written right to left
//!   included);
//! - a stroke added to an earlier digit after moving on (a base, a stem, a bar), over,
//!   beside or on the earlier one's ink, joins it where the row so far reads better so than
//!   as written (the whole reading below, done both ways), clearly better where the stroke
//!   is over or on the one before it and does not go back;
//! - a digit's ink is connected: strokes separated by a horizontal gap are different digits;
//! - where strokes overlap or touch, which runs are digits is decided by how much each run's
//!   crop looks like one digit (`scorer.rs`, trained on MNIST singles against merged pairs
//!   and fragments), with stacked overlap, touching and crossing inks as evidence for
//!   keeping strokes together, and width or a height well short of the row's against. The best split of the whole row wins
//!   (dynamic programming over the runs). docs/segmentation.md has the figures.
//!
//! Stray taps (specks) are dropped. Digits come out left to right.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::preprocess::{Bounds, Point, Stroke, distance_sq_to_segment, render_mnist_style};
use crate::scorer::DigitScorer;

/// How strokes are grouped into digits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SegmentOptions {
    /// Strokes whose extent is smaller than this (pad pixels) on both axes are specks:
    /// stray taps, ignored.
    pub min_stroke_extent: f32,
    /// Horizontal gap (pad pixels) up to which two pieces of ink may still be one digit.
    pub join_gap: f32,
    /// A stroke whose first or last point comes this close (pad pixels) to an earlier
    /// stroke's centre line starts on its ink: the pen's width, where two inks touch.
    pub touch_distance: f32,
    /// What splitting two consecutive strokes costs (in units of ln P of the scorer) per
    /// share of the narrower one's width that they overlap horizontally.
    pub overlap_weight: f32,
    /// What splitting a stroke from the one before costs when one starts or ends on the
    /// other's ink.
    pub touch_weight: f32,
    /// What splitting a stroke from the one before costs when their centre lines cross (a
    /// 4's stem through its bar, a 7's crossbar): neighbours in a row touch, they rarely cross.
    pub cross_weight: f32,
    /// What a digit costs per unit of width-to-height ratio beyond `MAX_ASPECT`: digits run
    /// together are wide.
    pub wide_weight: f32,
    /// What a digit costs per share of the row's digit height it falls short of `SHORT`: a
    /// bar, a flag or half a 4 is not a digit.
    pub short_weight: f32,
}

/// A digit is at most this many strokes (corrections aside).
const MAX_RUN: usize = 4;
/// Digits are rarely wider than this times their height (a slanted 0 at most).
const MAX_ASPECT: f32 = 1.2;
/// Digits are rarely shorter than this share of the row's.
const SHORT: f32 = 0.6;
/// A stroke joined to an earlier digit must make it likely one digit (ln P), unless both are
/// clear of the stroke before.
const CORRECTION_LIKELY: f32 = -1.0;
/// How much likelier (nats) joining an earlier digit must make the row than reading it in
/// writing order: for a stroke going back left of the one before it or clear of it (most
/// likely a correction), and for one over or on it (most likely the next stroke).
const CORRECTION_MARGIN_BACK: f32 = 0.0;
const CORRECTION_MARGIN_FORWARD: f32 = 2.0;

impl SegmentOptions {
    /// Sensible values for a pad `height` pixels tall, where a digit fills most of it and the
    /// pen draws 3.5% of it wide (the page's).
    pub fn for_pad_height(height: f32) -> Self {
        Self {
            min_stroke_extent: 0.04 * height,
            join_gap: 0.035 * height,
            touch_distance: 0.035 * height,
            overlap_weight: 12.0,
            touch_weight: 1.0,
            cross_weight: 8.0,
            wide_weight: 8.0,
            short_weight: 8.0,
        }
    }
}

/// Groups strokes into digits, left to right (see the module's rules), with the scorer that
/// ships with this crate. Returns stroke indices per digit, each in writing order.
pub fn segment(strokes: &[Stroke], options: &SegmentOptions) -> Vec<Vec<usize>> {
    thread_local! {
        static SCORER: DigitScorer = DigitScorer::shipped();
        // Scores of crops seen before, by their ink: the page segments the whole pad again
        // after every stroke, and most candidate crops have not changed.
        static SEEN: RefCell<HashMap<u64, f32>> = RefCell::new(HashMap::new());
    }
    // Keys of each stroke's ink, once: a row is read many times over while it is segmented.
    let stroke_keys: Vec<u64> = strokes.iter().map(ink_key).collect();
    segment_scored(strokes, options, |runs| {
        let keys: Vec<u64> = runs
            .iter()
            .map(|run| run_key(run.iter().map(|&i| stroke_keys[i])))
            .collect();
        SEEN.with_borrow_mut(|seen| {
            if seen.len() > MAX_SEEN {
                seen.clear();
            }
            let new: Vec<usize> = (0..runs.len())
                .filter(|&k| !seen.contains_key(&keys[k]))
                .collect();
            let images: Vec<Vec<f32>> = new
                .iter()
                .map(|&k| {
                    render_mnist_style(&runs[k].iter().map(|&i| &strokes[i]).collect::<Vec<_>>())
                })
                .collect();
            let scores = SCORER.with(|scorer| scorer.one_digit_log_probability(&images));
            for (&k, score) in new.iter().zip(scores) {
                seen.insert(keys[k], score);
            }
            keys.iter().map(|key| seen[key]).collect()
        })
    })
}

/// Crops remembered at most (a few pads full).
const MAX_SEEN: usize = 4096;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// Identity of a stroke's ink: equal points give equal keys (FNV-1a over the f32 bits).
fn ink_key(stroke: &Stroke) -> u64 {
    let mix = |hash: u64, bits: u32| (hash ^ u64::from(bits)).wrapping_mul(FNV_PRIME);
    stroke
        .points
        .iter()
        .fold(FNV_OFFSET, |h, p| mix(mix(h, p.x.to_bits()), p.y.to_bits()))
}

/// Identity of some strokes' ink, from their keys in order.
fn run_key(keys: impl Iterator<Item = u64>) -> u64 {
    keys.fold(FNV_OFFSET, |hash, key| (hash ^ key).wrapping_mul(FNV_PRIME))
}

/// A run of strokes that may be one digit: consecutive units in writing order.
#[derive(Clone)]
struct Unit {
    strokes: Vec<usize>,
    bounds: Bounds,
}

/// [`segment`] with the crops' scores from `score`: given candidate digits (stroke indices),
/// ln P(one digit) of each.
pub fn segment_scored(
    strokes: &[Stroke],
    options: &SegmentOptions,
    mut score: impl FnMut(&[Vec<usize>]) -> Vec<f32>,
) -> Vec<Vec<usize>> {
    let kept: Vec<(usize, Bounds)> = strokes
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, Bounds::of_points(&s.points)?)))
        .filter(|(_, b)| {
            b.width() >= options.min_stroke_extent || b.height() >= options.min_stroke_extent
        })
        .collect();
    let units = units_with_corrections(strokes, &kept, options, &mut score);
    let (_, runs) = read_row(strokes, &units, options, &mut score);
    let mut digits: Vec<(Vec<usize>, Bounds)> = runs
        .into_iter()
        .map(|run| (members(&units, run), span(&units, run)))
        .collect();
    // Left to right by centre: in a slanted row a digit's foot (a 1's base) may reach
    // further left than its neighbour's.
    digits.sort_by(|a, b| (a.1.min_x + a.1.max_x).total_cmp(&(b.1.min_x + b.1.max_x)));
    in_writing_order_where_overlapping(&mut digits);
    digits.into_iter().map(|(members, _)| members).collect()
}

/// Neighbours whose extents overlap (leaning into each other) have no clear left and right:
/// in a row written left to right, as most are, the one written first comes first.
fn in_writing_order_where_overlapping(digits: &mut [(Vec<usize>, Bounds)]) {
    let first = |d: &(Vec<usize>, Bounds)| d.0.first().copied().unwrap_or(0);
    // Which way the row is written, from neighbours clearly apart.
    let (forward, backward) = digits
        .windows(2)
        .filter(|pair| horizontal_gap(&pair[0].1, &pair[1].1) >= 0.0)
        .fold((0, 0), |(f, b), pair| {
            if first(&pair[0]) < first(&pair[1]) {
                (f + 1, b)
            } else {
                (f, b + 1)
            }
        });
    if forward < backward {
        return;
    }
    for k in 1..digits.len() {
        let (a, b) = (&digits[k - 1], &digits[k]);
        if horizontal_gap(&a.1, &b.1) < 0.0 && first(b) < first(a) {
            digits.swap(k - 1, k);
        }
    }
}

/// The strokes of units `start..end`, in writing order.
fn members(units: &[Unit], (start, end): (usize, usize)) -> Vec<usize> {
    let mut all: Vec<usize> = units[start..end]
        .iter()
        .flat_map(|u| u.strokes.iter().copied())
        .collect();
    all.sort_unstable();
    all
}

fn span(units: &[Unit], (start, end): (usize, usize)) -> Bounds {
    units[start..end]
        .iter()
        .map(|u| u.bounds)
        .reduce(Bounds::union)
        .expect("runs are not empty")
}

/// The best split of `units` into digits (runs of consecutive units), and its total: the
/// crops' scores less what the split and the digits' shapes cost.
fn read_row(
    strokes: &[Stroke],
    units: &[Unit],
    options: &SegmentOptions,
    score: &mut impl FnMut(&[Vec<usize>]) -> Vec<f32>,
) -> (f32, Vec<(usize, usize)>) {
    let n = units.len();
    // Candidate digits: runs of up to MAX_RUN units whose ink is connected.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for start in 0..n {
        let mut bounds = units[start].bounds;
        runs.push((start, start + 1));
        for (last, unit) in units
            .iter()
            .enumerate()
            .take((start + MAX_RUN).min(n))
            .skip(start + 1)
        {
            if horizontal_gap(&bounds, &unit.bounds) > options.join_gap {
                break;
            }
            bounds = bounds.union(unit.bounds);
            runs.push((start, last + 1));
        }
    }
    // Every run is scored, those that cannot be split too: totals of different rows (a
    // stroke read as a correction or not) are compared.
    let scores = score(&runs.iter().map(|&r| members(units, r)).collect::<Vec<_>>());

    // What splitting unit k from unit k−1 costs.
    let split_cost: Vec<f32> = (0..n)
        .map(|k| {
            if k == 0 {
                0.0
            } else {
                split_cost(strokes, &units[k - 1], &units[k], options)
            }
        })
        .collect();

    // How tall the row's digits are: most units are whole digits, bars and flags are few.
    let row_height = {
        let mut heights: Vec<f32> = units.iter().map(|u| u.bounds.height()).collect();
        heights.sort_by(f32::total_cmp);
        heights
            .get(heights.len() * 3 / 4)
            .copied()
            .unwrap_or(1.0)
            .max(options.touch_distance)
    };
    // best[e]: the best total over units 0..e, and where its last digit starts.
    let mut best: Vec<(f32, usize)> = vec![(f32::NEG_INFINITY, 0); n + 1];
    best[0].0 = 0.0;
    for (&(start, end), &run_score) in runs.iter().zip(&scores) {
        // `runs` is ordered by start, so best[start] is final here.
        let split = if start > 0 { split_cost[start] } else { 0.0 };
        let bounds = span(units, (start, end));
        let wide =
            (bounds.width() / bounds.height().max(options.touch_distance) - MAX_ASPECT).max(0.0);
        let short = (SHORT - bounds.height() / row_height).max(0.0);
        let total = best[start].0 + run_score
            - options.wide_weight * wide
            - options.short_weight * short
            - split;
        if total > best[end].0 {
            best[end] = (total, start);
        }
    }
    let mut digits = Vec::new();
    let mut end = n;
    while end > 0 {
        let start = best[end].1;
        digits.push((start, end));
        end = start;
    }
    digits.reverse();
    (best[n].0, digits)
}

/// What reading `a` and `b` as different digits costs: how far their inks overlap
/// horizontally, one starting on the other, their centre lines crossing.
fn split_cost(strokes: &[Stroke], a: &Unit, b: &Unit, options: &SegmentOptions) -> f32 {
    // A straight stem's centre line has no width, its ink has the pen's.
    let pen = options.touch_distance;
    let extent = |u: &Unit| {
        let (lo, hi) = (u.bounds.min_x, u.bounds.max_x);
        let grow = ((pen - (hi - lo)) / 2.0).max(0.0);
        (lo - grow, hi + grow)
    };
    let ((a_lo, a_hi), (b_lo, b_hi)) = (extent(a), extent(b));
    let overlap = (a_hi.min(b_hi) - a_lo.max(b_lo)).max(0.0);
    let narrower = (a_hi - a_lo).min(b_hi - b_lo);
    let touches = b.strokes.iter().any(|&i| {
        a.strokes.iter().any(|&j| {
            starts_on(&strokes[i], &strokes[j], options.touch_distance)
                || starts_on(&strokes[j], &strokes[i], options.touch_distance)
        })
    });
    // Horizontal overlap is strong evidence only where the pieces do not also share their
    // height (a bar, a flag, a base, loops stacked into an 8): neighbours in a slanted row
    // overlap side by side.
    let shared_height =
        (a.bounds.max_y.min(b.bounds.max_y) - a.bounds.min_y.max(b.bounds.min_y)).max(0.0);
    let stacked = 1.0 - shared_height / a.bounds.height().max(b.bounds.height()).max(f32::EPSILON);
    let crosses = b.strokes.iter().any(|&i| {
        a.strokes
            .iter()
            .any(|&j| inks_cross(&strokes[i], &strokes[j]))
    });
    options.overlap_weight * (overlap / narrower).min(1.0) * stacked
        + if touches { options.touch_weight } else { 0.0 }
        + if crosses { options.cross_weight } else { 0.0 }
}

/// One unit per stroke in writing order, except that a stroke added to an earlier digit
/// (over, beside or on an earlier unit) joins that unit where the row so far reads better
/// so: clearly better where the stroke is over or on the one before it and not going back.
fn units_with_corrections(
    strokes: &[Stroke],
    kept: &[(usize, Bounds)],
    options: &SegmentOptions,
    score: &mut impl FnMut(&[Vec<usize>]) -> Vec<f32>,
) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::new();
    for &(index, bounds) in kept {
        let alone = Unit {
            strokes: vec![index],
            bounds,
        };
        // How far the stroke's extent and `b` overlap (negative: apart).
        let over = |b: &Bounds| b.max_x.min(bounds.max_x) - b.min_x.max(bounds.min_x);
        let touches = |u: &Unit| {
            u.strokes
                .iter()
                .any(|&j| starts_on(&strokes[index], &strokes[j], options.touch_distance))
        };
        // Over the digit, as a base under a 1 or a stem beside a 9's loop (a pen's width away
        // at most), and level with it, not above or below; or on its ink.
        let by = |u: &Unit| {
            let b = &u.bounds;
            let level = b.max_y.min(bounds.max_y) - b.min_y.max(bounds.min_y) >= -options.join_gap;
            let over_it = over(b) >= 0.5 * bounds.width().min(b.width()) - options.join_gap;
            (over_it && level) || touches(u)
        };
        let candidates: Vec<usize> = (0..units.len().saturating_sub(1))
            .filter(|&u| by(&units[u]))
            .collect();
        let Some(last) = units.last() else {
            units.push(alone);
            continue;
        };
        // The next stroke goes on the digit being written or right of it: one over or on
        // that stroke and not going back left of it must read clearly better as a correction.
        let on_last = over(&last.bounds) >= 0.0 || touches(last);
        let back = bounds.min_x + bounds.max_x < last.bounds.min_x + last.bounds.max_x;
        let margin = if on_last && !back {
            CORRECTION_MARGIN_FORWARD
        } else {
            CORRECTION_MARGIN_BACK
        };
        let mut as_written = units.clone();
        as_written.push(alone);
        // A stroke clear of the one before, over or on an earlier unit also clear of it, is
        // not a digit of its own (two digits do not share one place): it joins one.
        let clear = |u: usize| !on_last && horizontal_gap(&units[u].bounds, &last.bounds) > 0.0;
        let mut target = None;
        if !candidates.is_empty() {
            let mut best = if candidates.iter().any(|&u| clear(u)) {
                f32::NEG_INFINITY
            } else {
                read_row(strokes, &as_written, options, score).0 + margin
            };
            for &u in &candidates {
                let mut joined = units.clone();
                joined[u].strokes.push(index);
                joined[u].bounds = joined[u].bounds.union(bounds);
                // Clear of the one before, the stroke is a digit apart from this unit if read
                // as written, which the row's reading (of neighbours in writing order) does
                // not count. Unless it and this unit are both clear of the one before, it
                // must make this unit a likely digit.
                let apart = if on_last {
                    0.0
                } else {
                    split_cost(strokes, &units[u], &as_written[units.len()], options)
                };
                let likely =
                    clear(u) || score(&[members(&joined, (u, u + 1))])[0] > CORRECTION_LIKELY;
                let total = read_row(strokes, &joined, options, score).0 + apart;
                if likely && total > best {
                    (best, target) = (total, Some(joined));
                }
            }
        }
        units = target.unwrap_or(as_written);
    }
    units
}

/// Whether two strokes' centre lines cross.
fn inks_cross(a: &Stroke, b: &Stroke) -> bool {
    let (Some(ba), Some(bb)) = (Bounds::of_points(&a.points), Bounds::of_points(&b.points)) else {
        return false;
    };
    if horizontal_gap(&ba, &bb) > 0.0 || ba.max_y < bb.min_y || bb.max_y < ba.min_y {
        return false;
    }
    a.points.windows(2).any(|s| {
        b.points
            .windows(2)
            .any(|t| segments_cross(s[0], s[1], t[0], t[1]))
    })
}

/// Whether segments p–q and r–s properly intersect.
fn segments_cross(p: Point, q: Point, r: Point, s: Point) -> bool {
    let side = |a: Point, b: Point, c: Point| (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    let (d1, d2) = (side(r, s, p), side(r, s, q));
    let (d3, d4) = (side(p, q, r), side(p, q, s));
    d1 * d2 < 0.0 && d3 * d4 < 0.0
}

/// How far apart two extents are horizontally (negative where they overlap).
fn horizontal_gap(a: &Bounds, b: &Bounds) -> f32 {
    (b.min_x - a.max_x).max(a.min_x - b.max_x)
}

/// Whether `stroke` starts or ends on `earlier`'s ink.
fn starts_on(stroke: &Stroke, earlier: &Stroke, distance: f32) -> bool {
    let Some(bounds) = Bounds::of_points(&earlier.points) else {
        return false;
    };
    ends(stroke).any(|p| {
        near_bounds(p, &bounds, distance) && distance_sq_to_ink(p, earlier) <= distance.powi(2)
    })
}

/// A stroke's first and last points.
fn ends(stroke: &Stroke) -> impl Iterator<Item = &Point> {
    stroke
        .points
        .first()
        .into_iter()
        .chain(stroke.points.last())
}

fn near_bounds(p: &Point, b: &Bounds, distance: f32) -> bool {
    p.x >= b.min_x - distance
        && p.x <= b.max_x + distance
        && p.y >= b.min_y - distance
        && p.y <= b.max_y + distance
}

/// Squared distance from `p` to the stroke's centre line.
fn distance_sq_to_ink(p: &Point, stroke: &Stroke) -> f32 {
    match stroke.points.as_slice() {
        [only] => distance_sq_to_segment(*p, *only, *only),
        points => points
            .windows(2)
            .map(|w| distance_sq_to_segment(*p, w[0], w[1]))
            .fold(f32::INFINITY, f32::min),
    }
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

    /// A loop around (120, 60), x 100–140, drawn as a closed polygon.
    fn loop_stroke() -> Stroke {
        let points: Vec<(f32, f32)> = (0..=24)
            .map(|k| {
                let a = k as f32 / 24.0 * std::f32::consts::TAU;
                (120.0 + 20.0 * a.cos(), 60.0 + 20.0 * a.sin())
            })
            .collect();
        stroke(&points)
    }

    #[test]
    fn overlapping_strokes_form_one_digit_and_digits_come_left_to_right() {
        // A "4" in two strokes at x 100–140, a "1" at x 20, a "7" in two strokes at x 200–240.
        let strokes = vec![
            stroke(&[(110.0, 20.0), (100.0, 100.0), (140.0, 100.0)]),
            stroke(&[(20.0, 20.0), (20.0, 180.0)]),
            stroke(&[(130.0, 40.0), (130.0, 180.0)]),
            stroke(&[(200.0, 20.0), (240.0, 20.0), (210.0, 180.0)]),
            stroke(&[(205.0, 100.0), (235.0, 100.0)]),
        ];
        assert_eq!(
            segment(&strokes, &options()),
            vec![vec![1], vec![0, 2], vec![3, 4]]
        );
    }

    /// A loop like `loop_stroke`'s around (cx, 60), radius 20.
    fn loop_at(cx: f32) -> Stroke {
        let mut zero = loop_stroke();
        zero.points.iter_mut().for_each(|p| p.x += cx - 120.0);
        zero
    }

    #[test]
    fn two_zeros_whose_inks_touch_are_two_digits() {
        // Extents 100–140 and 141–181: within the join gap, so the crop "00" is scored.
        let strokes = vec![loop_at(120.0), loop_at(161.0)];
        assert_eq!(segment(&strokes, &options()), vec![vec![0], vec![1]]);
    }

    #[test]
    fn slanted_neighbours_whose_boxes_overlap_are_two_digits() {
        // Two 1s leaning right, their extents overlapping by 20 of their 50 units.
        let strokes = vec![
            stroke(&[(150.0, 20.0), (100.0, 180.0)]),
            stroke(&[(180.0, 20.0), (130.0, 180.0)]),
        ];
        assert_eq!(segment(&strokes, &options()), vec![vec![0], vec![1]]);
    }

    #[test]
    fn a_one_leaning_left_under_a_sevens_bar_comes_before_the_seven() {
        // From a tight row slanted both ways (seed 1 row 40): the 7's bar reaches left over
        // the 1, so the 7's box centre is left of the 1's; the 1 was written first.
        let strokes = vec![
            stroke(&[(20.0, 65.0), (58.0, 162.0)]),
            stroke(&[(5.0, 51.0), (52.0, 56.0), (65.0, 68.0), (64.0, 156.0)]),
        ];
        assert_eq!(segment(&strokes, &options()), vec![vec![0], vec![1]]);
    }

    #[test]
    fn a_base_drawn_from_under_the_digit_before_stays_with_its_stem() {
        // A 0, then a slanted 1 with a flag, then its base from under the 0 to the right:
        // the base starts left of the stem (it went back) but is not a correction of the 0.
        let strokes = vec![
            loop_at(120.0),
            stroke(&[(150.0, 50.0), (172.0, 20.0), (152.0, 180.0)]),
            stroke(&[(132.0, 182.0), (175.0, 180.0)]),
        ];
        assert_eq!(segment(&strokes, &options()), vec![vec![0], vec![1, 2]]);
    }

    #[test]
    fn a_nine_whose_stem_starts_on_the_loops_right_edge_is_one_digit() {
        // The stem starts 4 units right of the loop's rightmost ink (inks touch: the pen is 7
        // wide) and goes down past it: its extent does not overlap the loop's.
        let nine = vec![loop_stroke(), stroke(&[(144.0, 62.0), (146.0, 180.0)])];
        assert_eq!(segment(&nine, &options()), vec![vec![0, 1]]);
        // Drawn bottom-up, ending on the loop: the same digit.
        let upwards = vec![loop_stroke(), stroke(&[(146.0, 180.0), (144.0, 62.0)])];
        assert_eq!(segment(&upwards, &options()), vec![vec![0, 1]]);
        // A "1" written a clear gap after a "0" stays a digit of its own.
        let zero_one = vec![loop_stroke(), stroke(&[(160.0, 40.0), (160.0, 180.0)])];
        assert_eq!(segment(&zero_one, &options()), vec![vec![0], vec![1]]);
    }

    #[test]
    fn a_stroke_added_later_on_an_earlier_digit_joins_it() {
        // "0", then a "1" further right, then a stem going back to the "0": the 0 becomes a 9.
        let strokes = vec![
            loop_stroke(),
            stroke(&[(200.0, 40.0), (200.0, 180.0)]),
            stroke(&[(143.0, 55.0), (147.0, 180.0)]),
        ];
        assert_eq!(segment(&strokes, &options()), vec![vec![0, 2], vec![1]]);
    }

    #[test]
    fn a_stem_added_to_a_four_after_a_two_stroke_nine_joins_the_four() {
        // A tight row: a 4's open angle, a 9 touching it (loop, then a stem slanting back
        // under the 4), then the 4's stem, clear of the 9's stem but not of its loop's.
        let strokes = vec![
            stroke(&[(114.0, 25.0), (107.0, 109.0), (190.0, 109.0)]),
            loop_at(215.0),
            stroke(&[(235.0, 62.0), (185.0, 180.0)]),
            stroke(&[(167.0, 28.0), (164.0, 165.0)]),
        ];
        assert_eq!(segment(&strokes, &options()), vec![vec![0, 3], vec![1, 2]]);
    }

    #[test]
    fn strokes_going_back_over_earlier_digits_join_them() {
        // The soak test's scribble: zig-zags into twelve narrow columns in turn, three rounds;
        // every stroke after the first round lies on its column's ink, clear of the last, and
        // joins it (neighbouring columns' scribbles, within a join gap, may read as one).
        let width = 19.0;
        let strokes: Vec<Stroke> = (0..36)
            .map(|s| {
                let x = width * ((s % 12) as f32 + 0.2 + 0.6 * ((s * 7) % 10) as f32 / 10.0);
                let points: Vec<(f32, f32)> = (0..=6)
                    .map(|k| {
                        let dx = if k % 2 == 1 { width * 0.25 } else { 0.0 };
                        (x + dx, 40.0 + 120.0 * k as f32 / 6.0)
                    })
                    .collect();
                stroke(&points)
            })
            .collect();
        let found = segment(&strokes, &options());
        for column in 0..12 {
            let digit = found
                .iter()
                .find(|d| d.contains(&column))
                .expect("every stroke");
            assert!(
                digit.contains(&(column + 12)) && digit.contains(&(column + 24)),
                "column {column}: {found:?}"
            );
        }
    }

    #[test]
    fn an_open_four_whose_straight_stem_stands_in_its_angle_is_one_digit() {
        // From the page (drawn report, seed 1 row 126): a 0, then an open 4 whose stem, a
        // vertical line, starts halfway down the angle; its centre line has no width.
        let strokes = vec![
            loop_at(60.0),
            stroke(&[(135.0, 56.0), (101.0, 112.0), (169.0, 112.0)]),
            stroke(&[(155.0, 90.0), (156.0, 159.0)]),
        ];
        assert_eq!(segment(&strokes, &options()), vec![vec![0], vec![1, 2]]);
    }

    #[test]
    fn a_base_added_to_a_one_after_the_next_digit_joins_the_one() {
        // A 1's stem, a 0 after it, then the 1's base, just under the stem's foot.
        let strokes = vec![
            stroke(&[(90.0, 40.0), (104.0, 20.0), (100.0, 178.0)]),
            loop_at(170.0),
            stroke(&[(80.0, 184.0), (124.0, 183.0)]),
        ];
        assert_eq!(segment(&strokes, &options()), vec![vec![0, 2], vec![1]]);
    }

    #[test]
    fn a_base_added_to_a_one_whose_neighbour_touches_it_joins_the_one() {
        // A 1's stem, a tall 0 touching it, then the 1's base, reaching under the 0: not
        // clear of the digit being written, so the scorer tells a correction from its stroke.
        let zero: Vec<(f32, f32)> = (0..=32)
            .map(|k| {
                let a = k as f32 / 32.0 * std::f32::consts::TAU;
                (127.0 - 22.0 * a.cos(), 100.0 + 78.0 * a.sin())
            })
            .collect();
        let strokes = vec![
            stroke(&[(90.0, 40.0), (104.0, 20.0), (100.0, 178.0)]),
            stroke(&zero),
            stroke(&[(80.0, 184.0), (124.0, 183.0)]),
        ];
        assert_eq!(segment(&strokes, &options()), vec![vec![0, 2], vec![1]]);
    }

    #[test]
    fn strokes_each_starting_on_the_one_before_chain_into_one_digit() {
        // A 7 in three strokes, each starting where the one before ended: the bar, then its
        // stem in two pieces.
        let strokes = vec![
            stroke(&[(100.0, 20.0), (160.0, 20.0)]),
            stroke(&[(161.0, 23.0), (140.0, 100.0)]),
            stroke(&[(139.0, 103.0), (120.0, 180.0)]),
        ];
        assert_eq!(segment(&strokes, &options()), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn specks_and_empty_strokes_are_ignored() {
        let strokes = vec![
            stroke(&[(50.0, 50.0), (52.0, 51.0)]),
            stroke(&[]),
            stroke(&[(100.0, 20.0), (100.0, 180.0)]),
        ];
        assert_eq!(segment(&strokes, &options()), vec![vec![2]]);
    }

    /// A "4" in two strokes, a "1" and a "7" (bar, then stem from its end), `size` wide and
    /// tall with its top left at (x, y); stroke counts 2, 1, 2.
    fn four_one_seven(x: f32, y: f32, size: f32) -> Vec<Stroke> {
        let at = |u: f32, v: f32| (x + u * size, y + v * size);
        vec![
            // 4: the open "L", then the stem crossing it.
            stroke(&[at(0.3, 0.0), at(0.0, 0.6), at(0.8, 0.6)]),
            stroke(&[at(0.6, 0.2), at(0.6, 1.0)]),
            // 1, one size to the right.
            stroke(&[at(1.9, 0.0), at(1.9, 1.0)]),
            // 7, two sizes further.
            stroke(&[at(2.6, 0.0), at(3.4, 0.0)]),
            stroke(&[at(3.4, 0.02), at(2.9, 1.0)]),
        ]
    }

    #[test]
    fn thirty_small_digits_in_a_row_are_thirty_digits_in_writing_order() {
        // Ten "4 1 7" triples, digits 18 px tall (9% of the pad) and 9 px apart.
        let strokes: Vec<Stroke> = (0..10)
            .flat_map(|k| four_one_seven(k as f32 * 72.0, 90.0, 18.0))
            .collect();
        let digits = segment(&strokes, &options());
        assert_eq!(digits.len(), 30);
        for (k, triple) in digits.chunks(3).enumerate() {
            let first = 5 * k;
            assert_eq!(
                triple,
                [
                    vec![first, first + 1],
                    vec![first + 2],
                    vec![first + 3, first + 4]
                ]
            );
        }
    }

    #[test]
    fn huge_and_tiny_digits_in_one_row() {
        // A "4 1 7" filling the pad's height, then the same 12 px tall (6%): each size keeps
        // its digits, the tiny ones are not taken for specks.
        let mut strokes = four_one_seven(0.0, 5.0, 190.0);
        strokes.extend(four_one_seven(700.0, 150.0, 12.0));
        assert_eq!(
            segment(&strokes, &options()),
            vec![
                vec![0, 1],
                vec![2],
                vec![3, 4],
                vec![5, 6],
                vec![7],
                vec![8, 9]
            ]
        );
    }

    #[test]
    fn a_row_written_right_to_left_comes_out_left_to_right() {
        // The "7" first, then the "1", then the "4": digits still in reading order.
        let mut strokes = four_one_seven(100.0, 50.0, 60.0);
        strokes.reverse();
        // Reversed: 7's stem (0), 7's bar (1), 1 (2), 4's stem (3), 4's "L" (4).
        assert_eq!(
            segment(&strokes, &options()),
            vec![vec![3, 4], vec![2], vec![0, 1]]
        );
    }
}
