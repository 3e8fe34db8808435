//! The page as a whole: loads the model, picks the backend, wires the controls, and keeps
//! the answer in step with the pad through one inference loop (never two readings at once).

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::Device;
use digitseq_model::preprocess::{Bounds, digits_from_strokes};
use digitseq_model::samples::Samples;
use digitseq_model::{IMAGE_PIXELS, IMAGE_SIDE};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{HtmlCanvasElement, HtmlSelectElement, KeyboardEvent};

use crate::answer::{Probabilities, answer};
use crate::assets::{self, ModelFiles};
use crate::geometry;
use crate::gpu::{Fault, Gpu};
use crate::inference::{Backend, Engine};
use crate::pad::{Mark, Pad, PadChange, SampleRow};
use crate::{api, ui};

/// While the pen moves, read at most this often (ms); a finished stroke is read at once.
const DRAWING_INTERVAL_MS: f64 = 100.0;
/// Sample sequences are this long, inclusive.
const SAMPLE_LENGTHS: (usize, usize) = (3, 12);
const DEFAULT_TARGET: usize = 4;
/// A model still loading after this long (ms) gets a message saying so.
const SLOW_LOAD_MS: f64 = 4000.0;
/// WebGPU is trusted once its answers to a real sequence are this close to the CPU's.
const GPU_CHECK_TOLERANCE: f32 = 1e-3;
/// Digits of samples.bin in that sequence.
const GPU_CHECK_DIGITS: usize = 10;

pub type Shared = Rc<RefCell<App>>;

enum GpuState {
    /// None open: not tried yet, or the last one failed (kept to open a replacement).
    Closed(Option<Rc<Gpu>>),
    Ready(Rc<Gpu>),
    /// This browser cannot run WebGPU at all.
    Unavailable(String),
}

/// What the page shows now: the digits read, what the network said about them.
#[derive(Default)]
struct Shown {
    images: Vec<Vec<f32>>,
    bounds: Vec<Bounds>,
    labels: Option<Vec<u8>>,
    probabilities: Option<Probabilities>,
}

pub struct App {
    pub pad: Rc<RefCell<Pad>>,
    samples: Option<Rc<Samples>>,
    files: Option<Rc<ModelFiles>>,
    /// At most one per backend; taken out while it reads.
    engines: Vec<Engine>,
    gpu: GpuState,
    /// `?gpuFault=corrupt`: alter WebGPU's answers (end-to-end tests of the check).
    corrupt_gpu_for_test: bool,
    /// Backend of the last reading, and the one asked for (they differ while switching).
    active: Option<Backend>,
    wanted: Backend,
    target: usize,
    shown: Shown,
    model_ready: bool,
    dirty: bool,
    running: bool,
    last_start: f64,
    /// Resolves the inference loop's pause between readings while the pen moves, so that
    /// lifting the pen is read at once rather than when a (possibly late) timer fires.
    wake: Option<js_sys::Function>,
    pub stats: api::Stats,
}

pub(crate) fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Waits `ms`.
async fn sleep(ms: f64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ =
                window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Waits `ms`, or less if `wake_loop` is called meanwhile.
async fn pause(app: &Shared, ms: f64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ =
                window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
        app.borrow_mut().wake = Some(resolve);
    });
    let _ = JsFuture::from(promise).await;
    app.borrow_mut().wake = None;
}

/// Ends the inference loop's pause, if it is in one.
fn wake_loop(app: &Shared) {
    let wake = app.borrow_mut().wake.take();
    if let Some(resolve) = wake {
        let _ = resolve.call0(&JsValue::NULL);
    }
}

