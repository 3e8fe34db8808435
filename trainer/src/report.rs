//! What a run leaves behind besides weights: `metrics.json`, `summary.md`, and training
//! curves as PNG, read from the metric logs burn's Learner wrote into the run directory.

use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use crate::evaluate::TestReport;
use crate::metrics::DIGIT4_ACCURACY;
use crate::training::TrainConfig;

/// Per-batch values of one metric over all epochs of one split, in order, and where each
/// epoch ended.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Curve {
    pub values: Vec<f64>,
    pub epoch_ends: Vec<usize>,
}

impl Curve {
    /// Reads `<run>/<split>/epoch-N/<metric>.log` for N = 1, 2, …
    pub fn read(run_dir: &Path, split: &str, metric: &str) -> Curve {
        let mut curve = Curve::default();
        for epoch in 1.. {
            let file = run_dir
                .join(split)
                .join(format!("epoch-{epoch}"))
                // burn's file logger names the file after the metric, spaces as '_'.
                .join(format!("{}.log", metric.replace(' ', "_")));
            let Ok(text) = std::fs::read_to_string(&file) else {
                break;
            };
            curve.values.extend(
                text.lines()
                    .filter_map(|l| l.split(',').next()?.trim().parse::<f64>().ok()),
            );
            curve.epoch_ends.push(curve.values.len());
        }
        curve
    }

    /// Mean of each epoch's values.
    pub fn epoch_means(&self) -> Vec<f64> {
        let mut start = 0;
        self.epoch_ends
            .iter()
            .map(|&end| {
                let part = &self.values[start..end];
                start = end;
                part.iter().sum::<f64>() / part.len().max(1) as f64
            })
            .collect()
    }
}

#[derive(Debug, Serialize)]
pub struct RunMetrics<'a> {
    pub config: &'a TrainConfig,
    pub device: &'a str,
    pub train_seconds: f64,
    pub sequences_per_second: f64,
    pub test: &'a TestReport,
    pub train_accuracy: Curve,
    pub train_loss: Curve,
    pub valid_accuracy_per_epoch: Vec<f64>,
    pub valid_loss_per_epoch: Vec<f64>,
}

impl<'a> RunMetrics<'a> {
    pub fn collect(
        run_dir: &Path,
        config: &'a TrainConfig,
        device: &'a str,
        train_seconds: f64,
        test: &'a TestReport,
    ) -> Self {
        let train_accuracy = Curve::read(run_dir, "train", DIGIT4_ACCURACY);
        let seen = train_accuracy.values.len() * config.batch_size;
        Self {
            config,
            device,
            train_seconds,
            sequences_per_second: seen as f64 / train_seconds.max(1e-9),
            test,
            train_loss: Curve::read(run_dir, "train", "Loss"),
            valid_accuracy_per_epoch: Curve::read(run_dir, "valid", DIGIT4_ACCURACY).epoch_means(),
            valid_loss_per_epoch: Curve::read(run_dir, "valid", "Loss").epoch_means(),
            train_accuracy,
        }
    }

    /// Writes metrics.json, summary.md, accuracy.png and loss.png into `run_dir`.
    pub fn write(&self, run_dir: &Path) -> anyhow::Result<()> {
        std::fs::write(
            run_dir.join("metrics.json"),
            serde_json::to_string_pretty(self)?,
        )?;
        std::fs::write(run_dir.join("summary.md"), self.summary())?;
        // Under weak supervision the training curve is judged against the flipped labels
        // (a perfect model scores 1 − WSR there); validation is against the true ones.
        let train_label = if self.config.wsr > 0.0 {
            format!(
                "train, labels flipped at WSR {} (moving average)",
                self.config.wsr
            )
        } else {
            "train (moving average)".to_string()
        };
        plot(
            &run_dir.join("accuracy.png"),
            "Accuracy, digit 4 (%)",
            &train_label,
            &self.train_accuracy,
            &self.valid_accuracy_per_epoch,
        )?;
        plot(
            &run_dir.join("loss.png"),
            "Loss",
            &train_label,
            &self.train_loss,
            &self.valid_loss_per_epoch,
        )?;
        Ok(())
    }

