//! `trainer scorer`: trains segmentation's crop scorer (`digitseq_model::scorer`) from MNIST
//! and writes its weights where the model crate ships them. Every example is an MNIST image
//! or made from MNIST images, then brought to MNIST's own framing (the longest side fitted
//! to 20 pixels, the centre of mass at the field's centre), as the page frames a crop:
//! - one digit: its own class;
//! - "not one digit": two or three digits side by side, from apart by a pen's width to
//!   overlapping (what a touching row's crop looks like merged), a digit with a piece of its
//!   neighbour, and a piece of a digit alone (a 4's bar without its stem).
//!
//! Digits are slanted and sized as in a row, and some 1s get a base and some 7s a crossbar
//! (styles MNIST's American writers hardly use).
//!
//! With `--rows`, a share of every batch comes from rows of the page's stroke generator
//! instead (`drawn_crops.rs`): MNIST alone leaves the scorer doubting many digits as the page
//! renders them (one pen width, centre lines), which only the rows' neighbours saved.

use std::path::PathBuf;

use anyhow::Context;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use digitseq_model::scorer::{DigitScorer, NOT_ONE_DIGIT};
use digitseq_model::{IMAGE_PIXELS, IMAGE_SIDE};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::drawn_crops::DrawnCrops;
use crate::files::write_atomically;
use crate::mnist::{self, Digits, Split};

#[derive(clap::Args)]
pub struct ScorerArgs {
    #[arg(long, default_value = "data/mnist")]
    pub data_dir: PathBuf,
    /// Where the model crate ships the weights from.
    #[arg(long, default_value = "model/scorer.bpk")]
    pub out: PathBuf,
    /// Passes over MNIST's training digits (each with as many made-up negatives).
    #[arg(long, default_value_t = 6)]
    pub epochs: usize,
    #[arg(long, default_value_t = 128)]
    pub batch: usize,
    #[arg(long, default_value_t = 2e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Rows from the page's stroke generator (`node tests/e2e/rows-json.mjs --tight --sizes
    /// 0.65,1.25 --seed 1000 --n 4000 > FILE`; seeds 1 and 101 are the test and tuning sets,
    /// keep clear of them). Their last tenth is held out for the report.
    #[arg(long)]
    pub rows: Option<PathBuf>,
    /// The share of each batch taken from `--rows`.
    #[arg(long, default_value_t = 0.5)]
    pub drawn_share: f64,
}

/// MNIST digits fill a 20×20 box of the 28×28 field.
const BOX_SIDE: f32 = 20.0;
/// The ink's centre of mass sits on this pixel (index coordinates).
const CENTRE: f32 = 14.0;
/// Pixels at or below this intensity are background when finding a digit's extent.
const INK: f32 = 0.1;
/// An MNIST stroke is about this many pixels wide at its own scale.
const MNIST_STROKE: f32 = 2.75;
/// And the page draws its strokes this wide, whatever the crop's scale.
const PAGE_STROKE: f32 = 2.5;

