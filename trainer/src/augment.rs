//! Small random distortions of training digits. MNIST digits are scanned pen strokes; the
//! page's digits are drawn with a mouse or finger and rendered by `preprocess`, so they come
//! a little rotated, slanted, off-centre, bigger or smaller, thinner or bolder. Training on
//! such variants (and never evaluating on them) makes the network indifferent to them.

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use digitseq_model::IMAGE_SIDE;

/// How strong the distortions may get; each is drawn uniformly in ±max.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AugmentSpec {
    pub max_rotation_deg: f32,
    /// Horizontal shear (slant), as dx per dy.
    pub max_shear: f32,
    /// Relative change of size, e.g. 0.1 = 90–110 %.
    pub max_scale: f32,
    /// Shift in pixels, each axis.
    pub max_shift: f32,
    /// Stroke weight: > 0 blends towards a dilated image, < 0 towards an eroded one.
    pub max_weight: f32,
}

impl AugmentSpec {
    /// Mild enough that every digit stays readable as itself (a 4 never closes into a 9).
    pub const MILD: Self = Self {
        max_rotation_deg: 10.0,
        max_shear: 0.2,
        max_scale: 0.1,
        max_shift: 1.5,
        max_weight: 0.6,
    };

    pub fn sample(&self, rng: &mut Xoshiro256PlusPlus) -> Distortion {
        let mut within = |max: f32| {
            if max > 0.0 {
                rng.random_range(-max..=max)
            } else {
                0.0
            }
        };
        Distortion {
            rotation: within(self.max_rotation_deg).to_radians(),
            shear: within(self.max_shear),
            scale: 1.0 + within(self.max_scale),
            shift: [within(self.max_shift), within(self.max_shift)],
            weight: within(self.max_weight),
        }
    }
}

/// One drawn distortion of one digit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Distortion {
    pub rotation: f32,
    pub shear: f32,
    pub scale: f32,
    pub shift: [f32; 2],
    pub weight: f32,
}

const SIDE: usize = IMAGE_SIDE;
const CENTRE: f32 = (SIDE as f32 - 1.0) / 2.0;

impl Distortion {
    /// Writes the distorted `src` (28×28 bytes) into `out` as intensities in [0, 1].
    pub fn apply(&self, src: &[u8], out: &mut [f32]) {
        assert_eq!(src.len(), SIDE * SIDE);
        assert_eq!(out.len(), SIDE * SIDE);
        // Forward map: p' = S·R·H·(p − c) + c + shift. Each output pixel samples the source
        // through the inverse, bilinearly.
        let (sin, cos) = self.rotation.sin_cos();
        let [a, b, c, d] = [
            self.scale * cos,
            self.scale * (cos * self.shear - sin),
            self.scale * sin,
            self.scale * (sin * self.shear + cos),
        ];
        let det = a * d - b * c;
        let inverse = [d / det, -b / det, -c / det, a / det];
        for y in 0..SIDE {
            for x in 0..SIDE {
                let u = x as f32 - CENTRE - self.shift[0];
                let v = y as f32 - CENTRE - self.shift[1];
                let sx = inverse[0] * u + inverse[1] * v + CENTRE;
                let sy = inverse[2] * u + inverse[3] * v + CENTRE;
                out[y * SIDE + x] = bilinear(src, sx, sy);
            }
        }
        if self.weight != 0.0 {
            reweight(out, self.weight);
        }
    }
}

