//! The page's state and its one way of changing: `Page::dispatch(Action)`. The controls, the
//! pad's events, the JS API and start-up all send actions; readings are timed by the
//! `Scheduler`, run on engines from `Backends`, and drawn by `render`.

use std::cell::{Ref, RefCell, RefMut};
use std::rc::Rc;

use digitseq_model::IMAGE_PIXELS;
use digitseq_model::preprocess::Stroke;
use digitseq_model::samples::Samples;
use web_sys::PointerEvent;

use crate::answer::Probabilities;
use crate::backends::Backends;
use crate::browser;
use crate::gpu::Fault;
use crate::ids::{self, data};
use crate::inference::{Backend, Engine};
use crate::pad::{Pad, PadChange, Pointer, SampleRow};
use crate::render::{self, Digits, Shown};
use crate::scheduler::Scheduler;
use crate::ui;

mod reading;

const DEFAULT_TARGET: usize = 4;
/// Sample sequences are this long, inclusive.
const SAMPLE_LENGTHS: (usize, usize) = (3, 12);

/// Everything that changes the page.
pub enum Action {
    /// A pointer event on the pad.
    Pointer(Pointer, PointerEvent),
    /// The pad's size or the screen's pixel density changed.
    ResizePad,
    Clear,
    /// Removes the last stroke or the sample; not applied to an empty pad.
    Undo,
    /// Replaces what the pad holds by these strokes, in pad units.
    SetStrokes(Vec<Stroke>),
    /// Puts these samples.bin digits on the pad; not applied without samples, to an empty
    /// list, or with an index out of range.
    ShowSamples(Vec<usize>),
    /// A row of random samples (the Sample button).
    RandomSample,
    /// The digit asked about (9 for anything above).
    SetTarget(usize),
    /// Read on this backend from now on, or say why it cannot be had.
    SetBackend(Backend),
    /// Test hook: a fault on the WebGPU device; not applied without one in use.
    InjectGpuFault(Fault),
    SamplesLoaded(Samples),
    /// The model is loaded on its first backend.
    ModelLoaded(Box<Engine>),
    /// The model cannot be used: why.
    ModelFailed(String),
    /// WebGPU cannot be used: the page moves to the CPU, telling the user if `tell`.
    WebGpuFailed {
        reason: String,
        tell: bool,
    },
}

/// What the last reading gave.
#[derive(Clone, Default)]
pub struct Stats {
    pub last_ms: f64,
    pub inferences: u32,
    pub backend: Option<Backend>,
    pub probabilities: Probabilities,
}

impl Stats {
    fn record(&mut self, ms: f64, backend: Backend, probabilities: &[[f32; 10]]) {
        self.last_ms = ms;
        self.inferences += 1;
        self.backend = Some(backend);
        self.probabilities = probabilities.to_vec();
    }
}

/// The page's state as the JS API shows it, sent after every reading and change of target.
pub struct Published {
    pub ready: bool,
    pub target: usize,
    pub stats: Stats,
    /// The pad's strokes of each digit shown, left to right.
    pub groups: Vec<Vec<usize>>,
}

/// A handle on the page; clones share it.
#[derive(Clone)]
pub struct Page {
    app: Rc<RefCell<App>>,
    backends: Backends,
    readings: Scheduler,
    on_publish: fn(&Published),
}

struct App {
    pad: Pad,
    samples: Option<Rc<Samples>>,
    /// Backend of the last reading, and the one asked for (they differ while switching).
    active: Option<Backend>,
    wanted: Backend,
    target: usize,
    shown: Shown,
    model_ready: bool,
    stats: Stats,
}

impl Page {
    /// A page reading on `wanted` once the model has loaded; `on_publish` hears its state.
    pub fn new(pad: Pad, backends: Backends, wanted: Backend, on_publish: fn(&Published)) -> Self {
        ui::set_target_choice(DEFAULT_TARGET);
        let app = App {
            pad,
            samples: None,
            active: None,
            wanted,
            target: DEFAULT_TARGET,
            shown: Shown::default(),
            model_ready: false,
            stats: Stats::default(),
        };
        Page {
            app: Rc::new(RefCell::new(app)),
            backends,
            readings: Scheduler::default(),
            on_publish,
        }
    }