pub fn run(args: &ScorerArgs) -> anyhow::Result<()> {
    let train = Digits::load(&args.data_dir, Split::Train).context(mnist::HOW_TO_GET)?;
    let test = Digits::load(&args.data_dir, Split::Test).context(mnist::HOW_TO_GET)?;
    let (drawn, drawn_test) = match &args.rows {
        Some(path) => DrawnCrops::load(path, 0.1)?,
        None => Default::default(),
    };
    anyhow::ensure!(
        args.rows.is_none() || !(drawn.is_empty() || drawn_test.is_empty()),
        "too few rows in --rows to train and test on"
    );
    let drawn_per_batch = if drawn.is_empty() {
        0
    } else {
        (args.drawn_share.clamp(0.0, 1.0) * args.batch as f64).round() as usize
    };
    let device = Device::flex().autodiff();
    device.seed(args.seed);
    let mut model = DigitScorer::new(&device);
    let mut optim = AdamConfig::new().init();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    let per_epoch = 2 * train.len();
    let steps = args.epochs * per_epoch / args.batch;
    let cross_entropy = burn::nn::loss::CrossEntropyLossConfig::new().init(&device);
    for step in 0..steps {
        let (mut images, mut labels) = batch(&train, args.batch - drawn_per_batch, &mut rng);
        let (more_images, more_labels) = drawn_batch(&drawn, drawn_per_batch, &mut rng);
        images.extend(more_images);
        labels.extend(more_labels);
        let (x, y) = tensors(&images, &labels, &device);
        let loss = cross_entropy.forward(model.forward(x), y);
        let lr = args.lr * 0.5 * (1.0 + (std::f64::consts::PI * step as f64 / steps as f64).cos());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(lr.max(args.lr / 50.0), model, grads);
        if step % 500 == 0 {
            let loss: f32 = loss.into_scalar();
            eprintln!("step {step}/{steps}: loss {loss:.4}");
        }
    }
    let model = model.valid();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed ^ 0x5eed);
    let (images, labels) = batch(&test, 20_000, &mut rng);
    println!("MNIST test digits: {}", evaluate(&model, &images, &labels));
    if !drawn_test.is_empty() {
        let (images, labels) = drawn_batch(&drawn_test, 20_000, &mut rng);
        println!(
            "held-out drawn rows: {}",
            evaluate(&model, &images, &labels)
        );
    }
    let bytes = model.to_bytes().map_err(anyhow::Error::msg)?;
    write_atomically(&args.out, &bytes)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("wrote {} ({} bytes)", args.out.display(), bytes.len());
    Ok(())
}

