//! Fetching the weights and the sample digits at run time, so a retrained model needs no
//! rebuild of the page, only a reload.

use burn::prelude::Device;
use digitseq_model::DigitSeqNet;
use digitseq_model::samples::{SAMPLES_FILE, Samples};
use digitseq_model::weights::{self, MANIFEST_FILE, Manifest};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCache, RequestInit, Response};

/// How to get the files there, for the messages.
const HOW_TO_EXPORT: &str = "Train and export the model with `cargo run --release -p trainer` \
     (it writes www/model.json and the weights it names), then rebuild or reload the page.";

/// The weight files, fetched once and kept so the network can be loaded onto a second
/// device (switching between WebGPU and CPU) without fetching again.
pub struct ModelFiles {
    pub manifest_json: String,
    pub weights: Vec<u8>,
}

impl ModelFiles {
    pub async fn fetch() -> Result<Self, String> {
        let manifest_json = fetch_text(MANIFEST_FILE)
            .await
            .map_err(|e| format!("{e} {HOW_TO_EXPORT}"))?;
        // Check the manifest before fetching the weights it names: a clearer message for an
        // old or broken export.
        let manifest =
            Manifest::parse(&manifest_json).map_err(|e| format!("{MANIFEST_FILE}: {e}"))?;
        let weights = fetch_bytes(&manifest.weights_file)
            .await
            .map_err(|e| format!("{e} {HOW_TO_EXPORT}"))?;
        Ok(Self {
            manifest_json,
            weights,
        })
    }

    /// Verifies version and checksum and loads the network onto `device`.
    pub fn load(&self, device: &Device) -> Result<(DigitSeqNet, Manifest), String> {
        let (net, manifest) = weights::load(&self.manifest_json, self.weights.clone(), device)
            .map_err(|e| format!("Cannot use the model files: {e}"))?;
        if manifest.digits != (0..10).collect::<Vec<u8>>() {
            return Err(format!(
                "{MANIFEST_FILE} lists outputs for digits {:?}; this page needs exactly 0–9.",
                manifest.digits
            ));
        }
        Ok((net, manifest))
    }
}

pub async fn fetch_samples() -> Result<Samples, String> {
    let bytes = fetch_bytes(SAMPLES_FILE).await?;
    Samples::decode(&bytes).map_err(|e| format!("{SAMPLES_FILE}: {e}"))
}

async fn fetch_response(url: &str) -> Result<Response, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = RequestInit::new();
    // Revalidate every time: a retrained model must show up on reload.
    init.set_cache(RequestCache::NoCache);
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| format!("Could not fetch {url}: {}.", js_error(&e)))?;
    let response: Response = response
        .dyn_into()
        .map_err(|_| format!("{url}: not a response"))?;
    if !response.ok() {
        let status = response.status();
        let what = if status == 404 {
            "is missing"
        } else {
            "could not be loaded"
        };
        return Err(format!("{url} {what} (HTTP {status})."));
    }
    // Single-page-app hosting answers any missing path with index.html and a 200.
    let content_type = response
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    if content_type.starts_with("text/html") {
        return Err(format!(
            "{url} is missing (the server sent a web page in its place)."
        ));
    }
    Ok(response)
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let response = fetch_response(url).await?;
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| js_error(&e))?)
        .await
        .map_err(|e| format!("Could not read {url}: {}.", js_error(&e)))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

async fn fetch_text(url: &str) -> Result<String, String> {
    let response = fetch_response(url).await?;
    let text = JsFuture::from(response.text().map_err(|e| js_error(&e))?)
        .await
        .map_err(|e| format!("Could not read {url}: {}.", js_error(&e)))?;
    Ok(text.as_string().unwrap_or_default())
}

/// A readable message from a thrown JS value.
pub fn js_error(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
