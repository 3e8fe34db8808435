//! burn's training metrics under names that say what they measure: its "Accuracy" here is
//! digit 4's alone, and its Hamming score the accuracy over all ten digits.

use burn::tensor::TensorReadError;
use burn::train::metric::{
    Metric, MetricAttributes, MetricMetadata, MetricName, Numeric, NumericEntry, SerializedEntry,
};

/// Names of the logged metrics (also their log files' names, which the reports read).
pub const DIGIT4_ACCURACY: &str = "Accuracy of digit 4";
pub const ALL_DIGITS_ACCURACY: &str = "Accuracy of all ten digits";

/// `metric` logged and shown as `name`.
#[derive(Clone)]
pub struct Named<M> {
    name: MetricName,
    metric: M,
}

impl<M> Named<M> {
    pub fn new(name: &str, metric: M) -> Self {
        Self {
            name: MetricName::new(name.to_string()),
            metric,
        }
    }
}

impl<M: Metric> Metric for Named<M> {
    type Input = M::Input;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn description(&self) -> Option<String> {
        self.metric.description()
    }

    fn attributes(&self) -> MetricAttributes {
        self.metric.attributes()
    }

    fn update(
        &mut self,
        item: &Self::Input,
        metadata: &MetricMetadata,
    ) -> Result<SerializedEntry, TensorReadError> {
        self.metric.update(item, metadata)
    }

    fn compute(&mut self) -> Result<SerializedEntry, TensorReadError> {
        self.metric.compute()
    }

    fn clear(&mut self) {
        self.metric.clear()
    }
}

impl<M: Numeric> Numeric for Named<M> {
    fn value(&self) -> Option<NumericEntry> {
        self.metric.value()
    }

    fn running_value(&self) -> Option<NumericEntry> {
        self.metric.running_value()
    }

    fn final_value(&self) -> NumericEntry {
        self.metric.final_value()
    }
}
