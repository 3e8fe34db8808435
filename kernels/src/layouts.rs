//! Moving values between layouts: NCHW planes and channel-last rows, images and im2row patch
//! matrices (and back, for gradients), the weight in burn's order and in a patch's order.

use crate::shape::ConvShape;

/// `samples` images → `patches[samples · p, k]`: row `i·p + oy·out_w + ox` holds what output
/// position (oy, ox) of sample i reads, in (ky, kx, c_in) order (the weight's order after
/// [`weight_to_patch_order`]). The images are made channel-last first (in `pixels`), so each
/// kernel row of a patch is one contiguous copy of `kw · c_in` values: for the network's
/// second layer 3 copies of 48 values instead of 48 copies of 3.
pub fn im2row(
    x: &[f32],
    s: ConvShape,
    samples: usize,
    pixels: &mut Vec<f32>,
    patches: &mut Vec<f32>,
) {
    let images = channel_last(&x[..samples * s.input_len()], s, pixels);
    // Every value is overwritten: no need to zero what is already there.
    patches.resize(samples * s.positions() * s.patch(), 0.0);
    // The first layer's runs (3 values: one channel, 3 wide) get their own copy of the loop,
    // where the copy's length is a constant: otherwise each is a call to memcpy for 12 bytes.
    match s.kw * s.c_in {
        3 => patch_rows(images, s, 3, patches),
        run => patch_rows(images, s, run, patches),
    }
}

/// [`im2row`]'s copies from channel-last images, in runs of `run` = `kw · c_in` values.
#[inline(always)]
fn patch_rows(images: &[f32], s: ConvShape, run: usize, patches: &mut [f32]) {
    let mut rows = patches.chunks_exact_mut(s.patch());
    for image in images.chunks_exact(s.input_len()) {
        for oy in 0..s.out_h() {
            for ox in 0..s.out_w() {
                let row = rows.next().expect("one row per output position");
                for (ky, to) in row.chunks_exact_mut(run).enumerate() {
                    let start = ((oy + ky) * s.w + ox) * s.c_in;
                    to.copy_from_slice(&image[start..start + run]);
                }
            }
        }
    }
}

/// The adjoint of [`im2row`]: every patch value added back onto the input position it came
/// from, giving the chunk's input gradient `dx` (NCHW; `pixels` holds the channel-last sums).
pub fn row2im(
    patches: &[f32],
    s: ConvShape,
    samples: usize,
    pixels: &mut Vec<f32>,
    dx: &mut [f32],
) {
    pixels.clear();
    pixels.resize(samples * s.input_len(), 0.0);
    // As in im2row, a constant run length for the first layer's runs.
    match s.kw * s.c_in {
        3 => add_patch_rows(patches, s, 3, pixels),
        run => add_patch_rows(patches, s, run, pixels),
    }
    to_channel_first(pixels, s.c_in, s.h * s.w, dx);
}

/// [`row2im`]'s sums into channel-last images, in runs of `run` = `kw · c_in` values.
#[inline(always)]
fn add_patch_rows(patches: &[f32], s: ConvShape, run: usize, pixels: &mut [f32]) {
    let mut rows = patches.chunks_exact(s.patch());
    for image in pixels.chunks_exact_mut(s.input_len()) {
        for oy in 0..s.out_h() {
            for ox in 0..s.out_w() {
                let row = rows.next().expect("one row per output position");
                for (ky, from) in row.chunks_exact(run).enumerate() {
                    let start = ((oy + ky) * s.w + ox) * s.c_in;
                    let to = &mut image[start..start + run];
                    to.iter_mut().zip(from).for_each(|(d, v)| *d += v);
                }
            }
        }
    }
}

/// NCHW images as NHWC (`[samples, h, w, c_in]`), in `buffer`; with one channel they are
/// the same, and `x` itself is returned.
fn channel_last<'a>(x: &'a [f32], s: ConvShape, buffer: &'a mut Vec<f32>) -> &'a [f32] {
    if s.c_in == 1 {
        return x;
    }
    buffer.resize(x.len(), 0.0);
    to_channel_last(x, s.c_in, s.h * s.w, buffer);
    buffer
}

/// `[n, channels, positions]` (a plane per channel) → `[n, positions, channels]`.
pub fn to_channel_last(planes: &[f32], channels: usize, positions: usize, rows: &mut [f32]) {
    assert_eq!(planes.len(), rows.len());
    let sample = channels * positions;
    for (from, to) in planes
        .chunks_exact(sample)
        .zip(rows.chunks_exact_mut(sample))
    {
        for (c, plane) in from.chunks_exact(positions).enumerate() {
            for (at, &v) in plane.iter().enumerate() {
                to[at * channels + c] = v;
            }
        }
    }
}

/// The inverse of [`to_channel_last`]: `[n, positions, channels]` → `[n, channels, positions]`.
pub fn to_channel_first(rows: &[f32], channels: usize, positions: usize, planes: &mut [f32]) {
    assert_eq!(rows.len(), planes.len());
    let sample = channels * positions;
    for (from, to) in rows
        .chunks_exact(sample)
        .zip(planes.chunks_exact_mut(sample))
    {
        for (c, plane) in to.chunks_exact_mut(positions).enumerate() {
            for (at, v) in plane.iter_mut().enumerate() {
                *v = from[at * channels + c];
            }
        }
    }
}

/// The weight `[c_out, c_in, kh, kw]` (burn's order) as `[c_out, kh, kw, c_in]`, the order of
/// a patch's values.
pub fn weight_to_patch_order(weight: &[f32], s: ConvShape) -> Vec<f32> {
    reorder_weight(weight, s, Direction::ToPatchOrder)
}

/// The inverse of [`weight_to_patch_order`], for the weight's gradient.
pub fn weight_from_patch_order(weight: &[f32], s: ConvShape) -> Vec<f32> {
    reorder_weight(weight, s, Direction::FromPatchOrder)
}

enum Direction {
    ToPatchOrder,
    FromPatchOrder,
}

fn reorder_weight(weight: &[f32], s: ConvShape, direction: Direction) -> Vec<f32> {
    let mut out = vec![0.0; weight.len()];
    for o in 0..s.c_out {
        for c in 0..s.c_in {
            for ky in 0..s.kh {
                for kx in 0..s.kw {
                    let burn = ((o * s.c_in + c) * s.kh + ky) * s.kw + kx;
                    let patch = ((o * s.kh + ky) * s.kw + kx) * s.c_in + c;
                    match direction {
                        Direction::ToPatchOrder => out[patch] = weight[burn],
                        Direction::FromPatchOrder => out[burn] = weight[patch],
                    }
                }
            }
        }
    }
    out
}