fn query(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

fn browser_has_webgpu() -> bool {
    web_sys::window().is_some_and(|w| {
        js_sys::Reflect::get(&w.navigator(), &JsValue::from_str("gpu"))
            .is_ok_and(|gpu| !gpu.is_undefined() && !gpu.is_null())
    })
}

/// Starts the page: controls first (the pad works while the model loads), then the model.
pub async fn start() -> Result<(), JsValue> {
    let canvas: HtmlCanvasElement = ui::element("pad").ok_or("no #pad canvas")?.unchecked_into();
    let pad = Rc::new(RefCell::new(Pad::new(canvas)?));
    let forced = query("backend").as_deref().and_then(Backend::parse);
    let app: Shared = Rc::new(RefCell::new(App {
        pad: pad.clone(),
        samples: None,
        files: None,
        engines: Vec::new(),
        gpu: GpuState::Closed(None),
        corrupt_gpu_for_test: query("gpuFault").as_deref() == Some("corrupt"),
        active: None,
        wanted: forced.unwrap_or(Backend::WebGpu),
        target: DEFAULT_TARGET,
        shown: Shown::default(),
        model_ready: false,
        dirty: false,
        running: false,
        last_start: f64::NEG_INFINITY,
        wake: None,
        stats: api::Stats::default(),
    }));
    wire_controls(&app)?;
    api::expose(&app)?;
    ui::set_status("Loading the model…");
    ui::set_text("backend", "…");
    if !browser_has_webgpu() {
        ui::disable_webgpu_choice("This browser offers no WebGPU (navigator.gpu).");
    }

    // Samples are a convenience: they load beside the model, and without them the page
    // still works.
    let a = app.clone();
    spawn_local(async move {
        match assets::fetch_samples().await {
            Ok(samples) if !samples.is_empty() => {
                a.borrow_mut().samples = Some(Rc::new(samples));
                if let Some(button) = ui::element("sample") {
                    let _ = button.remove_attribute("disabled");
                }
            }
            Ok(_) => ui::set_notice(Some(
                "samples.bin holds no digits: the Sample button is off.",
            )),
            Err(e) => ui::set_notice(Some(&format!("{e} The Sample button is off."))),
        }
        ui::set_body_data("samples", Some("settled"));
    });
    // A slow server must not look like a dead page.
    let a = app.clone();
    spawn_local(async move {
        sleep(SLOW_LOAD_MS).await;
        let a = a.borrow();
        if !a.model_ready && a.files.is_none() && !ui::error_shown() {
            ui::set_status("Still loading the model: the server is slow to answer…");
        }
    });

    let files = match ModelFiles::fetch().await {
        Ok(files) => Rc::new(files),
        Err(e) => return fail(&app, &e),
    };
    app.borrow_mut().files = Some(files);

    // WebGPU when the browser has it, unless ?backend=cpu; CPU otherwise or on any failure.
    let first = match forced {
        Some(backend) => backend,
        None if browser_has_webgpu() => Backend::WebGpu,
        None => Backend::Cpu,
    };
    let engine = match engine_for(&app, first).await {
        Ok(engine) => engine,
        Err(e) if first == Backend::WebGpu => {
            webgpu_failed(&app, &e, forced == Some(Backend::WebGpu));
            match engine_for(&app, Backend::Cpu).await {
                Ok(engine) => engine,
                Err(e) => return fail(&app, &e),
            }
        }
        Err(e) => return fail(&app, &e),
    };
    let backend = engine.backend;
    {
        let mut a = app.borrow_mut();
        a.engines.push(engine);
        a.active = Some(backend);
        a.wanted = backend;
        a.model_ready = true;
    }
    ui::set_backend(backend);
    ui::set_body_data("ready", Some("true"));
    request_inference(&app);
    Ok(())
}

/// The model cannot be used: say why, keep the pad working (crops still show).
fn fail(app: &Shared, message: &str) -> Result<(), JsValue> {
    ui::show_error(message);
    ui::set_status("No model, so no answer (see above).");
    request_inference(app);
    Ok(())
}

/// Moves the page to the CPU, the drawing kept. A device that failed is closed, and choosing
/// WebGPU again opens a new one; a browser without WebGPU loses the choice.
fn webgpu_failed(app: &Shared, reason: &str, tell: bool) {
    log(&format!("WebGPU unusable, running on the CPU: {reason}"));
    let retryable = {
        let mut a = app.borrow_mut();
        a.engines.retain(|e| e.backend != Backend::WebGpu);
        a.wanted = Backend::Cpu;
        let failed = std::mem::replace(&mut a.gpu, GpuState::Closed(None));
        a.gpu = match failed {
            GpuState::Ready(gpu) => GpuState::Closed(Some(gpu)),
            other => other,
        };
        !matches!(a.gpu, GpuState::Unavailable(_))
    };
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

/// What the WebGPU device's handlers heard, if it is the one in use.
fn gpu_fault(app: &Shared) -> Option<String> {
    match &app.borrow().gpu {
        GpuState::Ready(gpu) => gpu.fault(),
        _ => None,
    }
}

/// Test hook: causes `fault` on the WebGPU device in use; false if there is none.
pub fn inject_gpu_fault(app: &Shared, fault: Fault) -> bool {
    let gpu = match &app.borrow().gpu {
        GpuState::Ready(gpu) => gpu.clone(),
        _ => return false,
    };
    gpu.inject(fault);
    request_inference(app);
    true
}

fn log(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

/// The engine for `backend`: the existing one, or the weights loaded onto a new device and
/// warmed up with one dummy reading (compiles shaders, fills allocators), so the first real
/// answer comes fast.
async fn engine_for(app: &Shared, backend: Backend) -> Result<Engine, String> {
    if let Some(engine) = take_engine(app, backend) {
        return Ok(engine);
    }
    let device = match backend {
        Backend::Cpu => Device::flex(),
        Backend::WebGpu => gpu_device(app).await?,
    };
    let mut engine = new_engine(app, device, backend).await?;
    if backend == Backend::WebGpu {
        check_against_cpu(app, &mut engine).await?;
    }
    Ok(engine)
}

fn take_engine(app: &Shared, backend: Backend) -> Option<Engine> {
    let mut a = app.borrow_mut();
    let at = a.engines.iter().position(|e| e.backend == backend)?;
    Some(a.engines.swap_remove(at))
}

async fn new_engine(app: &Shared, device: Device, backend: Backend) -> Result<Engine, String> {
    let files = app
        .borrow()
        .files
        .clone()
        .ok_or("the model is not loaded")?;
    let (net, _) = files.load(&device)?;
    let mut engine = Engine::new(net, device, backend);
    let blank = vec![0.0f32; IMAGE_PIXELS];
    engine
        .read(&[blank.as_slice()])
        .await
        .map_err(|e| format!("the warm-up reading failed: {e}"))?;
    engine.forget();
    Ok(engine)
}

/// WebGPU is trusted only once it answers a real sequence (shipped sample digits) as the
/// CPU does: a driver can compute wrong answers without any error. The CPU engine made for
/// the check stays, ready for a fallback.
async fn check_against_cpu(app: &Shared, gpu: &mut Engine) -> Result<(), String> {
    let images: Vec<Vec<f32>> = match app.borrow().samples.clone() {
        Some(samples) => (0..GPU_CHECK_DIGITS.min(samples.len()))
            .map(|i| samples.image(i * samples.len() / GPU_CHECK_DIGITS))
            .collect(),
        // Without samples (they failed to load), bars at different heights still exercise
        // every layer.
        None => (0..GPU_CHECK_DIGITS)
            .map(|d| {
                let mut image = vec![0.0f32; IMAGE_PIXELS];
                image[(4 + 2 * d) * IMAGE_SIDE + 4..(5 + 2 * d) * IMAGE_SIDE - 4].fill(1.0);
                image
            })
            .collect(),
    };
    let images: Vec<&[f32]> = images.iter().map(Vec::as_slice).collect();
    let mut cpu = match take_engine(app, Backend::Cpu) {
        Some(engine) => engine,
        None => new_engine(app, Device::flex(), Backend::Cpu).await?,
    };
    let expected = cpu.read(&images).await.map_err(|e| e.to_string());
    cpu.forget();
    app.borrow_mut().engines.push(cpu);
    let expected = expected?.probabilities;
    let mut got = gpu
        .read(&images)
        .await
        .map_err(|e| format!("its check reading failed: {e}"))?
        .probabilities;
    gpu.forget();
    if app.borrow().corrupt_gpu_for_test {
        for row in &mut got {
            row.iter_mut().for_each(|p| *p = 1.0 - *p);
        }
    }
    if let Some(reason) = gpu_fault(app) {
        return Err(reason);
    }
    let worst = expected
        .iter()
        .flatten()
        .zip(got.iter().flatten())
        .map(|(e, g)| (e - g).abs())
        .fold(0.0f32, f32::max);
    if expected.len() != got.len() || worst.is_nan() || worst > GPU_CHECK_TOLERANCE {
        return Err(format!(
            "its answers differ from the CPU's by up to {worst:.3} on a test sequence"
        ));
    }
    Ok(())
}

async fn gpu_device(app: &Shared) -> Result<Device, String> {
    let previous = match &app.borrow().gpu {
        GpuState::Ready(gpu) => return Ok(gpu.device.clone()),
        GpuState::Unavailable(reason) => return Err(reason.clone()),
        GpuState::Closed(previous) => previous.clone(),
    };
    if !browser_has_webgpu() {
        return Err("this browser offers no WebGPU".into());
    }
    let opened = Gpu::open(previous.as_deref()).await.map_err(|e| {
        log(&format!("WebGPU initialisation failed: {e}"));
        // wgpu's own words are long and technical; the console has them in full.
        if e.to_lowercase().contains("adapter") {
            "the browser offers no GPU adapter".to_string()
        } else {
            e.chars().take(160).collect()
        }
    });
    match opened {
        Ok(gpu) => {
            let device = gpu.device.clone();
            app.borrow_mut().gpu = GpuState::Ready(Rc::new(gpu));
            Ok(device)
        }
        // The first device could not be had: this browser cannot run WebGPU.
        Err(reason) if previous.is_none() => {
            app.borrow_mut().gpu = GpuState::Unavailable(reason.clone());
            Err(reason)
        }
        Err(reason) => Err(reason),
    }
}

/// Asks for a reading of the pad as it is now; readings never overlap, and changes made
/// during one are read right after it.
pub fn request_inference(app: &Shared) {
    let start = {
        let mut a = app.borrow_mut();
        a.dirty = true;
        !std::mem::replace(&mut a.running, true)
    };
    if start {
        ui::set_body_data("busy", Some("true"));
        spawn_local(inference_loop(app.clone()));
    }
}

/// The digits on the pad now: segmented strokes, or the sample's MNIST images as they are.
struct Snapshot {
    images: Vec<Vec<f32>>,
    bounds: Vec<Bounds>,
    labels: Option<Vec<u8>>,
}

impl App {
    pub fn target_digit(&self) -> usize {
        self.target
    }

    pub fn is_model_ready(&self) -> bool {
        self.model_ready
    }

    fn snapshot(&self) -> Snapshot {
        let pad = self.pad.borrow();
        match (&pad.sample, &self.samples) {
            (Some(row), Some(samples)) => Snapshot {
                images: row.indices.iter().map(|&i| samples.image(i)).collect(),
                bounds: pad.sample_bounds(row.indices.len()),
                labels: Some(row.labels.clone()),
            },
            _ => {
                let digits = digits_from_strokes(&pad.strokes, &geometry::segment_options());
                Snapshot {
                    bounds: digits.iter().map(|d| d.bounds).collect(),
                    images: digits.into_iter().map(|d| d.image).collect(),
                    labels: None,
                }
            }
        }
    }
}

async fn inference_loop(app: Shared) {
    loop {
        {
            let mut a = app.borrow_mut();
            if !a.dirty {
                a.running = false;
                break;
            }
        }
        // While a stroke is drawn, read at most every DRAWING_INTERVAL_MS; lifting the pen
        // ends the pause (`wake_loop`), so a finished stroke is read at once.
        loop {
            let wait = {
                let a = app.borrow();
                if a.pad.borrow().is_drawing() {
                    a.last_start + DRAWING_INTERVAL_MS - now()
                } else {
                    0.0
                }
            };
            if wait <= 0.0 {
                break;
            }
            pause(&app, wait).await;
        }
        let (snapshot, ready, wanted) = {
            let mut a = app.borrow_mut();
            a.dirty = false;
            a.last_start = now();
            (a.snapshot(), a.model_ready, a.wanted)
        };
        if !ready {
            show(&app, snapshot, None);
            continue;
        }

        let mut engine = match engine_for(&app, wanted).await {
            Ok(engine) => engine,
            Err(e) if wanted == Backend::WebGpu => {
                webgpu_failed(&app, &e, true);
                app.borrow_mut().dirty = true;
                continue;
            }
            Err(e) => {
                ui::show_error(&format!("The CPU backend failed: {e}"));
                continue;
            }
        };
        let images: Vec<&[f32]> = snapshot.images.iter().map(Vec::as_slice).collect();
        let started = now();
        let result = engine.read(&images).await;
        let ms = now() - started;
        let backend = engine.backend;
        // A lost device or an error no call returned: this reading cannot be trusted.
        let result = match gpu_fault(&app) {
            Some(reason) if backend == Backend::WebGpu => Err(reason),
            _ => result.map_err(|e| e.to_string()),
        };
        match result {
            Ok(reading) => {
                {
                    let mut a = app.borrow_mut();
                    a.engines.push(engine);
                    a.active = Some(backend);
                    a.stats.record(ms, backend, &reading.probabilities);
                }
                ui::set_backend(backend);
                ui::set_timing(ms, backend, reading.steps, reading.probabilities.len());
                show(&app, snapshot, Some(reading.probabilities));
            }
            // A lost or broken GPU: keep the drawing, carry on on the CPU. A failed readback
            // is often the first sign of a lost device: let its handler speak first.
            Err(e) if backend == Backend::WebGpu => {
                pause(&app, 0.0).await;
                let reason = gpu_fault(&app).unwrap_or(format!("it failed while reading: {e}"));
                webgpu_failed(&app, &reason, true);
                app.borrow_mut().dirty = true;
            }
            Err(e) => ui::show_error(&format!("Inference failed on the CPU: {e}")),
        }
        api::publish(&app);
    }
    ui::set_body_data("busy", None);
}

fn show(app: &Shared, snapshot: Snapshot, probabilities: Option<Probabilities>) {
    app.borrow_mut().shown = Shown {
        images: snapshot.images,
        bounds: snapshot.bounds,
        labels: snapshot.labels,
        probabilities,
    };
    render(app);
}

/// Draws answer, crops and pad marks from what was last read, for the chosen digit.
fn render(app: &Shared) {
    let a = app.borrow();
    let shown = &a.shown;
    ui::render_crops(
        &shown.images,
        shown.probabilities.as_deref(),
        a.target,
        shown.labels.as_deref(),
    );
    if let Some(probabilities) = &shown.probabilities {
        ui::render_answer(&answer(probabilities, a.target), a.target);
    }
    // The first position where the digit counts as present is the one that made it "yes".
    let first_yes = shown
        .probabilities
        .as_ref()
        .and_then(|p| p.iter().position(|p| p[a.target] >= 0.5));
    let mut pad = a.pad.borrow_mut();
    let marks = if pad.is_drawing() {
        Vec::new()
    } else {
        shown
            .bounds
            .iter()
            .enumerate()
            .map(|(i, &bounds)| Mark {
                bounds,
                highlight: Some(i) == first_yes,
            })
            .collect()
    };
    pad.set_marks(marks);
    ui::set_hint_visible(pad.is_empty());
}

/// What every change of the pad other than showing a sample does.
fn pad_changed(app: &Shared) {
    ui::set_body_data("sampleIndices", None);
    ui::set_sample_caption(None);
    let empty = app.borrow().pad.borrow().is_empty();
    ui::set_hint_visible(empty);
    request_inference(app);
}

pub fn clear(app: &Shared) {
    app.borrow().pad.borrow_mut().clear();
    pad_changed(app);
}

pub fn undo(app: &Shared) {
    let undone = app.borrow().pad.borrow_mut().undo();
    if undone {
        pad_changed(app);
    }
}

pub fn set_strokes(app: &Shared, strokes: Vec<digitseq_model::preprocess::Stroke>) {
    app.borrow().pad.borrow_mut().set_strokes(strokes);
    pad_changed(app);
}

/// Shows the given samples.bin digits on the pad; false if there are no such samples.
pub fn show_samples(app: &Shared, indices: Vec<usize>) -> bool {
    let Some(samples) = app.borrow().samples.clone() else {
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
    app.borrow().pad.borrow_mut().show_sample(SampleRow {
        indices: indices.clone(),
        labels: labels.clone(),
        pixels,
    });
    let list: Vec<String> = indices.iter().map(usize::to_string).collect();
    ui::set_body_data("sampleIndices", Some(&list.join(",")));
    ui::set_sample_caption(Some(&labels));
    ui::set_hint_visible(false);
    request_inference(app);
    true
}

fn random_sample(app: &Shared) {
    let Some(count) = app.borrow().samples.as_ref().map(|s| s.len()) else {
        return;
    };
    let random = |n: usize| ((js_sys::Math::random() * n as f64) as usize).min(n - 1);
    let (lo, hi) = SAMPLE_LENGTHS;
    let length = lo + random(hi - lo + 1);
    let indices = (0..length).map(|_| random(count)).collect();
    show_samples(app, indices);
}

pub fn set_target(app: &Shared, digit: usize) {
    app.borrow_mut().target = digit.min(9);
    if let Some(select) = ui::element("target-digit") {
        select
            .unchecked_into::<HtmlSelectElement>()
            .set_value(&digit.min(9).to_string());
    }
    render(app);
    api::publish(app);
}

/// Switches backend by hand; the next reading runs there (or falls back, saying why).
pub fn set_backend(app: &Shared, backend: Backend) {
    {
        let mut a = app.borrow_mut();
        if let (Backend::WebGpu, GpuState::Unavailable(reason)) = (backend, &a.gpu) {
            let reason = reason.clone();
            drop(a);
            ui::set_notice(Some(&format!("WebGPU is not usable here ({reason}).")));
            if let Some(active) = app.borrow().active {
                ui::set_backend(active);
            }
            return;
        }
        a.wanted = backend;
    }
    ui::set_notice(None);
    if app.borrow().model_ready {
        ui::set_text("timing", &format!("switching to {backend}…"));
        request_inference(app);
    }
}

fn on<E: JsCast + 'static>(
    target: &web_sys::EventTarget,
    name: &str,
    handler: impl Fn(E) + 'static,
) -> Result<(), JsValue> {
    let closure = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
        handler(event.unchecked_into::<E>());
    });
    target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref())?;
    closure.forget(); // lives as long as the page
    Ok(())
}

