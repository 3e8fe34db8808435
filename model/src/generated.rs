//! Rows written by the page's stroke generator (`tests/e2e/rows-json.mjs`), as the native
//! tools read them: segmentation's measurement (`examples/segment_rows.rs`) and the trainer's
//! drawn digits and crops.

use serde::Deserialize;

use crate::preprocess::{Point, Stroke};

/// One row: its digits, their strokes in pad units (drawing order) and which digit each
/// stroke belongs to.
#[derive(Debug, Clone, Deserialize)]
pub struct GeneratedRow {
    pub digits: Vec<u8>,
    pub strokes: Vec<Vec<[f32; 2]>>,
    /// The digit (index into `digits`) of each stroke.
    pub stroke_digits: Vec<usize>,
    /// Each digit's glyph style (`strokes.mjs`' names).
    #[serde(default)]
    pub styles: Vec<String>,
}

impl GeneratedRow {
    pub fn pad_strokes(&self) -> Vec<Stroke> {
        self.strokes
            .iter()
            .map(|points| Stroke {
                points: points.iter().map(|&[x, y]| Point { x, y }).collect(),
            })
            .collect()
    }

    /// Each digit's strokes (indices, in writing order), or what does not add up.
    pub fn digit_strokes(&self) -> Result<Vec<Vec<usize>>, String> {
        if self.strokes.len() != self.stroke_digits.len() {
            return Err(format!(
                "{} strokes but {} stroke digits",
                self.strokes.len(),
                self.stroke_digits.len()
            ));
        }
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); self.digits.len()];
        for (stroke, &digit) in self.stroke_digits.iter().enumerate() {
            let Some(group) = groups.get_mut(digit) else {
                return Err(format!(
                    "stroke {stroke} belongs to digit {digit} of {}",
                    self.digits.len()
                ));
            };
            group.push(stroke);
        }
        if let Some(k) = groups.iter().position(Vec::is_empty) {
            return Err(format!("digit {k} has no strokes"));
        }
        if let Some(d) = self.digits.iter().find(|&&d| d > 9) {
            return Err(format!("digit {d}"));
        }
        Ok(groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(json: &str) -> GeneratedRow {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn strokes_are_grouped_by_their_digit_and_bad_rows_say_why() {
        let good = row(
            r#"{"digits":[1,7],"strokes":[[[0,0],[0,9]],[[5,0],[9,0]],[[9,0],[6,9]]],
            "stroke_digits":[0,1,1]}"#,
        );
        assert_eq!(good.digit_strokes().unwrap(), [vec![0], vec![1, 2]]);
        assert_eq!(good.pad_strokes()[2].points[1], Point { x: 6.0, y: 9.0 });
        let out_of_range = row(r#"{"digits":[1],"strokes":[[[0,0]]],"stroke_digits":[1]}"#);
        assert!(
            out_of_range
                .digit_strokes()
                .unwrap_err()
                .contains("digit 1 of 1")
        );
        let empty = row(r#"{"digits":[1,2],"strokes":[[[0,0]]],"stroke_digits":[0]}"#);
        assert!(
            empty
                .digit_strokes()
                .unwrap_err()
                .contains("digit 1 has no strokes")
        );
    }
}
