//! What the page says about a reading: pure, so the wording and thresholds are tested natively.

use digitseq_model::{MAX_TRAINED_LEN, MIN_TRAINED_LEN};

/// The network's sigmoid outputs after each position: `[position][digit]`.
pub type Probabilities = Vec<[f32; 10]>;

pub fn sigmoid(logit: f32) -> f32 {
    1.0 / (1.0 + (-logit).exp())
}

/// The verdict for one target digit.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Nothing on the pad.
    Empty,
    Verdict {
        contains: bool,
        /// Probability that the whole sequence contains the digit.
        probability: f32,
        /// Set when the length is outside what the model was trained on.
        note: Option<String>,
    },
}

/// The answer for `digit` after reading every position.
pub fn answer(probabilities: &[[f32; 10]], digit: usize) -> Answer {
    let Some(last) = probabilities.last() else {
        return Answer::Empty;
    };
    let probability = last[digit];
    Answer::Verdict {
        contains: probability >= 0.5,
        probability,
        note: length_note(probabilities.len()),
    }
}

/// A caution when the sequence is shorter or longer than the training sequences.
pub fn length_note(len: usize) -> Option<String> {
    let digits = |n: usize| {
        if n == 1 {
            "1 digit".to_string()
        } else {
            format!("{n} digits")
        }
    };
    if len == 0 {
        None
    } else if len < MIN_TRAINED_LEN {
        Some(format!(
            "Only {}: the model was trained on sequences of {MIN_TRAINED_LEN}–{MAX_TRAINED_LEN}, so treat this answer with care.",
            digits(len)
        ))
    } else if len > MAX_TRAINED_LEN {
        Some(format!(
            "{}: the model was trained on sequences of {MIN_TRAINED_LEN}–{MAX_TRAINED_LEN}, so treat this answer with care.",
            digits(len)
        ))
    } else {
        None
    }
}

/// Percentage for display: whole percents, but never a misleading "100%" or "0%".
pub fn percent(probability: f32) -> String {
    let p = probability * 100.0;
    if p > 99.5 && p < 100.0 {
        ">99%".to_string()
    } else if p < 0.5 && p > 0.0 {
        "<1%".to_string()
    } else {
        format!("{p:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probs(last: f32, len: usize) -> Probabilities {
        let mut out = vec![[0.1; 10]; len];
        if let Some(l) = out.last_mut() {
            l[4] = last;
        }
        out
    }

    #[test]
    fn empty_pad_has_no_verdict() {
        assert_eq!(answer(&[], 4), Answer::Empty);
    }

    #[test]
    fn verdict_uses_the_last_position_and_the_half_threshold() {
        assert_eq!(
            answer(&probs(0.93, 5), 4),
            Answer::Verdict {
                contains: true,
                probability: 0.93,
                note: None
            }
        );
        assert!(matches!(
            answer(&probs(0.49, 5), 4),
            Answer::Verdict {
                contains: false,
                ..
            }
        ));
        assert!(matches!(
            answer(&probs(0.93, 5), 3),
            Answer::Verdict {
                contains: false,
                ..
            }
        ));
    }

    #[test]
    fn lengths_outside_training_get_a_note_but_still_an_answer() {
        for len in [1, 2, 31, 40] {
            let Answer::Verdict {
                note: Some(note), ..
            } = answer(&probs(0.9, len), 4)
            else {
                panic!("length {len} should have a note");
            };
            assert!(note.contains("3–30"), "{note}");
        }
        assert!(length_note(1).unwrap().starts_with("Only 1 digit:"));
        for len in [3, 12, 30] {
            assert_eq!(length_note(len), None);
        }
    }

    #[test]
    fn percentages_round_but_do_not_overclaim() {
        assert_eq!(percent(0.5), "50%");
        assert_eq!(percent(0.9996), ">99%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.001), "<1%");
        assert_eq!(percent(0.0), "0%");
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-6);
    }
}