/// Accuracy on single digits and crops that are not one: one digit told from not, and the
/// digit's class.
fn evaluate(model: &DigitScorer, images: &[f32], labels: &[i64]) -> String {
    let device = Device::flex();
    let mut predicted = Vec::with_capacity(labels.len());
    for chunk in images.chunks(1000 * IMAGE_PIXELS) {
        let n = chunk.len() / IMAGE_PIXELS;
        let x = Tensor::<3>::from_data(
            TensorData::new(chunk.to_vec(), [n, IMAGE_SIDE, IMAGE_SIDE]),
            &device,
        );
        let classes = model.forward(x).argmax(1).into_data();
        predicted.extend(classes.iter::<i64>().map(|c| c as usize));
    }
    let is_one = |c: usize| c != NOT_ONE_DIGIT;
    let (mut ones, mut ones_right, mut others, mut others_right, mut class_right) = (0, 0, 0, 0, 0);
    for (&label, &p) in labels.iter().zip(&predicted) {
        let label = label as usize;
        if is_one(label) {
            ones += 1;
            ones_right += usize::from(is_one(p));
            class_right += usize::from(p == label);
        } else {
            others += 1;
            others_right += usize::from(!is_one(p));
        }
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    format!(
        "single digits taken as one {:.2}% ({ones}), their class right {:.2}%; \
         merged pairs and pieces taken as not one {:.2}% ({others})",
        pct(ones_right, ones),
        pct(class_right, ones),
        pct(others_right, others)
    )
}

fn tensors(images: &[f32], labels: &[i64], device: &Device) -> (Tensor<3>, Tensor<1, Int>) {
    let n = labels.len();
    (
        Tensor::from_data(
            TensorData::new(images.to_vec(), [n, IMAGE_SIDE, IMAGE_SIDE]),
            device,
        ),
        Tensor::from_data(TensorData::new(labels.to_vec(), [n]), device),
    )
}

/// `n` examples, half single digits and half not: flat 28×28 images and classes.
fn batch(digits: &Digits, n: usize, rng: &mut Xoshiro256PlusPlus) -> (Vec<f32>, Vec<i64>) {
    let mut images = Vec::with_capacity(n * IMAGE_PIXELS);
    let mut labels = Vec::with_capacity(n);
    // Slanted and sized as people write rows (the page's tight rows lean up to 0.45).
    let any = |rng: &mut Xoshiro256PlusPlus| {
        let i = rng.random_range(0..digits.len());
        let mut ink = Ink::from_mnist(digits.image(i));
        // Styles MNIST (American writing) hardly has: a 1 with a base, a crossed 7.
        let (w, h) = (ink.width as f32, ink.height as f32);
        if digits.labels[i] == 1 && rng.random_bool(0.3) {
            let half = rng.random_range(0.25..0.45) * h;
            ink = ink.with_bar(w / 2.0 - half, w / 2.0 + half, h - 1.0);
        } else if digits.labels[i] == 7 && rng.random_bool(0.3) {
            ink = ink.with_bar(0.3 * w, 0.8 * w, 0.55 * h);
        }
        let ink = ink.slanted(rng.random_range(-0.2..0.45), rng.random_range(0.85..1.15));
        (ink, digits.labels[i])
    };
    for _ in 0..n {
        let (a, class) = any(rng);
        let (image, label) = if rng.random_bool(0.5) {
            (a, i64::from(class))
        } else {
            let (b, _) = any(rng);
            let gap = rng.random_range(-0.3..0.2) * BOX_SIDE;
            let dy = rng.random_range(-0.15..0.15) * BOX_SIDE;
            let piece = |ink: &Ink, rng: &mut Xoshiro256PlusPlus| {
                let kept = rng.random_range(0.25..0.6);
                match rng.random_range(0..4) {
                    0 => ink.columns(0.0, kept),
                    1 => ink.columns(1.0 - kept, 1.0),
                    2 => ink.rows(0.0, kept),
                    _ => ink.rows(1.0 - kept, 1.0),
                }
            };
            let negative = match rng.random_range(0..10) {
                0..3 => Ink::side_by_side(&a, &b, gap, dy),
                // Three run together: the scorer must not mistake a long crop,
                // squeezed into 20 pixels, for a digit either.
                3 => {
                    let (c, _) = any(rng);
                    let more =
                        Ink::side_by_side(&b, &c, rng.random_range(-0.3..0.2) * BOX_SIDE, 0.0);
                    Ink::side_by_side(&a, &more, gap, dy)
                }
                4..6 => {
                    Ink::side_by_side(&a, &b.columns(0.0, rng.random_range(0.25..0.6)), gap, dy)
                }
                6..8 => {
                    Ink::side_by_side(&a.columns(rng.random_range(0.4..0.75), 1.0), &b, gap, dy)
                }
                // A 1 cut is still a 1.
                _ if class == 1 => Ink::side_by_side(&a, &b, gap, dy),
                _ => piece(&a, rng),
            };
            (negative, NOT_ONE_DIGIT as i64)
        };
        images.extend(image.mnist_style());
        labels.push(label);
    }
    (images, labels)
}

/// `n` crops drawn at random from `crops`, half single digits and half not.
fn drawn_batch(crops: &DrawnCrops, n: usize, rng: &mut Xoshiro256PlusPlus) -> (Vec<f32>, Vec<i64>) {
    let mut images = Vec::with_capacity(n * IMAGE_PIXELS);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        if rng.random_bool(0.5) {
            let (image, digit) = &crops.digits[rng.random_range(0..crops.digits.len())];
            images.extend_from_slice(image);
            labels.push(i64::from(*digit));
        } else {
            images.extend_from_slice(&crops.not_one[rng.random_range(0..crops.not_one.len())]);
            labels.push(NOT_ONE_DIGIT as i64);
        }
    }
    (images, labels)
}

/// A grey image, ink = 1, cropped to its ink.
#[derive(Debug, Clone, PartialEq)]
struct Ink {
    width: usize,
    height: usize,
    pixels: Vec<f32>,
}

impl Ink {
    fn from_mnist(bytes: &[u8]) -> Ink {
        Ink {
            width: IMAGE_SIDE,
            height: IMAGE_SIDE,
            pixels: bytes.iter().map(|&b| f32::from(b) / 255.0).collect(),
        }
        .cropped()
    }

    fn at(&self, x: usize, y: usize) -> f32 {
        self.pixels[y * self.width + x]
    }

    /// The smallest rectangle holding every pixel above `INK` (a 1×1 blank without any).
    fn cropped(&self) -> Ink {
        let inked = |x: usize, y: usize| self.at(x, y) > INK;
        let cols: Vec<usize> = (0..self.width)
            .filter(|&x| (0..self.height).any(|y| inked(x, y)))
            .collect();
        let rows: Vec<usize> = (0..self.height)
            .filter(|&y| (0..self.width).any(|x| inked(x, y)))
            .collect();
        let (Some(&x0), Some(&x1), Some(&y0), Some(&y1)) =
            (cols.first(), cols.last(), rows.first(), rows.last())
        else {
            return Ink {
                width: 1,
                height: 1,
                pixels: vec![0.0],
            };
        };
        let (width, height) = (x1 - x0 + 1, y1 - y0 + 1);
        let pixels = (y0..=y1)
            .flat_map(|y| (x0..=x1).map(move |x| (x, y)))
            .map(|(x, y)| self.at(x, y))
            .collect();
        Ink {
            width,
            height,
            pixels,
        }
    }

