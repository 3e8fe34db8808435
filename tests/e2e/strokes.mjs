// Handwriting-like digit sequences for the drawn-digit checks (drawn.mjs, drawn.test.mjs):
// digit glyphs as pen paths in several writing styles, and a seeded generator that lays out
// rows of them with per-digit slant, rotation, size, aspect, jitter, baseline wobble and
// spacing, in pad units (the pad is `padHeightUnits` tall, see web/src/geometry.rs).
//
// Pure: no browser, no DOM. Everything random follows from (seed, sequence index), so
// sequence i is the same whatever N is, and the short regression test draws exactly the
// first sequences of the full report.

/** Deterministic PRNG (mulberry32): returns floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for sequence `index` of run `seed` (independent streams per sequence). */
export function sequenceSeed(seed, index) {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

// ---------------------------------------------------------------------------------------
// Path primitives. Glyphs live in a box 1 unit tall (y down, 0 = top, 1 = bottom) and about
// 0.6 wide. A glyph is a function of a jitter function `j` (which nudges a control point) so
// that every drawing of it differs a little, as handwriting does.

/** Points on an ellipse from angle a0 to a1 (degrees; 0 = right, 90 = down: increasing is
 * clockwise on screen). */
function arc(cx, cy, rx, ry, a0, a1, n = 40) {
  const out = [];
  for (let i = 0; i <= n; i++) {
    const a = ((a0 + (a1 - a0) * (i / n)) * Math.PI) / 180;
    out.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  }
  return out;
}

/** A Catmull-Rom curve through the given points (a smooth pen path through them). */
function smooth(points, per = 10) {
  if (points.length < 3) return points.map((p) => [...p]);
  const p = [points[0], ...points, points[points.length - 1]];
  const out = [];
  for (let i = 1; i + 2 < p.length; i++) {
    const [p0, p1, p2, p3] = [p[i - 1], p[i], p[i + 1], p[i + 2]];
    for (let s = 0; s < per; s++) {
      const t = s / per;
      const t2 = t * t;
      const t3 = t2 * t;
      out.push([0, 1].map((k) => 0.5 * (2 * p1[k] + (-p0[k] + p2[k]) * t
        + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t2 + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t3)));
    }
  }
  out.push([...points[points.length - 1]]);
  return out;
}

/** Joins path pieces into one stroke (dropping repeated joints). */
function join(...pieces) {
  const out = [];
  for (const piece of pieces) {
    for (const q of piece) {
      const last = out[out.length - 1];
      if (!last || Math.hypot(last[0] - q[0], last[1] - q[1]) > 1e-6) out.push(q);
    }
  }
  return out;
}

const J = (j, pts) => pts.map(([x, y]) => j(x, y));

/**
 * Digit glyphs: for each digit, writing styles `{ name, strokes(j) }`, where `strokes`
 * returns pen paths (arrays of [x, y]) in stroke order. `j(x, y)` returns a jittered copy of
 * a control point (identity for the canonical shape).
 */
export const GLYPHS = {
  0: [
    { name: 'oval-ccw', strokes: (j) => [smooth(J(j, arc(0.3, 0.5, 0.28, 0.5, -90, -455, 12)), 6)] },
    { name: 'oval-cw-overshoot', strokes: (j) => [smooth(J(j, arc(0.3, 0.5, 0.3, 0.48, -110, 280, 12)), 6)] },
    { name: 'narrow-open-top', strokes: (j) => [smooth(J(j, arc(0.2, 0.5, 0.2, 0.5, -70, -410, 12)), 6)] },
    { name: 'round', strokes: (j) => [smooth(J(j, arc(0.38, 0.5, 0.38, 0.47, -80, -445, 12)), 6)] },
  ],
  1: [
    { name: 'stroke', strokes: (j) => [J(j, [[0.06, 0], [0.03, 0.5], [0, 1]])] },
    { name: 'flag', strokes: (j) => [J(j, [[-0.14, 0.2], [0.06, 0], [0.04, 0.5], [0.03, 1]])] },
    {
      name: 'flag-base',
      strokes: (j) => [J(j, [[-0.14, 0.22], [0.06, 0], [0.05, 0.5], [0.04, 0.98]]), J(j, [[-0.16, 1], [0.24, 0.99]])],
    },
  ],
  2: [
    {
      name: 'curve-flat-base',
      strokes: (j) => [join(
        smooth(J(j, [[0.02, 0.25], [0.12, 0.06], [0.32, 0], [0.52, 0.08], [0.56, 0.28], [0.4, 0.55], [0.02, 0.98]])),
        J(j, [[0.62, 0.97]]),
      )],
    },
    {
      name: 'loop-base',
      strokes: (j) => [join(
        smooth(J(j, [[0.03, 0.22], [0.16, 0.04], [0.36, 0], [0.53, 0.12], [0.52, 0.34], [0.3, 0.6],
          [0.14, 0.78], [0.05, 0.92], [0.1, 1], [0.24, 0.96], [0.28, 0.82], [0.16, 0.72], [0.03, 0.78],
          [0.04, 0.92], [0.2, 0.99], [0.4, 0.99], [0.62, 0.96]])),
      )],
    },
    {
      name: 'angular',
      strokes: (j) => [join(
        smooth(J(j, [[0.02, 0.18], [0.2, 0.01], [0.42, 0.01], [0.58, 0.18]])),
        J(j, [[0.02, 1], [0.62, 1]]),
      )],
    },
  ],
  3: [
    {
      name: 'round-bumps',
      strokes: (j) => [join(
        smooth(J(j, [[0.04, 0.12], [0.25, 0], [0.48, 0.04], [0.55, 0.22], [0.42, 0.4], [0.2, 0.47]])),
        smooth(J(j, [[0.2, 0.47], [0.48, 0.54], [0.6, 0.74], [0.46, 0.95], [0.2, 1], [0.02, 0.88]])),
      )],
    },
    {
      name: 'flat-top',
      strokes: (j) => [join(
        J(j, [[0.04, 0.02], [0.58, 0.02], [0.24, 0.42]]),
        smooth(J(j, [[0.24, 0.42], [0.5, 0.5], [0.62, 0.72], [0.48, 0.95], [0.2, 1], [0, 0.87]])),
      )],
    },
    {
      name: 'two-strokes',
      strokes: (j) => [
        smooth(J(j, [[0.04, 0.1], [0.28, 0], [0.52, 0.1], [0.46, 0.36], [0.2, 0.48]])),
        smooth(J(j, [[0.2, 0.46], [0.54, 0.58], [0.6, 0.82], [0.36, 1], [0.02, 0.9]])),
      ],
    },
  ],
  4: [
    {
      name: 'open-top',
      strokes: (j) => [J(j, [[0.1, 0], [0.05, 0.6], [0.64, 0.6]]), J(j, [[0.48, 0.02], [0.46, 1]])],
    },
    {
      name: 'closed',
      strokes: (j) => {
        const top = j(0.46, 0);
        return [[top, ...J(j, [[0, 0.68], [0.64, 0.68]])], [top, j(0.46, 1)]];
      },
    },
    { name: 'closed-one-stroke', strokes: (j) => [J(j, [[0.46, 1], [0.46, 0], [0, 0.68], [0.64, 0.68]])] },
    {
      name: 'open-diagonal',
      strokes: (j) => [J(j, [[0.34, 0], [0, 0.62], [0.64, 0.62]]), J(j, [[0.48, 0.3], [0.48, 1]])],
    },
  ],
  5: [
    {
      name: 'bar-last',
      strokes: (j) => [
        join(J(j, [[0.12, 0.02], [0.08, 0.45]]),
          smooth(J(j, [[0.08, 0.45], [0.3, 0.38], [0.55, 0.5], [0.6, 0.72], [0.45, 0.95], [0.2, 1], [0, 0.9]]))),
        J(j, [[0.12, 0.02], [0.6, 0]]),
      ],
    },
    {
      name: 'one-stroke',
      strokes: (j) => [join(J(j, [[0.6, 0], [0.12, 0.02], [0.08, 0.45]]),
        smooth(J(j, [[0.08, 0.45], [0.3, 0.38], [0.55, 0.5], [0.6, 0.72], [0.45, 0.95], [0.2, 1], [0, 0.9]])))],
    },
    {
      name: 'bar-first-round',
      strokes: (j) => [
        J(j, [[0.1, 0.03], [0.62, 0]]),
        join(J(j, [[0.14, 0.02], [0.1, 0.5]]),
          smooth(J(j, [[0.1, 0.5], [0.4, 0.42], [0.6, 0.62], [0.55, 0.88], [0.3, 1], [0.05, 0.95]]))),
      ],
    },
  ],
  6: [
    {
      name: 'curved-stem',
      strokes: (j) => [smooth(J(j, [[0.5, 0], [0.25, 0.2], [0.06, 0.55], [0.08, 0.85], [0.3, 1], [0.52, 0.88],
        [0.55, 0.68], [0.35, 0.55], [0.15, 0.62], [0.06, 0.75]]))],
    },
    {
      name: 'straight-stem',
      strokes: (j) => [join(J(j, [[0.45, 0], [0.08, 0.62]]),
        smooth(J(j, [[0.08, 0.62], [0.1, 0.9], [0.3, 1], [0.52, 0.9], [0.52, 0.66], [0.3, 0.55], [0.1, 0.65]])))],
    },
    {
      name: 'big-loop',
      strokes: (j) => [smooth(J(j, [[0.58, 0.05], [0.3, 0.05], [0.08, 0.3], [0.02, 0.65], [0.2, 0.98], [0.48, 0.95],
        [0.58, 0.7], [0.4, 0.5], [0.15, 0.55], [0.04, 0.65]]))],
    },
  ],
  7: [
    { name: 'plain', strokes: (j) => [J(j, [[0, 0.02], [0.62, 0.02], [0.22, 1]])] },
    {
      name: 'crossbar',
      strokes: (j) => [J(j, [[0, 0.02], [0.62, 0.02], [0.22, 1]]), J(j, [[0.16, 0.52], [0.6, 0.5]])],
    },
    {
      name: 'hook-curved-stem',
      strokes: (j) => [join(J(j, [[0, 0.18], [0.02, 0.02], [0.62, 0.03]]),
        smooth(J(j, [[0.62, 0.03], [0.45, 0.35], [0.33, 0.7], [0.3, 1]])))],
    },
  ],
  8: [
    {
      name: 's-and-back',
      strokes: (j) => [smooth(J(j, [[0.52, 0.12], [0.3, 0], [0.08, 0.12], [0.12, 0.35], [0.45, 0.6], [0.55, 0.82],
        [0.32, 1], [0.08, 0.85], [0.15, 0.6], [0.45, 0.38], [0.55, 0.15], [0.38, 0.02]]))],
    },
    {
      name: 'two-loops',
      strokes: (j) => [
        smooth(J(j, arc(0.3, 0.24, 0.21, 0.24, -90, -450, 10)), 6),
        smooth(J(j, arc(0.3, 0.73, 0.28, 0.27, -90, -450, 10)), 6),
      ],
    },
    {
      name: 'crossing',
      strokes: (j) => [smooth(J(j, [[0.3, 0], [0.54, 0.1], [0.5, 0.3], [0.1, 0.68], [0.28, 1], [0.56, 0.76],
        [0.1, 0.3], [0.08, 0.1], [0.3, 0]]))],
    },
  ],
  9: [
    {
      name: 'straight-stem',
      strokes: (j) => [join(smooth(J(j, arc(0.3, 0.25, 0.27, 0.24, 0, -360, 10)), 6), J(j, [[0.55, 1]]))],
    },
    {
      name: 'curved-stem',
      strokes: (j) => [join(smooth(J(j, arc(0.3, 0.25, 0.27, 0.24, 0, -360, 10)), 6),
        smooth(J(j, [[0.57, 0.25], [0.56, 0.6], [0.45, 0.9], [0.25, 1], [0.05, 0.92]])))],
    },
    {
      name: 'loop-then-stem',
      strokes: (j) => [smooth(J(j, arc(0.28, 0.26, 0.26, 0.25, -30, -395, 10)), 6), J(j, [[0.53, 0.04], [0.5, 1]])],
    },
  ],
};

/**
 * Typeface digits as a pen traces them: a sans-serif (Helvetica/Arial-like: an S-curved 2
 * on a flat base, a closed 4, a 6 and 9 on a curved spine) and a serif (Times-like: a 1
 * and a 4 standing on a base, a 7 with a tick, a 2 whose base turns up). Drawn the way a
 * person copies print, in the glyphs' stroke order; used by `glyphs: 'typeface'`.
 */
export const TYPEFACE_GLYPHS = {
  0: [
    { name: 'sans', strokes: (j) => [smooth(J(j, arc(0.27, 0.5, 0.27, 0.5, -90, -450, 12)), 6)] },
    { name: 'serif', strokes: (j) => [smooth(J(j, arc(0.3, 0.5, 0.3, 0.5, -100, -460, 12)), 6)] },
  ],
  1: [
    { name: 'sans', strokes: (j) => [J(j, [[0.08, 0.24], [0.3, 0.02], [0.3, 1]])] },
    {
      name: 'serif',
      strokes: (j) => [J(j, [[0.1, 0.14], [0.3, 0], [0.3, 1]]), J(j, [[0.06, 1], [0.54, 1]])],
    },
  ],
  2: [
    {
      name: 'sans',
      strokes: (j) => [join(smooth(J(j, [[0.04, 0.3], [0.12, 0.08], [0.3, 0], [0.5, 0.06], [0.58, 0.25],
        [0.5, 0.45], [0.2, 0.68], [0.04, 0.88], [0.02, 1]])), J(j, [[0.6, 1]]))],
    },
    {
      name: 'serif',
      strokes: (j) => [join(smooth(J(j, [[0.05, 0.22], [0.18, 0.04], [0.34, 0], [0.52, 0.1], [0.54, 0.3],
        [0.36, 0.58], [0.02, 1]])), J(j, [[0.56, 1], [0.62, 0.88]]))],
    },
  ],
  3: [
    {
      name: 'sans',
      strokes: (j) => [join(
        smooth(J(j, [[0.04, 0.22], [0.14, 0.04], [0.32, 0], [0.5, 0.08], [0.54, 0.24], [0.44, 0.4], [0.24, 0.46]])),
        smooth(J(j, [[0.24, 0.46], [0.5, 0.52], [0.6, 0.72], [0.52, 0.92], [0.3, 1], [0.1, 0.94], [0.02, 0.76]])),
      )],
    },
    {
      name: 'serif',
      strokes: (j) => [join(
        smooth(J(j, [[0.06, 0.14], [0.24, 0], [0.44, 0.04], [0.5, 0.2], [0.4, 0.38], [0.2, 0.46]])),
        smooth(J(j, [[0.2, 0.46], [0.46, 0.5], [0.6, 0.7], [0.54, 0.9], [0.34, 1], [0.12, 0.98], [0.02, 0.9]])),
      )],
    },
  ],
  4: [
    { name: 'sans', strokes: (j) => [J(j, [[0.44, 0], [0, 0.7], [0.62, 0.7]]), J(j, [[0.44, 0.02], [0.44, 1]])] },
    {
      name: 'serif',
      strokes: (j) => [J(j, [[0.42, 0], [0, 0.68], [0.62, 0.68]]), J(j, [[0.42, 0.02], [0.42, 1]]),
        J(j, [[0.26, 1], [0.58, 1]])],
    },
  ],
  5: [
    {
      name: 'sans',
      strokes: (j) => [join(J(j, [[0.56, 0], [0.12, 0], [0.06, 0.48]]),
        smooth(J(j, [[0.06, 0.48], [0.3, 0.38], [0.52, 0.46], [0.6, 0.68], [0.52, 0.9], [0.3, 1], [0.1, 0.96], [0.02, 0.82]])))],
    },
    {
      name: 'serif',
      strokes: (j) => [join(J(j, [[0.58, 0], [0.14, 0.02], [0.08, 0.44]]),
        smooth(J(j, [[0.08, 0.44], [0.36, 0.4], [0.56, 0.54], [0.58, 0.78], [0.4, 0.96], [0.16, 1], [0.02, 0.92]])))],
    },
  ],
  6: [
    {
      name: 'sans',
      strokes: (j) => [smooth(J(j, [[0.56, 0.14], [0.44, 0.02], [0.28, 0], [0.1, 0.12], [0.02, 0.45], [0.04, 0.8],
        [0.24, 1], [0.48, 0.96], [0.6, 0.76], [0.52, 0.52], [0.3, 0.44], [0.1, 0.52], [0.03, 0.64]]))],
    },
    {
      name: 'serif',
      strokes: (j) => [smooth(J(j, [[0.52, 0], [0.3, 0.1], [0.1, 0.32], [0.02, 0.62], [0.1, 0.92], [0.3, 1],
        [0.52, 0.9], [0.58, 0.68], [0.44, 0.5], [0.22, 0.48], [0.06, 0.58]]))],
    },
  ],
  7: [
    { name: 'sans', strokes: (j) => [join(J(j, [[0, 0], [0.6, 0]]), smooth(J(j, [[0.6, 0], [0.42, 0.36], [0.3, 0.7], [0.24, 1]])))] },
    { name: 'serif', strokes: (j) => [J(j, [[0.02, 0.16], [0.04, 0], [0.6, 0], [0.26, 1]])] },
  ],
  8: [
    {
      name: 'sans',
      strokes: (j) => [smooth(J(j, [[0.3, 0.46], [0.1, 0.36], [0.08, 0.14], [0.3, 0], [0.52, 0.14], [0.5, 0.36],
        [0.3, 0.46], [0.06, 0.58], [0.02, 0.82], [0.3, 1], [0.58, 0.82], [0.54, 0.58], [0.3, 0.46]]))],
    },
    {
      name: 'serif',
      strokes: (j) => [smooth(J(j, [[0.5, 0.12], [0.3, 0], [0.1, 0.12], [0.14, 0.32], [0.46, 0.58], [0.56, 0.82],
        [0.3, 1], [0.04, 0.84], [0.12, 0.6], [0.44, 0.38], [0.52, 0.2], [0.5, 0.12]]))],
    },
  ],
  9: [
    {
      name: 'sans',
      strokes: (j) => [join(smooth(J(j, [[0.58, 0.34], [0.5, 0.5], [0.3, 0.56], [0.08, 0.46], [0.02, 0.26], [0.12, 0.06],
        [0.3, 0], [0.5, 0.06], [0.58, 0.34]])), smooth(J(j, [[0.58, 0.34], [0.56, 0.7], [0.44, 0.94], [0.26, 1], [0.08, 0.9]])))],
    },
    {
      name: 'serif',
      strokes: (j) => [join(smooth(J(j, [[0.56, 0.3], [0.44, 0.5], [0.24, 0.52], [0.06, 0.38], [0.06, 0.14], [0.26, 0],
        [0.48, 0.06], [0.58, 0.3]])), smooth(J(j, [[0.58, 0.3], [0.5, 0.62], [0.3, 0.88], [0.06, 1]])))],
    },
  ],
};

// ---------------------------------------------------------------------------------------
// Geometry helpers.

export function bounds(strokes) {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const s of strokes) {
    for (const [x, y] of s) {
      minX = Math.min(minX, x); maxX = Math.max(maxX, x);
      minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    }
  }
  return { minX, minY, maxX, maxY, w: maxX - minX, h: maxY - minY };
}