    pub fn summary(&self) -> String {
        let t = self.test;
        let c = self.config;
        // The nine untrained answers of an --only-digit run would make the mean noise.
        let (macro_accuracy, macro_f1) = match c.only_digit {
            None => (
                format!("{:.2}%", 100.0 * t.macro_accuracy),
                format!("{:.4}", t.macro_f1),
            ),
            Some(d) => (format!("not trained (only digit {d})"), "–".to_string()),
        };
        let mut s = format!(
            "# Training run\n\n\
             - device: {}\n- epochs: {}, {} sequences each, batch {}, lr {}, seed {}\n\
             - weak supervision rate: {} (noise-corrected loss: {})\n\
             - augmentation: {}; started from: {}; answers trained: {}\n\
             - feature norm: {}; trained on: {}\n\
             - training digits: MNIST{}\n\
             - training time: {:.0} s ({:.0} sequences/s)\n\n\
             ## Fixed test set ({} sequences)\n\n\
             | question | accuracy | precision | recall | F1 |\n|---|---|---|---|---|\n\
             | contains a 4 | {:.2}% | {:.2}% | {:.2}% | {:.4} |\n\
             | macro, all ten digits | {} | | | {} |\n\n\
             ## Digit-4 accuracy by sequence length\n\n\
             {} fixed sequences of each length, from the MNIST test digits.\n\n\
             | length | sequences | accuracy |\n|---|---|---|\n",
            self.device,
            c.epochs,
            c.train_sequences,
            c.batch_size,
            c.learning_rate,
            c.seed,
            c.wsr,
            c.noise_correction,
            c.augment.map_or("none".to_string(), |a| format!("{a:?}")),
            c.init_from.as_deref().unwrap_or("random weights"),
            c.only_digit
                .map_or("all ten digits".to_string(), |d| format!("digit {d} only")),
            if c.model.feature_norm { "on" } else { "off" },
            if c.trains_every_step() {
                "the answer after every digit"
            } else {
                "the sequence's answer (last step)"
            },
            c.drawn_digits
                .as_deref()
                .map_or(String::new(), |path| format!(
                    " and the generated rows' in {path}"
                )),
            self.train_seconds,
            self.sequences_per_second,
            t.sequences,
            100.0 * t.digit4.accuracy,
            100.0 * t.digit4.precision,
            100.0 * t.digit4.recall,
            t.digit4.f1,
            macro_accuracy,
            macro_f1,
            crate::evaluate::PER_LENGTH,
        );
        for l in &t.by_length {
            s += &format!(
                "| {} | {} | {:.2}% |\n",
                l.length,
                l.sequences,
                100.0 * l.accuracy
            );
        }
        s += "\n## The running answer, after each digit\n\n\
              \"Has d appeared so far?\" after the first t digits of the fixed test set's \
              sequences (those at least t long).\n\n\
              | position | sequences | digit 4 | all ten digits |\n|---|---|---|---|\n";
        for p in &t.by_position {
            s += &format!(
                "| {} | {} | {:.2}% | {:.2}% |\n",
                p.position,
                p.sequences,
                100.0 * p.digit4_accuracy,
                100.0 * p.all_digits_accuracy
            );
        }
        s += "\n## Every digit\n\n| digit | accuracy | F1 | share of sequences containing it |\n|---|---|---|---|\n";
        for d in &t.per_digit {
            let trained = c.only_digit.is_none_or(|only| d.digit == only);
            let (accuracy, f1) = if trained {
                (
                    format!("{:.2}%", 100.0 * d.accuracy),
                    format!("{:.4}", d.f1),
                )
            } else {
                ("not trained".to_string(), "–".to_string())
            };
            s += &format!(
                "| {} | {accuracy} | {f1} | {:.1}% |\n",
                d.digit,
                100.0 * d.positive_rate
            );
        }
        s += "\nCurves: `accuracy.png`, `loss.png` (training per step, validation per epoch).\n";
        s
    }
}

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Training values per step (raw, light, and a moving average) and validation per epoch.
fn plot(
    path: &Path,
    title: &str,
    train_label: &str,
    train: &Curve,
    valid_per_epoch: &[f64],
) -> anyhow::Result<()> {
    register_font();
    let root = BitMapBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let steps = train.values.len().max(1);
    let all = train.values.iter().chain(valid_per_epoch);
    let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo > hi { (0.0, 1.0) } else { (lo, hi + 1e-9) };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0..steps, lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("training step (batch)")
        .label_style(("sans-serif", 14))
        .draw()?;
    chart.draw_series(LineSeries::new(
        train.values.iter().enumerate().map(|(i, &v)| (i, v)),
        RGBColor(160, 190, 230),
    ))?;
    let window = (steps / 50).max(1);
    let smooth = train
        .values
        .windows(window)
        .enumerate()
        .map(|(i, w)| (i + window / 2, w.iter().sum::<f64>() / window as f64));
    chart
        .draw_series(LineSeries::new(smooth, BLUE.stroke_width(2)))?
        .label(train_label)
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    let valid_points = train
        .epoch_ends
        .iter()
        .zip(valid_per_epoch)
        .map(|(&s, &v)| (s.min(steps), v));
    chart
        .draw_series(LineSeries::new(valid_points.clone(), RED.stroke_width(2)))?
        .label("validation, true labels (per epoch)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart.draw_series(valid_points.map(|p| Circle::new(p, 4, RED.filled())))?;
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::Tally;
    use digitseq_model::DigitSeqConfig;

    fn summary_of(config: &TrainConfig) -> String {
        let mut tally = Tally::new();
        // One sequence of length 3 with a 4 in it, answered right for every digit.
        let mut labels = vec![false; 10];
        labels[4] = true;
        let probs: Vec<f32> = labels.iter().map(|&l| if l { 0.9 } else { 0.1 }).collect();
        tally.add(3, &probs, &labels);
        let test = tally.report();
        RunMetrics {
            config,
            device: "test",
            train_seconds: 1.0,
            sequences_per_second: 1.0,
            test: &test,
            train_accuracy: Curve::default(),
            train_loss: Curve::default(),
            valid_accuracy_per_epoch: vec![],
            valid_loss_per_epoch: vec![],
        }
        .summary()
    }

    #[test]
    fn the_summary_names_the_training_digits() {
        let mnist = summary_of(&TrainConfig::new(DigitSeqConfig::new()));
        assert!(mnist.contains("- training digits: MNIST\n"), "{mnist}");
        let drawn = summary_of(
            &TrainConfig::new(DigitSeqConfig::new())
                .with_drawn_digits(Some("data/drawn-rows.json".to_string())),
        );
        assert!(
            drawn.contains(
                "- training digits: MNIST and the generated rows' in data/drawn-rows.json\n"
            ),
            "{drawn}"
        );
    }

    #[test]
    fn a_one_digit_run_reports_only_the_answer_it_trained() {
        let all = summary_of(&TrainConfig::new(DigitSeqConfig::new()));
        assert!(all.contains("| macro, all ten digits | 100.00% |"), "{all}");
        assert!(!all.contains("not trained"), "{all}");
        assert!(
            all.contains("- feature norm: on; trained on: the answer after every digit\n"),
            "{all}"
        );

        let one = summary_of(&TrainConfig::new(DigitSeqConfig::new()).with_only_digit(Some(4)));
        assert!(one.contains("| contains a 4 | 100.00% |"), "{one}");
        assert!(one.contains("not trained (only digit 4)"), "{one}");
        assert!(one.contains("| 4 | 100.00% |"), "{one}");
        assert_eq!(one.matches("| not trained | – |").count(), 9, "{one}");
    }
}
