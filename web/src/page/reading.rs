//! One reading of the pad: the digits on it, the engine for the wanted backend, and the move
//! to the CPU when WebGPU fails during it.

use digitseq_model::preprocess::digits_from_strokes;

use super::{App, Page};
use crate::browser::{self, now};
use crate::geometry;
use crate::inference::Backend;
use crate::render::Digits;
use crate::scheduler::Reader;
use crate::ui;

impl Reader for Page {
    fn is_drawing(&self) -> bool {
        self.app().pad.is_drawing()
    }

    /// Reads the pad on the wanted backend, falling back to the CPU if WebGPU fails.
    async fn read(&self) {
        let (digits, ready, wanted) = {
            let app = self.app();
            (app.digits(), app.model_ready, app.wanted)
        };
        if !ready {
            self.show(digits, None);
            return;
        }
        let mut engine = match self.backends.engine_for(wanted).await {
            Ok(engine) => engine,
            Err(e) if wanted == Backend::WebGpu => {
                self.webgpu_failed(&e, true);
                self.request_reading();
                return;
            }
            Err(e) => {
                ui::show_error(&format!("The CPU backend failed: {e}"));
                return;
            }
        };
        let images: Vec<&[f32]> = digits.images.iter().map(Vec::as_slice).collect();
        let started = now();
        let result = engine.read(&images).await;
        let ms = now() - started;
        let backend = engine.backend;
        // A lost device, an error no call returned, or answers unlike the CPU's: this
        // reading cannot be trusted.
        let result = match (backend, self.backends.gpu_fault()) {
            (Backend::WebGpu, Some(reason)) => Err(reason),
            (Backend::WebGpu, None) => match result {
                Ok(mut reading) => {
                    reading.probabilities = self.backends.gpu_answers(reading.probabilities);
                    self.backends
                        .spot_check(&images, &reading.probabilities)
                        .await
                        .map(|()| reading)
                }
                Err(e) => Err(format!("it failed while reading: {e}")),
            },
            (Backend::Cpu, _) => result.map_err(|e| e.to_string()),
        };
        match result {
            Ok(reading) => {
                self.backends.put_back(engine);
                {
                    let mut app = self.app_mut();
                    app.active = Some(backend);
                    app.stats.record(ms, backend, &reading.probabilities);
                }
                ui::set_backend(backend);
                ui::set_timing(ms, backend, reading.steps, reading.probabilities.len());
                self.show(digits, Some(reading.probabilities));
            }
            // A lost or broken GPU: keep the drawing, carry on on the CPU. A failed readback
            // is often the first sign of a lost device: let its handler speak first.
            Err(e) if backend == Backend::WebGpu => {
                browser::sleep(0.0).await;
                let reason = self.backends.gpu_fault().unwrap_or(e);
                self.webgpu_failed(&reason, true);
                self.request_reading();
            }
            Err(e) => ui::show_error(&format!("Inference failed on the CPU: {e}")),
        }
        self.publish();
    }
}

impl App {
    /// The digits on the pad now.
    fn digits(&self) -> Digits {
        match (&self.pad.sample, &self.samples) {
            (Some(row), Some(samples)) => Digits {
                images: row.indices.iter().map(|&i| samples.image(i)).collect(),
                bounds: self.pad.sample_bounds(row.indices.len()),
                labels: Some(row.labels.clone()),
                strokes: Vec::new(),
            },
            _ => {
                let digits = digits_from_strokes(&self.pad.strokes, &geometry::segment_options());
                Digits {
                    bounds: digits.iter().map(|d| d.bounds).collect(),
                    strokes: digits.iter().map(|d| d.strokes.clone()).collect(),
                    images: digits.into_iter().map(|d| d.image).collect(),
                    labels: None,
                }
            }
        }
    }
}
