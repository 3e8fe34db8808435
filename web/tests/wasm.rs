//! What only runs in the browser: loading the shipped weights, preprocessing, and inference
//! on burn's CPU backend and on WebGPU, in headless Chromium (wasm-bindgen-test).
//! Run: `cargo test -p web --target wasm32-unknown-unknown --release` (scripts/test.sh does).
#![cfg(target_arch = "wasm32")]

use burn::prelude::*;
use digitseq_model::DigitSeqConfig;
use digitseq_model::preprocess::{
    Point, SegmentOptions, Stroke, centre_of_mass, digits_from_strokes,
};
use digitseq_model::samples::Samples;
use digitseq_model::weights::{self, WeightsError};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const MANIFEST: &str = include_str!("../../www/model.json");
const WEIGHTS: &[u8] = include_bytes!("../../www/model.bpk");
const SAMPLES: &[u8] = include_bytes!("../../www/samples.bin");
/// Sample digits read as one sequence by the inference tests.
const SEQUENCE: [usize; 8] = [0, 1, 2, 3, 4, 5, 6, 7];

/// Probabilities `[position][digit]` for the sample sequence on `device`.
async fn probabilities(device: &Device) -> Vec<Vec<f32>> {
    probabilities_of(MANIFEST, WEIGHTS.to_vec(), device).await
}

async fn probabilities_of(manifest: &str, weights: Vec<u8>, device: &Device) -> Vec<Vec<f32>> {
    let (net, _) = weights::load(manifest, weights, device).expect("weights load");
    let samples = Samples::decode(SAMPLES).unwrap();
    let pixels: Vec<f32> = SEQUENCE.iter().flat_map(|&i| samples.image(i)).collect();
    let x = Tensor::<4>::from_data(TensorData::new(pixels, [1, SEQUENCE.len(), 28, 28]), device);
    let probs = net
        .probabilities(x)
        .into_data_async()
        .await
        .unwrap()
        .try_to_vec::<f32>()
        .unwrap();
    probs.chunks(10).map(<[f32]>::to_vec).collect()
}

#[wasm_bindgen_test]
fn shipped_weights_load_and_corrupt_ones_are_refused() {
    // As the page's start does: once, before burn (see its doc).
    web::run_static_constructors();
    let device = Device::flex();
    let (_, manifest) = weights::load(MANIFEST, WEIGHTS.to_vec(), &device).unwrap();
    assert_eq!(manifest.digits, (0..10).collect::<Vec<u8>>());
    let mut corrupt = WEIGHTS.to_vec();
    corrupt[WEIGHTS.len() / 2] ^= 1;
    assert!(matches!(
        weights::load(MANIFEST, corrupt, &device),
        Err(WeightsError::Checksum { .. })
    ));
}

#[wasm_bindgen_test]
fn strokes_become_centred_mnist_digits_in_wasm() {
    // As the page's start does: once, before burn (see its doc).
    web::run_static_constructors();
    let stroke = |pts: &[(f32, f32)]| Stroke {
        points: pts.iter().map(|&(x, y)| Point { x, y }).collect(),
    };
    let strokes = [
        stroke(&[(20.0, 20.0), (22.0, 180.0)]),
        stroke(&[(150.0, 20.0), (100.0, 120.0), (190.0, 120.0)]),
        stroke(&[(170.0, 60.0), (170.0, 190.0)]),
    ];
    let digits = digits_from_strokes(&strokes, &SegmentOptions::for_pad_height(200.0));
    assert_eq!(digits.len(), 2);
    assert_eq!(digits[1].strokes, vec![1, 2]);
    for d in &digits {
        let (x, y) = centre_of_mass(&d.image).unwrap();
        assert!((x - 14.0).abs() < 0.6 && (y - 14.0).abs() < 0.6);
    }
}

#[wasm_bindgen_test]
async fn cpu_inference_answers_the_sample_sequence() {
    // As the page's start does: once, before burn (see its doc).
    web::run_static_constructors();
    let probs = probabilities(&Device::flex()).await;
    let samples = Samples::decode(SAMPLES).unwrap();
    let labels: Vec<u8> = SEQUENCE.iter().map(|&i| samples.labels[i]).collect();
    let last = probs.last().unwrap();
    let right = (0..10u8)
        .filter(|d| (last[*d as usize] > 0.5) == labels.contains(d))
        .count();
    assert!(right >= 9, "labels {labels:?}, answers {last:?}");
}

#[wasm_bindgen_test]
async fn webgpu_inference_matches_the_cpu() {
    // As the page's start does: once, before burn (see its doc).
    web::run_static_constructors();
    let gpu = Device::wgpu_options()
        .graphics_api(burn::tensor::wgpu::WgpuBackend::WebGpu)
        .init_async()
        .await
        .expect("this test runs in a Chromium with WebGPU (webdriver.json enables it)");
    let on_gpu = probabilities(&gpu).await;
    let on_cpu = probabilities(&Device::flex()).await;
    assert_same_answers("shipped weights", &on_gpu, &on_cpu);

    // A network with the feature norm (the trainer's default since the shipped weights).
    let config = DigitSeqConfig::new().with_feature_norm(true);
    let (bytes, manifest) = weights::encode(
        config.init(&Device::flex()),
        &config,
        serde_json::Value::Null,
    )
    .unwrap();
    let manifest = serde_json::to_string(&manifest).unwrap();
    let on_gpu = probabilities_of(&manifest, bytes.clone(), &gpu).await;
    let on_cpu = probabilities_of(&manifest, bytes, &Device::flex()).await;
    assert_same_answers("feature norm", &on_gpu, &on_cpu);
}

/// The same positions and digits on both backends, each probability within 1e-3.
fn assert_same_answers(what: &str, on_gpu: &[Vec<f32>], on_cpu: &[Vec<f32>]) {
    assert_eq!(on_gpu.len(), on_cpu.len(), "{what}: positions");
    for (g, c) in on_gpu.iter().zip(on_cpu) {
        assert_eq!(g.len(), c.len(), "{what}: digits");
        for (g, c) in g.iter().zip(c) {
            assert!((g - c).abs() < 1e-3, "{what}: webgpu {g} vs cpu {c}");
        }
    }
}
