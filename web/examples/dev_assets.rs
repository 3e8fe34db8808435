//! Throwaway assets for trying the page before a model is trained: an untrained (random)
//! network exported in the real weight format, and samples.bin from the MNIST test set.
//!
//!     cargo run -p web --example dev_assets -- /tmp/digitseq-dev [data/mnist]
//!
//! Then copy the files over a built `dist/` (never into `www/`: these weights answer at
//! random, and `www/` is what gets shipped).

use std::path::PathBuf;

use burn::prelude::{Device, Tensor};
use burn::tensor::TensorData;
use digitseq_model::samples::{SAMPLES_FILE, Samples};
use digitseq_model::weights::{self, MANIFEST_FILE};
use digitseq_model::{DigitSeqConfig, IMAGE_PIXELS, IMAGE_SIDE};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().ok_or("usage: dev_assets OUT_DIR [MNIST_DIR]")?);
    let mnist = PathBuf::from(args.next().unwrap_or_else(|| "data/mnist".into()));
    assert!(
        !out.ends_with("www"),
        "random weights must not go into www/: it is what the page ships"
    );
    std::fs::create_dir_all(&out)?;

    let config = DigitSeqConfig::new();
    let net = config.init(&Device::flex());
    let metrics =
        serde_json::json!({ "note": "untrained random weights from web/examples/dev_assets.rs" });
    let (bytes, manifest) = weights::encode(net.clone(), &config, metrics)?;
    std::fs::write(out.join(&manifest.weights_file), bytes)?;
    std::fs::write(
        out.join(MANIFEST_FILE),
        serde_json::to_string_pretty(&manifest)?,
    )?;

    // The first 300 MNIST test digits, as the trainer's `samples` command would ship them.
    let images = std::fs::read(mnist.join("t10k-images.idx3-ubyte"))?;
    let labels = std::fs::read(mnist.join("t10k-labels.idx1-ubyte"))?;
    let count = 300;
    let samples = Samples {
        labels: labels[8..8 + count].to_vec(),
        pixels: images[16..16 + count * IMAGE_PIXELS].to_vec(),
    };
    std::fs::write(out.join(SAMPLES_FILE), samples.encode())?;

    // What the page must show for `showSamples([0, 1, 2, 3, 4])`, read natively.
    let first: Vec<f32> = (0..5).flat_map(|i| samples.image(i)).collect();
    let input = Tensor::<4>::from_data(
        TensorData::new(first, [1, 5, IMAGE_SIDE, IMAGE_SIDE]),
        &Device::flex(),
    );
    let logits: Vec<f32> = net
        .forward(input)
        .into_data()
        .try_into_vec_as()
        .map_err(|e| format!("{e:?}"))?;
    let probabilities: Vec<f32> = logits.iter().map(|l| 1.0 / (1.0 + (-l).exp())).collect();
    std::fs::write(
        out.join("expected-0-4.json"),
        serde_json::to_string(&probabilities)?,
    )?;
    println!(
        "wrote {MANIFEST_FILE}, {}, {SAMPLES_FILE} to {}",
        manifest.weights_file,
        out.display()
    );
    Ok(())
}
