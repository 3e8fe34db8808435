//! One Adam step of one parameter tensor whose gradient is first clipped to a norm: burn's
//! `GradientClipping::Norm` followed by burn's `Adam`, the same arithmetic, as one operation
//! (on the GPU one launch where burn's ops launch five or six per parameter).

/// The constants of one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamStep {
    pub learning_rate: f32,
    pub beta_1: f32,
    pub beta_2: f32,
    pub epsilon: f32,
    /// The gradient is scaled down to this norm when above it.
    pub max_norm: f32,
    /// Steps taken, this one included (1 on the first).
    pub time: usize,
}

impl AdamStep {
    /// Bias corrections as burn folds them: (√(1 − β₂ᵗ) / (1 − β₁ᵗ), ε·√(1 − β₂ᵗ)); the update
    /// is `m₁·first / (√m₂ + second)`.
    pub fn corrections(&self) -> (f32, f32) {
        let time = self.time as i32;
        let second = (1.0 - self.beta_2.powi(time)).sqrt();
        (
            second / (1.0 - self.beta_1.powi(time)),
            self.epsilon * second,
        )
    }
}
