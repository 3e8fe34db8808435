//! Progress when stdout is not a terminal (CI logs, `| tee`): one plain line every few
//! seconds with the epoch, position, speed and latest metrics. On a terminal burn's TUI is
//! used instead.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::{MetricDefinition, MetricId};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};

pub struct LineProgress {
    epoch: usize,
    epochs: usize,
    split: String,
    total: usize,
    started: Instant,
    last_print: Instant,
    every: Duration,
    /// Burn does not report epoch changes to renderers; a new training split means one.
    seen_train_split: bool,
    names: HashMap<MetricId, String>,
    latest: BTreeMap<String, String>,
}

impl LineProgress {
    pub fn new() -> Self {
        Self {
            epoch: 1,
            epochs: 1,
            split: String::new(),
            total: 0,
            started: Instant::now(),
            last_print: Instant::now(),
            every: Duration::from_secs(10),
            seen_train_split: false,
            names: HashMap::new(),
            latest: BTreeMap::new(),
        }
    }

    fn record(&mut self, state: MetricState) {
        let entry = match state {
            MetricState::Generic(entry) | MetricState::Numeric(entry, _) => entry,
        };
        if let Some(name) = self.names.get(&entry.metric_id) {
            self.latest
                .insert(name.clone(), entry.serialized_entry.formatted.clone());
        }
    }

    fn line(&self, done: usize) -> String {
        let rate = done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        let metrics: Vec<String> = self
            .latest
            .iter()
            .map(|(name, value)| format!("{name}: {value}"))
            .collect();
        format!(
            "epoch {}/{} {} {done}/{} batches ({rate:.1}/s) {}",
            self.epoch,
            self.epochs,
            self.split,
            self.total,
            metrics.join(" | ")
        )
    }
}

impl MetricsRendererTraining for LineProgress {
    fn update_train(&mut self, state: MetricState) {
        self.record(state);
    }

    fn update_valid(&mut self, state: MetricState) {
        self.record(state);
    }
}

impl MetricsRendererEvaluation for LineProgress {
    fn update_test(&mut self, _name: EvaluationName, state: MetricState) {
        self.record(state);
    }
}

impl TrainingProgressLogger for LineProgress {
    fn start(
        &mut self,
        total_epochs: usize,
        starting_epoch: usize,
        _: Option<usize>,
        _: Option<&str>,
    ) {
        self.epochs = total_epochs;
        self.epoch = starting_epoch.max(1);
    }

    /// Not called by burn 0.22's supervised loop; `start_split` counts epochs instead.
    fn update_epoch(&mut self, _epoch: usize) {}

    fn start_split(&mut self, split: &str, total_items: usize) {
        if split == "train" {
            if self.seen_train_split {
                self.epoch += 1;
            }
            self.seen_train_split = true;
        }
        self.split = split.to_string();
        self.total = total_items;
        self.started = Instant::now();
        self.last_print = Instant::now();
        self.latest.clear();
    }

    fn update_split(&mut self, items_processed: usize) {
        if self.last_print.elapsed() >= self.every {
            self.last_print = Instant::now();
            println!("{}", self.line(items_processed));
        }
    }

    fn end_split(&mut self) {
        println!("{} (done)", self.line(self.total));
    }

    fn end(&mut self) {}

    /// Burn reports every iteration here; the periodic line already says where we are.
    fn log_event_training(&mut self, _event: String) {}
}

impl EvaluationProgressLogger for LineProgress {
    fn start_global_progress(&mut self, _total_tests: usize) {}
    fn start_test(&mut self, name: &str, total_items: usize) {
        self.start_split(name, total_items);
    }
    fn update_test_progress(&mut self, items_processed: usize) {
        self.update_split(items_processed);
    }
    fn end_test(&mut self) {}
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRenderer for LineProgress {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, definition: MetricDefinition) {
        self.names
            .insert(definition.metric_id, definition.name.to_string());
    }
}