/** Resamples a polyline at (about) equal arc-length steps; keeps both ends. */
export function resample(points, step) {
  if (points.length < 2) return points.map((p) => [...p]);
  const out = [[...points[0]]];
  let carry = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i], points[i + 1]];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    let t = step - carry;
    while (t <= len) {
      out.push([a[0] + ((b[0] - a[0]) * t) / len, a[1] + ((b[1] - a[1]) * t) / len]);
      t += step;
    }
    carry = len - (t - step);
  }
  const last = points[points.length - 1];
  const prev = out[out.length - 1];
  if (Math.hypot(prev[0] - last[0], prev[1] - last[1]) > step * 0.25) out.push([...last]);
  else out[out.length - 1] = [...last];
  return out;
}

/**
 * Groups digits the way the page's segmentation does (model/src/segment.rs `segment`):
 * strokes sorted by left edge, joined while their horizontal extents overlap (join_gap 0),
 * strokes smaller than `minExtent` on both axes dropped. Returns the number of groups. (The
 * page also joins a stroke that starts or ends on an earlier stroke's ink; the generator's
 * gaps are wider than the ink, so that never joins two of its digits.)
 */
export function segmentCount(strokes, minExtent) {
  const spans = strokes.map((s) => bounds([s]))
    .filter((b) => b.w >= minExtent || b.h >= minExtent)
    .sort((a, b) => a.minX - b.minX);
  let groups = 0;
  let end = -Infinity;
  for (const b of spans) {
    if (b.minX <= end) end = Math.max(end, b.maxX);
    else { groups++; end = b.maxX; }
  }
  return groups;
}