fn bilinear(src: &[u8], x: f32, y: f32) -> f32 {
    let pixel = |xi: i32, yi: i32| -> f32 {
        if (0..SIDE as i32).contains(&xi) && (0..SIDE as i32).contains(&yi) {
            src[yi as usize * SIDE + xi as usize] as f32 / 255.0
        } else {
            0.0
        }
    };
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (x0, y0) = (x0 as i32, y0 as i32);
    let top = pixel(x0, y0) * (1.0 - fx) + pixel(x0 + 1, y0) * fx;
    let bottom = pixel(x0, y0 + 1) * (1.0 - fx) + pixel(x0 + 1, y0 + 1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Blends the image with its 3×3-cross dilation (weight > 0) or erosion (weight < 0).
fn reweight(image: &mut [f32], weight: f32) {
    let grow = weight > 0.0;
    let original = image.to_vec();
    let at = |x: i32, y: i32| -> f32 {
        if (0..SIDE as i32).contains(&x) && (0..SIDE as i32).contains(&y) {
            original[y as usize * SIDE + x as usize]
        } else {
            0.0
        }
    };
    for y in 0..SIDE as i32 {
        for x in 0..SIDE as i32 {
            let around = [
                at(x, y),
                at(x - 1, y),
                at(x + 1, y),
                at(x, y - 1),
                at(x, y + 1),
            ];
            let extreme = if grow {
                around.into_iter().fold(0.0, f32::max)
            } else {
                around.into_iter().fold(1.0, f32::min)
            };
            let here = &mut image[y as usize * SIDE + x as usize];
            *here += weight.abs() * (extreme - *here);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn bar() -> Vec<u8> {
        // A vertical bar, 4 px wide, rows 4–23.
        let mut img = vec![0u8; SIDE * SIDE];
        for y in 4..24 {
            for x in 12..16 {
                img[y * SIDE + x] = 255;
            }
        }
        img
    }

    fn identity() -> Distortion {
        Distortion {
            rotation: 0.0,
            shear: 0.0,
            scale: 1.0,
            shift: [0.0, 0.0],
            weight: 0.0,
        }
    }

    fn ink(img: &[f32]) -> f32 {
        img.iter().sum()
    }

    #[test]
    fn identity_reproduces_the_digit() {
        let src = bar();
        let mut out = vec![0.0; SIDE * SIDE];
        identity().apply(&src, &mut out);
        for (o, s) in out.iter().zip(&src) {
            assert!((o - *s as f32 / 255.0).abs() < 1e-5);
        }
    }

    #[test]
    fn shift_moves_ink_and_rotation_turns_a_bar_on_its_side() {
        let src = bar();
        let mut out = vec![0.0; SIDE * SIDE];
        Distortion {
            shift: [2.0, 0.0],
            ..identity()
        }
        .apply(&src, &mut out);
        assert_eq!(out[10 * SIDE + 15], 1.0);
        assert_eq!(out[10 * SIDE + 12], 0.0);
        assert_eq!(out[10 * SIDE + 17], 1.0);

        Distortion {
            rotation: 90f32.to_radians(),
            ..identity()
        }
        .apply(&src, &mut out);
        // The bar now lies across the middle rows.
        assert!(out[13 * SIDE + 6] > 0.9 && out[13 * SIDE + 21] > 0.9);
        assert!(out[6 * SIDE + 13] < 0.1);
        assert!((ink(&out) - 80.0).abs() < 2.0, "rotation keeps the ink");
    }

    #[test]
    fn weight_thickens_or_thins_strokes_and_stays_in_unit_range() {
        let src = bar();
        let mut plain = vec![0.0; SIDE * SIDE];
        identity().apply(&src, &mut plain);
        let mut bold = plain.clone();
        Distortion {
            weight: 0.6,
            ..identity()
        }
        .apply(&src, &mut bold);
        let mut thin = plain.clone();
        Distortion {
            weight: -0.6,
            ..identity()
        }
        .apply(&src, &mut thin);
        assert!(ink(&bold) > ink(&plain) * 1.2);
        assert!(ink(&thin) < ink(&plain) * 0.8);
        assert!(bold.iter().chain(&thin).all(|p| (0.0..=1.0).contains(p)));
    }

    #[test]
    fn mild_draws_are_within_bounds_and_vary() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let draws: Vec<Distortion> = (0..200)
            .map(|_| AugmentSpec::MILD.sample(&mut rng))
            .collect();
        for d in &draws {
            assert!(d.rotation.abs() <= 10f32.to_radians() + 1e-6);
            assert!((0.9..=1.1).contains(&d.scale));
            assert!(d.shift.iter().all(|s| s.abs() <= 1.5));
        }
        assert_ne!(draws[0], draws[1]);
    }
}