    /// The columns from `from` to `to` (shares of the width), cropped.
    fn columns(&self, from: f32, to: f32) -> Ink {
        let (lo, hi) = (from * self.width as f32, to * self.width as f32);
        self.keeping(|x, _| (lo..hi).contains(&(x as f32 + 0.5)))
    }

    /// The rows from `from` to `to` (shares of the height), cropped.
    fn rows(&self, from: f32, to: f32) -> Ink {
        let (lo, hi) = (from * self.height as f32, to * self.height as f32);
        self.keeping(|_, y| (lo..hi).contains(&(y as f32 + 0.5)))
    }

    fn keeping(&self, keep: impl Fn(usize, usize) -> bool) -> Ink {
        let mut out = self.clone();
        for y in 0..self.height {
            for x in 0..self.width {
                if !keep(x, y) {
                    out.pixels[y * self.width + x] = 0.0;
                }
            }
        }
        out.cropped()
    }

    /// `a`, then `b` starting `gap` pixels right of `a`'s right edge (overlapping where
    /// negative) and `dy` lower, their ink combined; bottoms aligned before `dy`.
    fn side_by_side(a: &Ink, b: &Ink, gap: f32, dy: f32) -> Ink {
        let bx = (a.width as f32 + gap).round().max(0.0) as isize;
        let by = (a.height as f32 - b.height as f32 + dy).round() as isize;
        let (x0, y0) = (0.min(bx), 0.min(by));
        let x1 = (a.width as isize).max(bx + b.width as isize);
        let y1 = (a.height as isize).max(by + b.height as isize);
        let (width, height) = ((x1 - x0) as usize, (y1 - y0) as usize);
        let mut pixels = vec![0.0f32; width * height];
        for (ink, ox, oy) in [(a, 0, 0), (b, bx, by)] {
            for y in 0..ink.height {
                for x in 0..ink.width {
                    let (px, py) = (
                        (x as isize + ox - x0) as usize,
                        (y as isize + oy - y0) as usize,
                    );
                    let p = &mut pixels[py * width + px];
                    *p = p.max(ink.at(x, y));
                }
            }
        }
        Ink {
            width,
            height,
            pixels,
        }
        .cropped()
    }

    /// Leaning right by `slant` (x shift per unit of height, top to the right) and scaled
    /// by `scale`, bilinearly.
    fn slanted(&self, slant: f32, scale: f32) -> Ink {
        let h = self.height as f32;
        let width = ((self.width as f32 + slant.abs() * h) * scale).ceil() as usize;
        let height = (h * scale).ceil() as usize;
        let mut pixels = vec![0.0f32; width * height];
        for oy in 0..height {
            for ox in 0..width {
                let y = (oy as f32 + 0.5) / scale - 0.5;
                let shift = slant * (h / 2.0 - y) + slant.abs() * h / 2.0;
                let x = (ox as f32 + 0.5) / scale - 0.5 - shift;
                pixels[oy * width + ox] = self.sample(x, y);
            }
        }
        Ink {
            width,
            height,
            pixels,
        }
        .cropped()
    }

    /// With a horizontal bar as thick as an MNIST stroke from `x0` to `x1` at row `y`
    /// (pixels; the image grows to hold it).
    fn with_bar(&self, x0: f32, x1: f32, y: f32) -> Ink {
        let left = (-x0.floor()).max(0.0) as usize;
        let width = left + self.width.max(x1.ceil().max(0.0) as usize + 1);
        let half = MNIST_STROKE / 2.0;
        let height = self.height.max((y + half).ceil() as usize + 1);
        let mut pixels = vec![0.0f32; width * height];
        for yy in 0..self.height {
            for xx in 0..self.width {
                pixels[yy * width + xx + left] = self.at(xx, yy);
            }
        }
        for (yy, row) in pixels.chunks_mut(width).enumerate() {
            if (yy as f32 - y).abs() <= half {
                for (xx, p) in row.iter_mut().enumerate() {
                    let x = xx as f32 - left as f32;
                    if (x0..=x1).contains(&x) {
                        *p = 1.0;
                    }
                }
            }
        }
        Ink {
            width,
            height,
            pixels,
        }
        .cropped()
    }