    fn app(&self) -> Ref<'_, App> {
        self.app.borrow()
    }

    fn app_mut(&self) -> RefMut<'_, App> {
        self.app.borrow_mut()
    }

    /// Applies `action`; false if it was not applied (see `Action` for when).
    pub fn dispatch(&self, action: Action) -> bool {
        match action {
            Action::Pointer(pointer, event) => {
                let change = self.app_mut().pad.handle(pointer, &event);
                match change {
                    Some(PadChange::StrokeEnded) => self.pad_changed(true),
                    Some(PadChange::Drawing | PadChange::SampleDropped) => self.pad_changed(false),
                    None => return false,
                }
            }
            Action::ResizePad => self.app_mut().pad.resize(),
            Action::Clear => {
                self.app_mut().pad.clear();
                self.pad_changed(false);
            }
            Action::Undo => {
                let undone = self.app_mut().pad.undo();
                if !undone {
                    return false;
                }
                self.pad_changed(false);
            }
            Action::SetStrokes(strokes) => {
                self.app_mut().pad.set_strokes(strokes);
                self.pad_changed(false);
            }
            Action::ShowSamples(indices) => return self.show_samples(indices),
            Action::RandomSample => return self.random_sample(),
            Action::SetTarget(digit) => self.set_target(digit),
            Action::SetBackend(backend) => self.set_backend(backend),
            Action::InjectGpuFault(fault) => {
                if !self.backends.inject_gpu_fault(fault) {
                    return false;
                }
                self.request_reading();
            }
            Action::SamplesLoaded(samples) => {
                self.backends.check_with(&samples);
                self.app_mut().samples = Some(Rc::new(samples));
                if let Some(button) = ui::element(ids::SAMPLE) {
                    let _ = button.remove_attribute("disabled");
                }
            }
            Action::ModelLoaded(engine) => {
                let backend = engine.backend;
                self.backends.put_back(*engine);
                {
                    let mut app = self.app_mut();
                    app.active = Some(backend);
                    app.wanted = backend;
                    app.model_ready = true;
                }
                ui::set_backend(backend);
                ui::set_body_data(data::READY, Some("true"));
                self.request_reading();
            }
            // The pad keeps working: crops still show.
            Action::ModelFailed(message) => {
                ui::show_error(&message);
                ui::set_status("No model, so no answer (see above).");
                self.request_reading();
            }
            Action::WebGpuFailed { reason, tell } => self.webgpu_failed(&reason, tell),
        }
        true
    }

    fn request_reading(&self) {
        self.readings.request(self);
    }

    /// What every change of the pad other than showing a sample does; a finished stroke
    /// (`now`) is read without waiting for the drawing throttle.
    fn pad_changed(&self, now: bool) {
        ui::set_body_data(data::SAMPLE_INDICES, None);
        ui::set_sample_caption(None);
        let empty = self.app().pad.is_empty();
        ui::set_hint_visible(empty);
        if now {
            self.readings.request_now(self);
        } else {
            self.request_reading();
        }
    }

    fn show_samples(&self, indices: Vec<usize>) -> bool {
        let Some(samples) = self.app().samples.clone() else {
            return false;
        };
        if indices.is_empty() || indices.iter().any(|&i| i >= samples.len()) {
            return false;
        }
        let labels: Vec<u8> = indices.iter().map(|&i| samples.labels[i]).collect();
        let pixels = indices
            .iter()
            .map(|&i| samples.pixels[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS].to_vec())
            .collect();
        let list: Vec<String> = indices.iter().map(usize::to_string).collect();
        self.app_mut().pad.show_sample(SampleRow {
            indices,
            labels: labels.clone(),
            pixels,
        });
        ui::set_body_data(data::SAMPLE_INDICES, Some(&list.join(",")));
        ui::set_sample_caption(Some(&labels));
        ui::set_hint_visible(false);
        self.request_reading();
        true
    }

    fn random_sample(&self) -> bool {
        let Some(count) = self.app().samples.as_ref().map(|s| s.len()) else {
            return false;
        };
        let random = |n: usize| ((js_sys::Math::random() * n as f64) as usize).min(n - 1);
        let (lo, hi) = SAMPLE_LENGTHS;
        let length = lo + random(hi - lo + 1);
        self.show_samples((0..length).map(|_| random(count)).collect())
    }

    fn set_target(&self, digit: usize) {
        let digit = digit.min(9);
        self.app_mut().target = digit;
        ui::set_target_choice(digit);
        self.render();
        self.publish();
    }

    fn set_backend(&self, backend: Backend) {
        if backend == Backend::WebGpu
            && let Some(reason) = self.backends.webgpu_unavailable()
        {
            ui::set_notice(Some(&format!("WebGPU is not usable here ({reason}).")));
            let active = self.app().active;
            if let Some(active) = active {
                ui::set_backend(active);
            }
            return;
        }
        self.app_mut().wanted = backend;
        ui::set_notice(None);
        let ready = self.app().model_ready;
        if ready {
            ui::set_text(ids::TIMING, &format!("switching to {backend}…"));
            self.request_reading();
        }
    }

    /// Moves the page to the CPU, the drawing kept. A device that failed is closed, and
    /// choosing WebGPU again opens a new one; a browser without WebGPU loses the choice.
    fn webgpu_failed(&self, reason: &str, tell: bool) {
        browser::warn(&format!("WebGPU unusable, running on the CPU: {reason}"));
        let retryable = self.backends.close_webgpu();
        self.app_mut().wanted = Backend::Cpu;
        if !retryable {
            ui::disable_webgpu_choice(reason);
        }
        if tell {
            // The first line is for people; the console has the driver's whole story.
            let reason: String = reason
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(160)
                .collect();
            let retry = if retryable {
                " Choose WebGPU again to retry."
            } else {
                ""
            };
            ui::set_notice(Some(&format!(
                "WebGPU is not usable here ({reason}); running on the CPU.{retry}"
            )));
        }
    }

    fn show(&self, digits: Digits, probabilities: Option<Probabilities>) {
        self.app_mut().shown = Shown {
            digits,
            probabilities,
        };
        self.render();
    }

    fn render(&self) {
        let mut app = self.app_mut();
        let app = &mut *app;
        render::render(&app.shown, app.target, &mut app.pad);
    }

    fn publish(&self) {
        let published = {
            let app = self.app();
            Published {
                ready: app.model_ready,
                target: app.target,
                stats: app.stats.clone(),
                groups: app.shown.digits.strokes.clone(),
            }
        };
        (self.on_publish)(&published);
    }
}
