use burn::prelude::*;
use burn::tensor::Distribution;
use digitseq_model::weights::{self, FORMAT_VERSION, Manifest, WeightsError};
use digitseq_model::{DigitSeqConfig, IMAGE_SIDE};

fn random_sequences(batch: usize, steps: usize, device: &Device) -> Tensor<4> {
    Tensor::random(
        [batch, steps, IMAGE_SIDE, IMAGE_SIDE],
        Distribution::Uniform(0.0, 1.0),
        device,
    )
}

#[test]
fn default_config_is_the_reference_size_with_ten_outputs() {
    let device = Device::flex();
    let config = DigitSeqConfig::new();
    let model = config.init(&device);
    // Reference: 180,226 parameters with PyTorch's two LSTM biases and a 2-way head. Ours has
    // one bias per gate (−2·4·64) and a 10-way head (+8·65).
    assert_eq!(model.num_params(), 180_226 - 2 * 4 * 64 + 8 * 65);
    assert_eq!(config.conv_features(), 576);
}

#[test]
fn outputs_one_answer_per_digit_at_every_step_for_any_length() {
    let device = Device::flex();
    let model = DigitSeqConfig::new().init(&device);
    for (batch, steps) in [(1, 1), (2, 3), (3, 10), (1, 30)] {
        let logits = model.forward(random_sequences(batch, steps, &device));
        assert_eq!(logits.dims(), [batch, steps, 10]);
    }
}

#[test]
fn reading_in_pieces_from_a_saved_state_equals_reading_at_once() {
    let device = Device::flex();
    let model = DigitSeqConfig::new().init(&device);
    let features =
        model.digit_features(random_sequences(1, 7, &device).reshape([7, IMAGE_SIDE, IMAGE_SIDE]));
    let features = features.reshape([1, 7, 128]);
    let (whole, _) = model.read(features.clone(), None);
    let (head, state) = model.read(features.clone().slice(s![.., 0..4, ..]), None);
    let (tail, _) = model.read(features.slice(s![.., 4..7, ..]), Some(state));
    let pieces = Tensor::cat(vec![head, tail], 1);
    whole
        .into_data()
        .assert_approx_eq::<f32>(&pieces.into_data(), Default::default());
}

#[test]
fn export_then_load_gives_identical_outputs() {
    let device = Device::flex();
    let config = DigitSeqConfig::new()
        .with_lstm_hidden(32)
        .with_feature_norm(true);
    let model = config.init(&device);
    let input = random_sequences(2, 5, &device);
    let expected = model.forward(input.clone()).into_data();

    let (bytes, manifest) =
        weights::encode(model, &config, serde_json::json!({"accuracy": 0.5})).unwrap();
    let json = serde_json::to_string(&manifest).unwrap();
    let (loaded, parsed) = weights::load(&json, bytes, &device).unwrap();
    assert_eq!(parsed, manifest);
    assert_eq!(parsed.format_version, FORMAT_VERSION);
    assert_eq!(loaded.forward(input).into_data(), expected);
}

#[test]
fn feature_norm_gives_every_digit_zero_mean_unit_variance_features() {
    let device = Device::flex();
    let images = random_sequences(1, 6, &device).reshape([6, IMAGE_SIDE, IMAGE_SIDE]);
    let plain = DigitSeqConfig::new().with_feature_norm(false).init(&device);
    let normed = DigitSeqConfig::new().init(&device);
    for (model, standardised) in [(plain, false), (normed, true)] {
        let features = model.digit_features(images.clone());
        let mean = features
            .clone()
            .mean_dim(1)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let var = features
            .var_bias(1)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        // Not exactly 1: the norm's epsilon weighs on the small features of fresh weights.
        let is_standard =
            mean.iter().all(|m| m.abs() < 1e-4) && var.iter().all(|v| (v - 1.0).abs() < 1e-2);
        assert_eq!(
            is_standard, standardised,
            "means {mean:?}, variances {var:?}"
        );
    }
}

#[test]
fn manifests_from_before_feature_norm_load_as_networks_without_it() {
    // The shipped manifest as written before the field existed (the weights shipped until
    // 2026-12-07 had such a manifest).
    let mut old: serde_json::Value =
        serde_json::from_str(include_str!("../../www/model.json")).unwrap();
    let config = old["config"].as_object_mut().unwrap();
    config.remove("feature_norm");
    let json = old.to_string();
    assert!(!json.contains("feature_norm"));
    assert!(!Manifest::parse(&json).unwrap().config.feature_norm);
}

fn exported() -> (Vec<u8>, Manifest) {
    let config = DigitSeqConfig::new();
    weights::encode(
        config.init(&Device::flex()),
        &config,
        serde_json::Value::Null,
    )
    .unwrap()
}

#[test]
fn corrupt_truncated_or_foreign_weights_are_refused_with_the_reason() {
    let device = Device::flex();
    let (bytes, manifest) = exported();

    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    assert!(matches!(
        manifest.load(flipped, &device),
        Err(WeightsError::Checksum { .. })
    ));

    let truncated = bytes[..bytes.len() / 2].to_vec();
    assert!(matches!(
        manifest.load(truncated, &device),
        Err(WeightsError::Size { .. })
    ));

    // Weights of a smaller network with a manifest that claims the default one: refused
    // before the network the manifest describes is built.
    let other = DigitSeqConfig::new().with_lstm_hidden(32);
    let (other_bytes, other_manifest) =
        weights::encode(other.init(&device), &other, serde_json::Value::Null).unwrap();
    let lying = Manifest {
        config: DigitSeqConfig::new(),
        ..other_manifest
    };
    let err = lying.load(other_bytes, &device).unwrap_err();
    assert!(matches!(err, WeightsError::ConfigSize { .. }), "{err}");

    // The default network's weights with a manifest that claims the smaller one.
    let lying = Manifest {
        config: other,
        ..manifest
    };
    let err = lying.load(bytes, &device).unwrap_err();
    assert!(matches!(err, WeightsError::Record(_)), "{err}");
}

#[test]
fn manifests_of_another_version_or_not_json_are_refused() {
    let (_, manifest) = exported();
    let mut value = serde_json::to_value(&manifest).unwrap();
    value["format_version"] = serde_json::json!(FORMAT_VERSION + 1);
    let err = Manifest::parse(&value.to_string()).unwrap_err();
    assert!(matches!(err, WeightsError::Version { .. }));
    assert!(err.to_string().contains("re-export"));
    assert!(matches!(
        Manifest::parse("<html>404</html>"),
        Err(WeightsError::Manifest(_))
    ));
}