// ---------------------------------------------------------------------------------------
// The generator.

/** Defaults: a 1280×900 viewport gives a pad of about 1084×280 CSS px = 774×200 units. */
export const DEFAULTS = {
  padWidthUnits: 774,
  padHeightUnits: 200,
  minLength: 3,
  maxLength: 12,
  /** Share of sequences that contain at least one 4 (the reference's test set: ≈ 60%). */
  fourShare: 0.6,
  /** Pen samples every this many pad units (≈ 5.6 CSS px at 1.4 px/unit: about 25–80 mouse
   * events per digit, like a 60–120 Hz mouse or pen at a brisk writing speed). */
  step: 4,
  /** Ink width on the pad (web/src/geometry.rs INK_WIDTH): gaps stay wider than this. */
  inkWidth: 7,
  /** 'bbox': the gap is between the digits' bounding boxes, so no two digits overlap
   * horizontally (what the page's segmentation needs). 'visual': the gap is between the
   * inks (2D), as a reader sees it; slanted neighbours' boxes may then overlap, which the
   * page's segmentation merges (for studying that, not for the report). */
  spacing: 'bbox',
  /** Widens the per-digit ranges (jitter, aspect, slant, rotation, wobble) about their
   * middles: 1 is the report's handwriting (jitter ±1.2–3%, aspect 0.8–1.25, slant −0.1…0.35,
   * rotation ±7°), 2 twice as wild. For finding where reading breaks. */
  variation: 1,
  /** Gaps between neighbours, in row heights: uniform in [lo, hi]; centre lines at least
   * `inkWidth` + 3 pad units apart, or with `touching` `inkWidth` (the inks touch; closer,
   * one digit's ink would lie on the other's, which no reader could take apart). */
  gapRange: [0.12, 0.45],
  touching: false,
  /** Per-digit height, in shares of the row's (small and large digits in one row). */
  sizeRange: [0.85, 1.1],
  /** Per-digit slant (x shift per unit of height, > 0 leaning right), before `variation`. */
  slantRange: [-0.1, 0.35],
  /** Share of multi-stroke digits (not the row's last) whose last stroke is written after
   * the next digit: a bar or stem added to a digit after moving on. */
  corrections: 0,
  /** 'handwriting' (GLYPHS) or 'typeface' (TYPEFACE_GLYPHS): the digits' shapes. */
  glyphs: 'handwriting',
  /** Writing speed, for drawing rows in real time (`drawn.mjs --pace real`): each row's
   * writer moves the pen at a speed in `penSpeed` (pad units per ms: about 7–30 cm/s on a
   * laptop screen) and lifts it between strokes for a time in the range of the kind of
   * move (ms); one draw per row puts a writer between the fast and the slow end of every
   * range. */
  timing: {
    penSpeed: [0.2, 0.8],
    withinDigit: [40, 250],
    betweenDigits: [80, 600],
    backToEarlierDigit: [250, 1000],
  },
};

