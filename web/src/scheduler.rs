//! When the pad is read: never two readings at once, a change made during one read right
//! after it, and while the pen moves at most every `DRAWING_INTERVAL_MS`; a finished stroke
//! is read at once. What a reading does is the `Reader`'s business.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;

use crate::browser::{self, now};
use crate::ids::data;
use crate::ui;

/// While the pen moves, read at most this often (ms).
const DRAWING_INTERVAL_MS: f64 = 100.0;

pub trait Reader: Clone + 'static {
    /// Whether the pen is down (readings are then throttled).
    fn is_drawing(&self) -> bool;
    /// Reads the pad as it is now and shows the answer.
    fn read(&self) -> impl Future<Output = ()>;
}

/// A handle; its state has its own cell because the reading loop holds it across awaits.
#[derive(Clone)]
pub struct Scheduler(Rc<RefCell<State>>);

struct State {
    /// The pad changed since the last reading began.
    dirty: bool,
    /// The reading loop is alive (reading, or pausing between readings).
    running: bool,
    last_start: f64,
    /// Ends the loop's pause between readings while the pen moves, so that lifting the pen
    /// is read at once rather than when a (possibly late) timer fires.
    wake: Option<js_sys::Function>,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler(Rc::new(RefCell::new(State {
            dirty: false,
            running: false,
            last_start: f64::NEG_INFINITY,
            wake: None,
        })))
    }
}

impl Scheduler {
    /// Asks for a reading of the pad as it is now (the loop starts if it is not running).
    pub fn request(&self, reader: &impl Reader) {
        let start = {
            let mut state = self.0.borrow_mut();
            state.dirty = true;
            !std::mem::replace(&mut state.running, true)
        };
        if start {
            ui::set_body_data(data::BUSY, Some("true"));
            spawn_local(self.clone().run(reader.clone()));
        }
    }

    /// As `request`, skipping the drawing throttle: a stroke has ended.
    pub fn request_now(&self, reader: &impl Reader) {
        self.0.borrow_mut().last_start = f64::NEG_INFINITY;
        self.request(reader);
        let wake = self.0.borrow_mut().wake.take();
        if let Some(resolve) = wake {
            let _ = resolve.call0(&JsValue::NULL);
        }
    }

    async fn run(self, reader: impl Reader) {
        loop {
            {
                let mut state = self.0.borrow_mut();
                if !state.dirty {
                    state.running = false;
                    break;
                }
            }
            loop {
                let wait = if reader.is_drawing() {
                    self.0.borrow().last_start + DRAWING_INTERVAL_MS - now()
                } else {
                    0.0
                };
                if wait <= 0.0 {
                    break;
                }
                browser::timeout(wait, |resolve| self.0.borrow_mut().wake = Some(resolve)).await;
                self.0.borrow_mut().wake = None;
            }
            {
                let mut state = self.0.borrow_mut();
                state.dirty = false;
                state.last_start = now();
            }
            reader.read().await;
        }
        ui::set_body_data(data::BUSY, None);
    }
}
