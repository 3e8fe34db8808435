//! Crops of rows from the page's stroke generator (`tests/e2e/rows-json.mjs`), for the crop
//! scorer: digits as the page renders drawn strokes (one pen width, centre lines), and what
//! segmentation must not take for one digit in such rows: neighbours run together, a digit
//! with its neighbour's bar or first stroke, and a bar, flag or base alone.

use std::path::Path;

use anyhow::{Context, ensure};
use digitseq_model::IMAGE_PIXELS;
use digitseq_model::generated::GeneratedRow;
use digitseq_model::preprocess::{Bounds, render_mnist_style};

use crate::mnist::Digits;

/// A stroke shorter than this share of its digit's height is a piece (a bar, a flag, a base),
/// not a digit: a 7 without its crossbar is still a 7, the crossbar alone is not.
const PIECE_HEIGHT: f32 = 0.5;

/// Rendered crops, 784 intensities each: single digits with their class, and crops that are
/// not one digit.
#[derive(Default)]
pub struct DrawnCrops {
    pub digits: Vec<(Vec<f32>, u8)>,
    pub not_one: Vec<Vec<f32>>,
}

impl DrawnCrops {
    /// Reads generated rows from `path`: the first `1 - held_out` of them for training, the
    /// rest for testing.
    pub fn load(path: &Path, held_out: f32) -> anyhow::Result<(DrawnCrops, DrawnCrops)> {
        let rows = read_rows(path)?;
        ensure!(!rows.is_empty(), "{} has no rows", path.display());
        let split = ((1.0 - held_out) * rows.len() as f32).round() as usize;
        let (mut train, mut test) = (DrawnCrops::default(), DrawnCrops::default());
        for (i, row) in rows.iter().enumerate() {
            let crops = if i < split { &mut train } else { &mut test };
            crops
                .add_row(row)
                .with_context(|| format!("{} row {i}", path.display()))?;
        }
        Ok((train, test))
    }

    fn add_row(&mut self, row: &GeneratedRow) -> anyhow::Result<()> {
        self.digits.extend(digit_crops(row)?);
        let strokes = row.pad_strokes();
        let groups = row.digit_strokes().map_err(anyhow::Error::msg)?;
        let render = |indices: &[usize]| {
            render_mnist_style(&indices.iter().map(|&i| &strokes[i]).collect::<Vec<_>>())
        };
        let height = |indices: &[usize]| {
            indices
                .iter()
                .filter_map(|&i| Bounds::of_points(&strokes[i].points))
                .reduce(Bounds::union)
                .map_or(0.0, |b| b.height())
        };
        for (k, group) in groups.iter().enumerate() {
            let digit_height = height(group);
            if group.len() > 1 {
                for &stroke in group {
                    if height(&[stroke]) < PIECE_HEIGHT * digit_height {
                        self.not_one.push(render(&[stroke]));
                    }
                }
            }
            // Run together with the next digit or two, and with the next digit's first stroke
            // or the previous digit's last one.
            for more in 1..=2 {
                if let Some(next) = groups.get(k + more) {
                    let joined: Vec<usize> = groups[k..=k + more].concat();
                    self.not_one.push(render(&joined));
                    if more == 1 && next.len() > 1 {
                        self.not_one
                            .push(render(&[group.as_slice(), &next[..1]].concat()));
                    }
                }
            }
            if k > 0 && groups[k - 1].len() > 1 {
                let last = groups[k - 1][groups[k - 1].len() - 1];
                self.not_one.push(render(&[&[last][..], group].concat()));
            }
        }
        debug_assert!(
            self.digits
                .iter()
                .all(|(image, _)| image.len() == IMAGE_PIXELS)
        );
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.digits.is_empty() || self.not_one.is_empty()
    }
}

fn read_rows(path: &Path) -> anyhow::Result<Vec<GeneratedRow>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "reading {} (make it with `node tests/e2e/rows-json.mjs --tight > {0}`)",
            path.display()
        )
    })?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not rows-json.mjs's output", path.display()))
}

