//! The sample digits shipped with the page (`www/samples.bin`): real MNIST test digits with
//! their labels, so visitors see the model work before they draw.
//!
//! Layout: b"DSQS", u32 LE count, `count` label bytes, then `count` × 784 pixel bytes
//! (row-major, 0–255, ink high, exactly as in MNIST).

use crate::IMAGE_PIXELS;

const MAGIC: &[u8; 4] = b"DSQS";
pub const SAMPLES_FILE: &str = "samples.bin";

#[derive(Debug, Clone, PartialEq)]
pub struct Samples {
    pub labels: Vec<u8>,
    pub pixels: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SamplesError {
    #[error("samples file does not start with DSQS: not a digitseq samples file")]
    Magic,
    #[error("samples file is {found} bytes, its header promises {expected}: truncated or corrupt")]
    Size { expected: u64, found: u64 },
    #[error("samples file holds label {0}, not a digit")]
    Label(u8),
}

impl Samples {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Intensities in [0, 1] of sample `i`, as the network reads them.
    pub fn image(&self, i: usize) -> Vec<f32> {
        self.pixels[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS]
            .iter()
            .map(|&p| p as f32 / 255.0)
            .collect()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend((self.labels.len() as u32).to_le_bytes());
        out.extend(&self.labels);
        out.extend(&self.pixels);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, SamplesError> {
        if bytes.len() < 8 || &bytes[..4] != MAGIC {
            return Err(SamplesError::Magic);
        }
        let count = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as u64;
        // In u64: on wasm32 a hostile count would overflow usize and wrap to a size that fits.
        let expected = 8 + count * (1 + IMAGE_PIXELS as u64);
        if bytes.len() as u64 != expected {
            return Err(SamplesError::Size {
                expected,
                found: bytes.len() as u64,
            });
        }
        let count = count as usize;
        let labels = bytes[8..8 + count].to_vec();
        if let Some(&bad) = labels.iter().find(|&&l| l > 9) {
            return Err(SamplesError::Label(bad));
        }
        Ok(Self {
            labels,
            pixels: bytes[8 + count..].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let s = Samples {
            labels: vec![4, 2],
            pixels: (0..2 * IMAGE_PIXELS).map(|i| (i % 256) as u8).collect(),
        };
        let bytes = s.encode();
        assert_eq!(Samples::decode(&bytes).unwrap(), s);
        assert_eq!(s.image(1)[0], (IMAGE_PIXELS % 256) as f32 / 255.0);
        assert_eq!(Samples::decode(b"nope"), Err(SamplesError::Magic));
        assert!(matches!(
            Samples::decode(&bytes[..bytes.len() - 1]),
            Err(SamplesError::Size { .. })
        ));
        let mut bad = bytes.clone();
        bad[8] = 11;
        assert_eq!(Samples::decode(&bad), Err(SamplesError::Label(11)));
    }
}