fn wire_controls(app: &Shared) -> Result<(), JsValue> {
    let pad = app.borrow().pad.clone();
    let on_change = {
        let app = app.clone();
        Rc::new(move |change: PadChange| match change {
            PadChange::Drawing | PadChange::SampleDropped => pad_changed(&app),
            PadChange::StrokeEnded => {
                // Read now, not after the drawing throttle.
                app.borrow_mut().last_start = f64::NEG_INFINITY;
                pad_changed(&app);
                wake_loop(&app);
            }
        })
    };
    crate::pad::attach(&pad, on_change)?;

    let button = |id: &str, action: fn(&Shared)| -> Result<(), JsValue> {
        let el = ui::element(id).ok_or_else(|| format!("no #{id}"))?;
        let app = app.clone();
        on(&el, "click", move |_: web_sys::Event| action(&app))
    };
    button("clear", clear)?;
    button("undo", undo)?;
    button("sample", random_sample)?;

    if let Some(select) = ui::element("target-digit") {
        let app = app.clone();
        let select2: HtmlSelectElement = select.clone().unchecked_into();
        select2.set_value(&DEFAULT_TARGET.to_string());
        on(&select, "change", move |_: web_sys::Event| {
            if let Ok(digit) = select2.value().parse() {
                set_target(&app, digit);
            }
        })?;
    }
    if let Some(select) = ui::element("backend-choice") {
        let app = app.clone();
        let select2: HtmlSelectElement = select.clone().unchecked_into();
        on(&select, "change", move |_: web_sys::Event| {
            if let Some(backend) = Backend::parse(&select2.value()) {
                set_backend(&app, backend);
            }
        })?;
    }

    // Ctrl/Cmd+Z undoes, Escape or Delete clears (not while a form control has the keys).
    let window = web_sys::window().ok_or("no window")?;
    let app = app.clone();
    on(&window, "keydown", move |event: KeyboardEvent| {
        let in_control = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
        if in_control {
            return;
        }
        let key = event.key();
        if (event.ctrl_key() || event.meta_key())
            && !event.shift_key()
            && key.eq_ignore_ascii_case("z")
        {
            event.prevent_default();
            undo(&app);
        } else if key == "Escape" || key == "Delete" {
            event.prevent_default();
            clear(&app);
        }
    })?;
    Ok(())
}