/** Tight rows, as issue 14's kept-aside set: inks from touching to 0.15 row heights apart
 * (measured between the inks, so slanted neighbours' boxes overlap), slant up to 0.45. */
export const TIGHT = { spacing: 'visual', gapRange: [0, 0.15], touching: true, slantRange: [-0.1, 0.45] };

const U = (rng, lo, hi) => lo + (hi - lo) * rng();
const pick = (rng, list) => list[Math.floor(rng() * list.length) % list.length];

/** Random digits for one sequence: a 4 in about `fourShare` of them, else none. */
function chooseDigits(rng, length, fourShare) {
  const withFour = rng() < fourShare;
  const others = [0, 1, 2, 3, 5, 6, 7, 8, 9];
  const digits = Array.from({ length }, () => (withFour ? Math.floor(rng() * 10) : pick(rng, others)));
  if (withFour && !digits.includes(4)) digits[Math.floor(rng() * length)] = 4;
  return digits;
}

/**
 * One handwritten digit, in a local frame 1 unit tall, centred on x = 0, y = 0.5: the
 * glyph's style drawn with control-point jitter, then aspect, slant and rotation; plus a
 * slow wobble along each stroke (an unsteady hand).
 */
function handwrite(rng, style, v = 1, slantRange = DEFAULTS.slantRange) {
  // `v` widens every range about its middle (1: as documented in DEFAULTS.variation).
  const widen = (x, mid) => (v === 1 ? x : mid + (x - mid) * v);
  const jitter = widen(U(rng, 0.012, 0.03), 0);
  const j = (x, y) => [x + U(rng, -jitter, jitter), y + U(rng, -jitter, jitter)];
  const raw = style.strokes(j);
  const b = bounds(raw);
  const aspect = Math.max(0.3, widen(U(rng, 0.8, 1.25), 1));
  const [slantLo, slantHi] = slantRange;
  // > 0: leaning right, as most people write
  const slant = widen(U(rng, slantLo, slantHi), (slantLo + slantHi) / 2);
  const rot = (widen(U(rng, -7, 7), 0) * Math.PI) / 180;
  const [cos, sin] = [Math.cos(rot), Math.sin(rot)];
  const cx = (b.minX + b.maxX) / 2;
  const strokes = raw.map((stroke) => {
    const dense = resample(stroke, 0.01);
    const waves = [0, 1].map(() => ({ amp: widen(U(rng, 0, 0.012), 0), freq: U(rng, 1, 3), phase: U(rng, 0, 2 * Math.PI) }));
    return dense.map(([x, y], i) => {
      const t = i / Math.max(1, dense.length - 1);
      const wob = waves.map((w) => w.amp * Math.sin(2 * Math.PI * w.freq * t + w.phase));
      let px = (x - cx) * aspect + wob[0];
      let py = (y - b.minY) / Math.max(b.h, 1e-6) - 0.5 + wob[1];
      px += slant * -py; // top (py < 0) moves right for slant > 0
      return [px * cos - py * sin, px * sin + py * cos + 0.5];
    });
  });
  return { strokes, style: style.name };
}