/// Each digit of `row` as the page renders it, with its class.
fn digit_crops(row: &GeneratedRow) -> anyhow::Result<Vec<(Vec<f32>, u8)>> {
    let strokes = row.pad_strokes();
    let groups = row.digit_strokes().map_err(anyhow::Error::msg)?;
    Ok(groups
        .iter()
        .zip(&row.digits)
        .map(|(group, &digit)| {
            let parts: Vec<_> = group.iter().map(|&i| &strokes[i]).collect();
            (render_mnist_style(&parts), digit)
        })
        .collect())
}

/// Every digit of the rows in `path`, as MNIST-like training digits (intensities 0–255).
pub fn digits(path: &Path) -> anyhow::Result<Digits> {
    let mut crops = Vec::new();
    for (i, row) in read_rows(path)?.iter().enumerate() {
        crops.extend(digit_crops(row).with_context(|| format!("{} row {i}", path.display()))?);
    }
    ensure!(!crops.is_empty(), "{} has no digits", path.display());
    Ok(Digits {
        images: crops
            .iter()
            .flat_map(|(image, _)| {
                image
                    .iter()
                    .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
            })
            .collect(),
        labels: crops.iter().map(|(_, d)| *d).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_rows(json: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), json).unwrap();
        file
    }

    /// A 1 (one stroke), then a 7 with a crossbar (two strokes), then a 0.
    const ROW: &str = r#"[{"digits":[1,7,0],
        "strokes":[[[10,10],[10,90]], [[30,10],[60,10],[40,90]], [[38,50],[58,50]],
                   [[80,10],[100,50],[80,90],[70,50],[80,10]]],
        "stroke_digits":[0,1,1,2]}]"#;

    #[test]
    fn a_row_gives_its_digits_their_neighbours_run_together_and_its_bars() {
        let file = write_rows(ROW);
        let (train, test) = DrawnCrops::load(file.path(), 0.0).unwrap();
        assert!(test.digits.is_empty());
        let classes: Vec<u8> = train.digits.iter().map(|(_, d)| *d).collect();
        assert_eq!(classes, [1, 7, 0]);
        // 1+7, the 1 with the 7's body, 1+7+0, the crossbar, 7+0, the crossbar with the 0.
        assert_eq!(train.not_one.len(), 6);
        let ink = |image: &[f32]| image.iter().filter(|&&v| v > 0.5).count();
        let bar = ink(&train.not_one[3]);
        let seven = ink(&train.digits[1].0);
        assert!(
            bar > 0 && bar < seven,
            "the bar alone: {bar} pixels, the 7: {seven}"
        );
    }

    #[test]
    fn rows_that_do_not_add_up_are_refused_with_the_row() {
        let file = write_rows(r#"[{"digits":[1],"strokes":[[[0,0],[0,9]]],"stroke_digits":[1]}]"#);
        let error = format!("{:#}", DrawnCrops::load(file.path(), 0.1).err().unwrap());
        assert!(
            error.contains("row 0") && error.contains("digit 1 of 1"),
            "{error}"
        );
        let file = write_rows("not json");
        let error = format!("{:#}", DrawnCrops::load(file.path(), 0.1).err().unwrap());
        assert!(error.contains("rows-json.mjs"), "{error}");
        let missing = DrawnCrops::load(Path::new("/no/such/rows.json"), 0.1)
            .err()
            .unwrap();
        assert!(format!("{missing:#}").contains("node tests/e2e/rows-json.mjs"));
    }

    #[test]
    fn drawn_digits_become_training_digits_with_their_labels() {
        let file = write_rows(ROW);
        let digits = digits(file.path()).unwrap();
        assert_eq!(digits.labels, [1, 7, 0]);
        assert_eq!(digits.images.len(), 3 * IMAGE_PIXELS);
        assert!(digits.image(2).contains(&255), "the 0's ink is full");
    }

    #[test]
    fn the_last_rows_are_held_out() {
        let rows = format!("[{}]", [&ROW[1..ROW.len() - 1]; 10].join(","));
        let file = write_rows(&rows);
        let (train, test) = DrawnCrops::load(file.path(), 0.2).unwrap();
        assert_eq!((train.digits.len(), test.digits.len()), (24, 6));
    }
}
