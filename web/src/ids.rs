//! The page's element ids (index.html) and `document.body` data keys, each written once. The
//! end-to-end tests read them too, so they stay as they are.

pub const PAD: &str = "pad";
pub const PAD_HINT: &str = "pad-hint";
pub const UNDO: &str = "undo";
pub const CLEAR: &str = "clear";
pub const SAMPLE: &str = "sample";
pub const TARGET_DIGIT: &str = "target-digit";
pub const BACKEND_CHOICE: &str = "backend-choice";
pub const BACKEND: &str = "backend";
pub const TIMING: &str = "timing";
pub const ANSWER: &str = "answer";
pub const NOTE: &str = "note";
pub const ERROR: &str = "error";
pub const NOTICE: &str = "notice";
pub const CROPS: &str = "crops";
pub const SAMPLE_LABELS: &str = "sample-labels";

/// Keys of `document.body.dataset`: what the page says about itself.
pub mod data {
    /// The model is loaded: readings give answers.
    pub const READY: &str = "ready";
    /// samples.bin has loaded or failed to ("settled").
    pub const SAMPLES: &str = "samples";
    /// A reading is running or due.
    pub const BUSY: &str = "busy";
    /// The samples.bin indices on the pad, comma-separated.
    pub const SAMPLE_INDICES: &str = "sampleIndices";
    /// `#error` shows a message.
    pub const ERROR: &str = "error";
    /// A Rust panic ended the module.
    pub const CRASHED: &str = "crashed";
}
