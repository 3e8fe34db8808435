//! Which strokes make one digit, from how people write a row:
//! - ink that overlaps horizontally belongs to one digit (a 4's two strokes, a 7's bar, a
//!   stroke added later to an earlier digit);
//! - a stroke that starts or ends on the ink of a stroke written before it continues that
//!   stroke's digit, even where it reaches a little past its right edge (a 9's stem drawn
//!   from the loop's right side, a 5's flag from the top of its body).
//!
//! Stray taps (specks) are dropped. Digits come out left to right.

use serde::{Deserialize, Serialize};

use crate::preprocess::{Bounds, Point, Stroke, distance_sq_to_segment};

/// How strokes are grouped into digits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SegmentOptions {
    /// Strokes whose extent is smaller than this (pad pixels) on both axes are specks:
    /// stray taps, ignored.
    pub min_stroke_extent: f32,
    /// Horizontal gap (pad pixels) below which two pieces of ink still count as touching.
    pub join_gap: f32,
    /// A stroke whose first or last point comes this close (pad pixels) to an earlier
    /// stroke's centre line starts on its ink: the pen's width, where two inks touch.
    pub touch_distance: f32,
}

impl SegmentOptions {
    /// Sensible values for a pad `height` pixels tall, where a digit fills most of it and the
    /// pen draws 3.5% of it wide (the page's).
    pub fn for_pad_height(height: f32) -> Self {
        Self {
            min_stroke_extent: 0.04 * height,
            join_gap: 0.0,
            touch_distance: 0.035 * height,
        }
    }
}

/// Groups strokes into digits, left to right (see the module's rules). Returns stroke indices
/// per digit, each in writing order.
pub fn segment(strokes: &[Stroke], options: &SegmentOptions) -> Vec<Vec<usize>> {
    let kept: Vec<(usize, Bounds)> = strokes
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, Bounds::of_points(&s.points)?)))
        .filter(|(_, b)| {
            b.width() >= options.min_stroke_extent || b.height() >= options.min_stroke_extent
        })
        .collect();
    // Pieces: strokes joined to the earlier stroke they start or end on.
    let mut piece: Vec<usize> = (0..kept.len()).collect();
    for k in 1..kept.len() {
        let next = &strokes[kept[k].0];
        let touched = (0..k).rev().find(|&j| {
            let (earlier, bounds) = (&strokes[kept[j].0], &kept[j].1);
            ends(next).any(|p| {
                near_bounds(p, bounds, options.touch_distance)
                    && distance_sq_to_ink(p, earlier) <= options.touch_distance.powi(2)
            })
        });
        if let Some(j) = touched {
            let (from, to) = (root(&mut piece, k), root(&mut piece, j));
            piece[from] = to;
        }
    }
    let mut pieces: Vec<(Vec<usize>, Bounds)> = Vec::new();
    let mut piece_of_root = vec![usize::MAX; kept.len()];
    for (k, &(index, bounds)) in kept.iter().enumerate() {
        let r = root(&mut piece, k);
        if piece_of_root[r] == usize::MAX {
            piece_of_root[r] = pieces.len();
            pieces.push((Vec::new(), bounds));
        }
        let (members, b) = &mut pieces[piece_of_root[r]];
        members.push(index);
        *b = b.union(bounds);
    }
    // Digits: pieces whose horizontal extents overlap.
    pieces.sort_by(|a, b| a.1.min_x.total_cmp(&b.1.min_x));
    let mut groups: Vec<(Vec<usize>, f32)> = Vec::new();
    for (members, bounds) in pieces {
        match groups.last_mut() {
            Some((all, end)) if bounds.min_x <= *end + options.join_gap => {
                all.extend(members);
                *end = end.max(bounds.max_x);
            }
            _ => groups.push((members, bounds.max_x)),
        }
    }
    groups
        .into_iter()
        .map(|(mut members, _)| {
            members.sort_unstable();
            members
        })
        .collect()
}

fn root(piece: &mut [usize], mut i: usize) -> usize {
    while piece[i] != i {
        piece[i] = piece[piece[i]];
        i = piece[i];
    }
    i
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
    fn strokes_each_starting_on_the_one_before_chain_into_one_digit() {
        // Three strokes each starting on the one before, each reaching further right: one digit.
        let strokes = vec![
            stroke(&[(100.0, 20.0), (120.0, 20.0)]),
            stroke(&[(123.0, 22.0), (140.0, 60.0)]),
            stroke(&[(143.0, 62.0), (160.0, 100.0)]),
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
