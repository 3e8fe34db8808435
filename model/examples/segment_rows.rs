//! How the page's segmentation groups generated rows (`tests/e2e/rows-json.mjs`), without a
//! browser: rows whose digits come out exactly as written, merged or split, and which
//! digits were split.
//!
//!     node tests/e2e/rows-json.mjs --tight | cargo run -p digitseq-model --example segment_rows

use std::collections::BTreeMap;
use std::io::Read;

use digitseq_model::generated::GeneratedRow;
use digitseq_model::preprocess::{SegmentOptions, segment};

/// The page's pad is this many units tall (web/src/geometry.rs), as the generator's rows are.
const PAD_HEIGHT_UNITS: f32 = 200.0;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let rows: Vec<GeneratedRow> = serde_json::from_str(&text)?;
    let options = SegmentOptions::for_pad_height(PAD_HEIGHT_UNITS);
    // `--show`: every row not segmented as written, on stderr.
    let verbose = std::env::args().any(|a| a == "--show");
    let (mut exact, mut merged, mut split) = (0, 0, 0);
    let mut split_digits: BTreeMap<u8, usize> = BTreeMap::new();
    for (index, row) in rows.iter().enumerate() {
        let strokes = row.pad_strokes();
        let written = row.digit_strokes()?;
        let found = segment(&strokes, &options);
        if found == written {
            exact += 1;
        } else if found.len() < written.len() {
            if verbose {
                let merged: Vec<String> = found
                    .iter()
                    .filter(|g| !written.contains(g))
                    .map(|g| {
                        let ds: Vec<String> = written
                            .iter()
                            .zip(&row.digits)
                            .filter(|(w, _)| w.iter().any(|i| g.contains(i)))
                            .map(|(_, d)| d.to_string())
                            .collect();
                        ds.join("+")
                    })
                    .collect();
                eprintln!("row {index}: merged {:?}", merged);
            }
            merged += 1;
        } else {
            split += 1;
            if verbose {
                let show = |groups: &[Vec<usize>]| {
                    groups
                        .iter()
                        .map(|g| format!("{g:?}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                eprintln!(
                    "row {index}: digits {:?} styles {:?}\n  written {}\n  found   {}",
                    row.digits,
                    row.styles,
                    show(&written),
                    show(&found)
                );
            }
            for (digit, strokes) in row.digits.iter().zip(&written) {
                if strokes.len() > 1 && !found.contains(strokes) {
                    *split_digits.entry(*digit).or_default() += 1;
                }
            }
        }
    }
    println!(
        "{} rows: exact {exact} ({:.1}%), fewer digits than written {merged}, more or \
         regrouped {split}; digits split apart: {split_digits:?}",
        rows.len(),
        100.0 * exact as f64 / rows.len().max(1) as f64
    );
    Ok(())
}