/**
 * Sequence `index` of run `seed`: `{ index, seed, digits, styles, strokes, strokeDigits,
 * digitStrokes }`, with `strokes` the pen paths in pad units in drawing order (left to right,
 * each digit's strokes in its style's order, corrections aside), `strokeDigits[j]` the digit
 * stroke j belongs to, and `digitStrokes[i]` the strokes of digit i.
 */
export function makeSequence(seed, index, options = {}) {
  const o = { ...DEFAULTS, ...options };
  const rng = mulberry32(sequenceSeed(seed, index));
  const length = o.minLength + Math.floor(rng() * (o.maxLength - o.minLength + 1));
  const digits = chooseDigits(rng, length, o.fourShare);
  const glyphs = { handwriting: GLYPHS, typeface: TYPEFACE_GLYPHS }[o.glyphs];
  if (!glyphs) throw new Error(`glyphs: 'handwriting' or 'typeface', not ${o.glyphs}`);
  const written = digits.map((d) => {
    const style = glyphs[d][Math.floor(rng() * glyphs[d].length)];
    // Rarely, jitter pulls a separate stroke (a 9's stem) clear of the rest of its digit,
    // which would then be read as two: write that digit again.
    for (;;) {
      const w = handwrite(rng, style, o.variation, o.slantRange);
      if (segmentCount(w.strokes, 0.04) === 1) return w;
    }
  });
  const sizes = digits.map(() => U(rng, o.sizeRange[0], o.sizeRange[1]));
  const gaps = digits.map(() => U(rng, o.gapRange[0], o.gapRange[1]));
  const wobble = digits.map(() => U(rng, -0.07, 0.07));
  const H = o.padHeightUnits;
  const marginL = U(rng, 0.02, 0.06) * o.padWidthUnits;
  const usable = o.padWidthUnits * 0.95 - marginL;
  const minGap = o.touching ? o.inkWidth : o.inkWidth + 3;
  // A natural size (45–75% of the pad's height), shrunk until the row fits the pad.
  let height = U(rng, 0.45, 0.75) * H;
  const rowWidth = (h) => written.reduce((sum, w, i) => sum + bounds(w.strokes).w * h * sizes[i]
    + (i + 1 < written.length ? Math.max(minGap, gaps[i] * h) : 0), 0);
  for (let k = 0; k < 20 && rowWidth(height) > usable; k++) height *= usable / rowWidth(height) * 0.999;
  const centreY = H / 2 + U(rng, -0.06, 0.06) * H;
  let cursor = marginL; // 'bbox' spacing: where the next digit's box starts
  let previous = null; // 'visual' spacing: ink points of the digit to the left
  const digitStrokes = written.map((w, i) => {
    const s = height * sizes[i];
    const b = bounds(w.strokes);
    const dy = centreY + wobble[i] * height - 0.5 * s;
    const local = w.strokes.map((stroke) => resample(stroke.map(([x, y]) => [
      (x - b.minX) * s,
      Math.min(H - 4, Math.max(4, dy + y * s)),
    ]), o.step));
    let offset = cursor;
    cursor += b.w * s + Math.max(minGap, gaps[i] * height);
    if (previous && o.spacing === 'visual') {
      // The gap a reader sees: the inks of neighbours stay `gap` apart (in 2D), but their
      // boxes may overlap (a slanted digit's top over its neighbour's foot, a 4's bar
      // under the next digit).
      const gap = Math.max(minGap, gaps[i - 1] * height);
      const mine = local.flatMap((stroke) => resample(stroke, 2));
      offset = -Infinity;
      for (const [px, py] of previous) {
        for (const [qx, qy] of mine) {
          const dy = Math.abs(py - qy);
          if (dy < gap) offset = Math.max(offset, px - qx + Math.sqrt(gap * gap - dy * dy));
        }
      }
      if (offset === -Infinity) offset = cursor;
    }
    const placed = local.map((stroke) => stroke.map(([x, y]) => [x + offset, y]));
    if (o.spacing === 'visual') previous = placed.flatMap((stroke) => resample(stroke, 2));
    return placed;
  });
  // Writing order: digit by digit, except corrected digits' last strokes, which come after
  // the next digit's. No random draws without corrections (rows stay as they were).
  const order = digitStrokes.flatMap((strokes, i) => strokes.map((_, k) => [i, k]));
  if (o.corrections > 0) {
    for (let i = digitStrokes.length - 2; i >= 0; i--) {
      const n = digitStrokes[i].length;
      if (n < 2 || rng() >= o.corrections) continue;
      const at = order.findIndex(([d, k]) => d === i && k === n - 1);
      const [late] = order.splice(at, 1);
      const afterNext = order.findLastIndex(([d]) => d === i + 1);
      order.splice(afterNext + 1, 0, late);
    }
  }
  const strokeDigits = order.map(([d]) => d);
  return {
    index,
    seed,
    digits,
    styles: written.map((w) => w.style),
    height,
    strokes: order.map(([d, k]) => digitStrokes[d][k]),
    /** Which digit each stroke of `strokes` belongs to. */
    strokeDigits,
    digitStrokes,
    timing: writingTime(seed, index, strokeDigits, o),
  };
}

/**
 * When a writer puts down each stroke: `{ sampleMs, pauses }`, the time between pen
 * samples (`step` units apart) and the pen-up time before each stroke (0 before the
 * first). From its own random stream, so the rows' shapes do not depend on it.
 */
function writingTime(seed, index, strokeDigits, o) {
  const rng = mulberry32(sequenceSeed(seed, index) ^ 0x5bd1e995);
  const slowness = rng(); // 0: the fast end of every range, 1: the slow end
  const at = ([lo, hi], x) => lo + (hi - lo) * x;
  const t = o.timing;
  const speed = at([...t.penSpeed].reverse(), slowness);
  const pauses = strokeDigits.map((d, j) => {
    if (j === 0) return 0;
    const before = strokeDigits[j - 1];
    const range = d === before ? t.withinDigit : d < before ? t.backToEarlierDigit : t.betweenDigits;
    return Math.round(at(range, (slowness + rng()) / 2));
  });
  return { sampleMs: o.step / speed, pauses };
}

/** Sequences 0 … n−1 of run `seed`. */
export function makeSequences(seed, n, options = {}) {
  return Array.from({ length: n }, (_, i) => makeSequence(seed, i, options));
}