    /// Grey dilation by a square of half-side `r`.
    fn dilated(&self, r: usize) -> Ink {
        let mut out = self.clone();
        for y in 0..self.height {
            for x in 0..self.width {
                let mut v = 0.0f32;
                for yy in y.saturating_sub(r)..(y + r + 1).min(self.height) {
                    for xx in x.saturating_sub(r)..(x + r + 1).min(self.width) {
                        v = v.max(self.at(xx, yy));
                    }
                }
                out.pixels[y * self.width + x] = v;
            }
        }
        out
    }

    /// Bilinear sample at (x, y) in pixel-centre coordinates, 0 outside.
    fn sample(&self, x: f32, y: f32) -> f32 {
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let get = |xi: f32, yi: f32| {
            if xi < 0.0 || yi < 0.0 || xi >= self.width as f32 || yi >= self.height as f32 {
                0.0
            } else {
                self.at(xi as usize, yi as usize)
            }
        };
        get(x0, y0) * (1.0 - fx) * (1.0 - fy)
            + get(x0 + 1.0, y0) * fx * (1.0 - fy)
            + get(x0, y0 + 1.0) * (1.0 - fx) * fy
            + get(x0 + 1.0, y0 + 1.0) * fx * fy
    }

    /// MNIST's framing: the longest side scaled to 20 pixels (strokes kept as wide as the
    /// page draws them), the centre of mass on the field's centre. 784 intensities.
    fn mnist_style(&self) -> Vec<f32> {
        let scale = BOX_SIDE / self.width.max(self.height) as f32;
        // Shrinking thins the strokes; the page draws every crop with the same pen.
        let thicken = ((PAGE_STROKE / scale - MNIST_STROKE) / 2.0)
            .round()
            .clamp(0.0, 3.0) as usize;
        let source = if thicken > 0 {
            self.dilated(thicken)
        } else {
            self.clone()
        };
        let (w, h) = (
            ((self.width as f32 * scale).round() as usize).clamp(1, IMAGE_SIDE),
            ((self.height as f32 * scale).round() as usize).clamp(1, IMAGE_SIDE),
        );
        const SUB: usize = 4;
        let mut patch = vec![0.0f32; w * h];
        for oy in 0..h {
            for ox in 0..w {
                let mut sum = 0.0;
                for sy in 0..SUB {
                    for sx in 0..SUB {
                        let x = (ox as f32 + (sx as f32 + 0.5) / SUB as f32) / scale - 0.5;
                        let y = (oy as f32 + (sy as f32 + 0.5) / SUB as f32) / scale - 0.5;
                        sum += source.sample(x, y);
                    }
                }
                patch[oy * w + ox] = (sum / (SUB * SUB) as f32).min(1.0);
            }
        }
        let mass: f32 = patch.iter().sum();
        let (cx, cy) = if mass > 0.0 {
            let mx: f32 = patch
                .iter()
                .enumerate()
                .map(|(i, v)| (i % w) as f32 * v)
                .sum();
            let my: f32 = patch
                .iter()
                .enumerate()
                .map(|(i, v)| (i / w) as f32 * v)
                .sum();
            (mx / mass, my / mass)
        } else {
            (w as f32 / 2.0, h as f32 / 2.0)
        };
        let (dx, dy) = (
            (CENTRE - cx).round() as isize,
            (CENTRE - cy).round() as isize,
        );
        let mut out = vec![0.0f32; IMAGE_PIXELS];
        for y in 0..h {
            for x in 0..w {
                let (tx, ty) = (x as isize + dx, y as isize + dy);
                if (0..IMAGE_SIDE as isize).contains(&tx) && (0..IMAGE_SIDE as isize).contains(&ty)
                {
                    out[ty as usize * IMAGE_SIDE + tx as usize] = patch[y * w + x];
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `w`×`h` block of ink.
    fn block(w: usize, h: usize) -> Ink {
        Ink {
            width: w,
            height: h,
            pixels: vec![1.0; w * h],
        }
    }

    #[test]
    fn pairs_sit_side_by_side_or_overlap() {
        let (a, b) = (block(10, 20), block(6, 10));
        let apart = Ink::side_by_side(&a, &b, 4.0, 0.0);
        assert_eq!((apart.width, apart.height), (20, 20));
        assert_eq!(apart.at(12, 19), 0.0, "the gap stays blank");
        assert_eq!(apart.at(15, 19), 1.0, "b's bottom on a's");
        let overlapping = Ink::side_by_side(&a, &b, -3.0, 0.0);
        assert_eq!(overlapping.width, 13);
    }

    #[test]
    fn slanting_moves_the_top_right_and_keeps_the_bottom() {
        let bar = block(2, 20);
        let leaning = bar.slanted(0.5, 1.0);
        assert!(
            (11..=13).contains(&leaning.width),
            "width {}",
            leaning.width
        );
        let inked = |y: usize| {
            (0..leaning.width)
                .filter(|&x| leaning.at(x, y) > 0.5)
                .collect::<Vec<_>>()
        };
        assert!(
            inked(0)[0] > inked(19)[0] + 7,
            "top {:?}, bottom {:?}",
            inked(0),
            inked(19)
        );
    }

    #[test]
    fn a_bar_wider_than_the_digit_widens_the_image() {
        let stem = block(4, 20);
        let based = stem.with_bar(-6.0, 10.0, 19.0);
        assert_eq!((based.width, based.height), (17, 21));
        assert_eq!(based.at(0, 19), 1.0);
        assert_eq!(based.at(0, 5), 0.0);
        assert_eq!(
            based.at(7, 5),
            1.0,
            "the stem moved right with the bar's left end"
        );
    }

    #[test]
    fn pieces_keep_their_share_and_are_cropped() {
        let ink = block(20, 10);
        assert_eq!(ink.columns(0.0, 0.5).width, 10);
        assert_eq!(ink.columns(0.75, 1.0).width, 5);
        assert_eq!(ink.rows(0.0, 0.3).height, 3);
    }

    #[test]
    fn framing_fits_the_longest_side_to_twenty_and_centres_the_mass() {
        let framed = Ink::from_mnist(&{
            let mut image = vec![0u8; IMAGE_PIXELS];
            // A 5 × 10 block in the top-left corner.
            for y in 0..10 {
                for x in 0..5 {
                    image[y * IMAGE_SIDE + x] = 255;
                }
            }
            image
        })
        .mnist_style();
        let inked: Vec<usize> = (0..IMAGE_PIXELS).filter(|&i| framed[i] > 0.5).collect();
        let rows = |i: &usize| i / IMAGE_SIDE;
        let height =
            inked.iter().map(rows).max().unwrap() - inked.iter().map(rows).min().unwrap() + 1;
        assert_eq!(height, 20);
        let mass: f32 = framed.iter().sum();
        let cx: f32 = framed
            .iter()
            .enumerate()
            .map(|(i, v)| (i % IMAGE_SIDE) as f32 * v)
            .sum::<f32>()
            / mass;
        assert!((cx - CENTRE).abs() <= 0.5, "centre of mass at x {cx}");
    }

    #[test]
    fn shrunk_strokes_are_thickened_as_the_page_draws_them() {
        // A one-pixel-thin 56-wide line shrinks by 2.8; without thickening it would fade.
        let line = Ink {
            width: 56,
            height: 3,
            pixels: [vec![0.0; 56], vec![1.0; 56], vec![0.0; 56]].concat(),
        };
        let framed = line.mnist_style();
        assert!(framed.iter().cloned().fold(0.0, f32::max) > 0.9);
    }

    #[test]
    fn a_batch_is_half_single_digits() {
        let digits = Digits::bars(50);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let (images, labels) = batch(&digits, 400, &mut rng);
        assert_eq!(images.len(), 400 * IMAGE_PIXELS);
        let negatives = labels
            .iter()
            .filter(|&&l| l == NOT_ONE_DIGIT as i64)
            .count();
        assert!((150..250).contains(&negatives), "{negatives} negatives");
        assert!(images.iter().all(|v| (0.0..=1.0).contains(v)));
    }
}
