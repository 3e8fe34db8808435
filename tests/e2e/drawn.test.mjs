// Drawn digits, short regression: the first 20 sequences of the drawn-digit report (seed 1,
// strokes.mjs) drawn on the real page with mouse events, on the CPU backend. Segmentation
// must be exact and "contains a 4?" right often enough; `npm run drawn` is the full report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveAndLaunch, openPage, waitReady } from './harness.mjs';
import {
  GLYPHS, TYPEFACE_GLYPHS, DEFAULTS, TIGHT, bounds, makeSequence, makeSequences, segmentCount,
} from './strokes.mjs';
import {
  padGeometry, generatorOptions, clearPad, drawWithMouse, settle, readPage, runSequences, summarise,
  writtenGroups,
} from './drawn.mjs';

const SEED = 1;
const COUNT = 20;
// Thresholds from the full report (`npm run drawn`: 200 sequences of seed 1, CPU, weights
// 2fea8c83…, 2026-12-07): digit 4 right in 200/200, all-ten-digit answers right in
// 1999/2000 (99.95%), segmentation exact in 200/200; these first 20 sequences: 20/20 and 200/200.
// Drawing is deterministic, so for given weights this test always passes or always fails.
// The bars are the target (97%) seen through 20 sequences: a model whose drawn
// digit-4 accuracy is 97% makes ≤ 2 mistakes in 20 with probability 0.98, one at 90% only
// with 0.68, one at 80% with 0.21; and ≤ 6 of 200 all-digit answers wrong is 97%.
// A preprocessing or segmentation regression (wrong centring, scaling, inversion, a
// join_gap that merges neighbours) fails it at once.
const MIN_DIGIT4_CORRECT = 18;
const MAX_WRONG_ANSWERS = 6;
// Tight rows (strokes.mjs' TIGHT: touching, slanted), the first 20 of the tight report
// (`npm run drawn -- --tight`: 200 of seed 1, same weights, 2026-12-07): digit 4 200/200,
// answers 2000/2000, segmentation 200/200; the first 20: 20/20 segmented, 20/20 digit 4, 0 of
// 200 answers wrong. The bars are the issue's
// targets (segmentation and digit 4 ≥ 99%, all ten ≥ 98%) seen through 20 rows: ≥ 19/20 holds
// at 99% with probability 0.98, ≤ 8 of 200 answers wrong at 98% with 0.98. Segmentation
// by overlap alone, as before, got 1 row of 200 right.
const MIN_TIGHT_SEGMENTED = 19;
const MIN_TIGHT_DIGIT4_CORRECT = 19;
const MAX_TIGHT_WRONG_ANSWERS = 8;

test('the generator: several styles per digit, deterministic, gaps between digits, all on the pad', () => {
  for (let d = 0; d <= 9; d++) assert.ok(GLYPHS[d].length >= 3, `digit ${d}: ${GLYPHS[d].length} styles`);
  assert.deepEqual(makeSequence(SEED, 7), makeSequence(SEED, 7));
  assert.notDeepEqual(makeSequence(SEED, 7).strokes, makeSequence(SEED + 1, 7).strokes);
  const seqs = makeSequences(SEED, 300);
  const withFour = seqs.filter((s) => s.digits.includes(4)).length / seqs.length;
  assert.ok(withFour > 0.5 && withFour < 0.7, `share with a 4: ${withFour}`);
  const minExtent = 0.04 * DEFAULTS.padHeightUnits; // SegmentOptions::for_pad_height
  const used = new Set();
  for (const s of seqs) {
    assert.ok(s.digits.length >= DEFAULTS.minLength && s.digits.length <= DEFAULTS.maxLength);
    // The page's segmentation must find exactly the digits written, in order.
    assert.equal(segmentCount(s.strokes, minExtent), s.digits.length, `sequence ${s.index}`);
    s.digitStrokes.forEach((strokes, i) => {
      assert.equal(segmentCount(strokes, minExtent), 1, `sequence ${s.index}, digit ${i} falls apart`);
      if (i > 0) {
        const gap = bounds(strokes).minX - bounds(s.digitStrokes[i - 1]).maxX;
        assert.ok(gap > DEFAULTS.inkWidth, `sequence ${s.index}: gap ${gap} before digit ${i}`);
      }
    });
    const b = bounds(s.strokes);
    assert.ok(b.minX > 0 && b.maxX < DEFAULTS.padWidthUnits && b.minY > 0 && b.maxY < DEFAULTS.padHeightUnits,
      `sequence ${s.index} leaves the pad: ${JSON.stringify(b)}`);
    for (const stroke of s.strokes) {
      for (let k = 1; k < stroke.length; k++) {
        const step = Math.hypot(stroke[k][0] - stroke[k - 1][0], stroke[k][1] - stroke[k - 1][1]);
        // Resampling ends each stroke on its last point: that step may be up to 1.25×.
        assert.ok(step <= 1.25 * DEFAULTS.step + 1e-6, `sequence ${s.index}: a pen jump of ${step} units`);
      }
    }
    s.digits.forEach((d, i) => used.add(`${d}/${s.styles[i]}`));
  }
  const styles = Object.values(GLYPHS).reduce((n, list) => n + list.length, 0);
  assert.equal(used.size, styles, 'every style is drawn somewhere in 300 sequences');
});

const site = serveAndLaunch();
let page;
let context;

/** Draws `seq` on an empty pad with the mouse (`how`: drawWithMouse's options) and returns
 * the crops' pixels and what the page shows once it has read them. */
async function drawAndRead(seq, geometry, how) {
  await clearPad(page);
  await drawWithMouse(page, seq, geometry, how);
  await settle(page);
  const crops = await page.evaluate(() => [...document.querySelectorAll('#crops canvas')]
    .map((c) => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0))));
  return { crops, read: await readPage(page) };
}
before(async () => {
  await site.ready;
  ({ context, page } = await openPage(site.browser, site.url, 'cpu'));
  await waitReady(page);
});
after(async () => {
  await context?.close();
});

test('the tight generator: inks from touching to 0.15 row heights apart, slanted, on the pad', () => {
  const seqs = makeSequences(SEED, 100, TIGHT);
  assert.deepEqual(makeSequence(SEED, 7, TIGHT), makeSequence(SEED, 7, TIGHT));
  // The defaults' rows are untouched by the preset's existence.
  assert.notDeepEqual(makeSequence(SEED, 7, TIGHT).strokes, makeSequence(SEED, 7).strokes);
  const points = (strokes) => strokes.flat();
  let pairs = 0;
  let touching = 0;
  let overlappingBoxes = 0;
  for (const s of seqs) {
    const b = bounds(s.strokes);
    assert.ok(b.minX > 0 && b.maxX < DEFAULTS.padWidthUnits && b.minY > 0 && b.maxY < DEFAULTS.padHeightUnits,
      `sequence ${s.index} leaves the pad: ${JSON.stringify(b)}`);
    for (let i = 1; i < s.digitStrokes.length; i++) {
      const [left, right] = [points(s.digitStrokes[i - 1]), points(s.digitStrokes[i])];
      let nearest = Infinity;
      for (const [px, py] of left) for (const [qx, qy] of right) nearest = Math.min(nearest, Math.hypot(px - qx, py - qy));
      // Placed on a 2-unit resampling, drawn on a `step`-unit one: a few units of slack.
      assert.ok(nearest <= TIGHT.gapRange[1] * s.height + DEFAULTS.step, `sequence ${s.index}, digit ${i}: inks ${nearest} apart`);
      // Touching at most: no digit's ink lies on its neighbour's.
      assert.ok(nearest >= DEFAULTS.inkWidth - DEFAULTS.step, `sequence ${s.index}, digit ${i}: centre lines ${nearest} apart`);
      pairs++;
      if (nearest < DEFAULTS.inkWidth + DEFAULTS.step) touching++;
      if (bounds(s.digitStrokes[i]).minX < bounds(s.digitStrokes[i - 1]).maxX) overlappingBoxes++;
    }
  }
  assert.ok(touching > 0.2 * pairs, `${touching} of ${pairs} neighbours touch`);
  assert.ok(overlappingBoxes > 0.4 * pairs, `${overlappingBoxes} of ${pairs} neighbours' boxes overlap`);
});

test('typeface rows: print shapes in place of handwriting, same layout, each digit whole', () => {
  for (let d = 0; d <= 9; d++) assert.deepEqual(TYPEFACE_GLYPHS[d].map((g) => g.name), ['sans', 'serif'], `digit ${d}`);
  const minExtent = 0.04 * DEFAULTS.padHeightUnits;
  const seen = new Set();
  for (let i = 0; i < 100; i++) {
    const [hand, print] = [makeSequence(SEED, i), makeSequence(SEED, i, { glyphs: 'typeface' })];
    assert.deepEqual(print.digits, hand.digits);
    assert.notDeepEqual(print.strokes, hand.strokes);
    print.styles.forEach((style, k) => seen.add(`${print.digits[k]}/${style}`));
    assert.equal(segmentCount(print.strokes, minExtent), print.digits.length, `sequence ${i}`);
    const b = bounds(print.strokes);
    assert.ok(b.minX > 0 && b.maxX < DEFAULTS.padWidthUnits && b.minY > 0 && b.maxY < DEFAULTS.padHeightUnits,
      `sequence ${i} leaves the pad: ${JSON.stringify(b)}`);
  }
  assert.equal(seen.size, 20, [...seen].join(' '));
  assert.throws(() => makeSequence(SEED, 0, { glyphs: 'gothic' }), /glyphs/);
});

test('mixed sizes: digit heights spread as asked, the rows otherwise laid out as usual', () => {
  const minExtent = 0.04 * DEFAULTS.padHeightUnits;
  const spread = (options) => makeSequences(SEED, 100, options).map((s) => {
    assert.equal(segmentCount(s.strokes, minExtent), s.digits.length, `sequence ${s.index}`);
    const heights = s.digitStrokes.map((strokes) => bounds(strokes).h);
    return Math.max(...heights) / Math.min(...heights);
  });
  const [usual, mixed] = [spread({}), spread({ sizeRange: [0.6, 1.3] })];
  assert.ok(Math.max(...usual) < 1.6, `usual rows: tallest / shortest digit up to ${Math.max(...usual)}`);
  assert.ok(mixed.filter((r) => r > 1.6).length > 30, `mixed rows with a spread over 1.6: ${mixed.filter((r) => r > 1.6).length}`);
});

test('corrections: a digit\'s last stroke written after the next digit, the row otherwise the same', () => {
  let moved = 0;
  for (let i = 0; i < 50; i++) {
    const [plain, corrected] = [makeSequence(SEED, i), makeSequence(SEED, i, { corrections: 1 })];
    assert.deepEqual(corrected.digitStrokes, plain.digitStrokes);
    assert.deepEqual(plain.strokeDigits, [...plain.strokeDigits].sort((a, b) => a - b));
    assert.equal(corrected.strokes.length, plain.strokes.length);
    corrected.strokes.forEach((stroke, j) => assert.ok(corrected.digitStrokes[corrected.strokeDigits[j]].includes(stroke)));
    // Every multi-stroke digit but the last: its last stroke right after the next digit's.
    corrected.digitStrokes.slice(0, -1).forEach((strokes, d) => {
      if (strokes.length < 2) return;
      const at = corrected.strokes.indexOf(strokes.at(-1));
      assert.equal(corrected.strokeDigits[at - 1], d + 1, `sequence ${i}, digit ${d}`);
      moved++;
    });
  }
  assert.ok(moved > 20, `${moved} corrections`);
});

test('writing time: a pen speed and pen-up pauses per row, by kind of move, the shapes untouched', () => {
  const t = DEFAULTS.timing;
  const within = ([lo, hi], x) => x >= lo && x <= hi;
  const speeds = [];
  for (let i = 0; i < 50; i++) {
    const s = makeSequence(SEED, i, { ...TIGHT, corrections: 0.3 });
    assert.deepEqual(makeSequence(SEED, i, { ...TIGHT, corrections: 0.3, timing: { ...t, penSpeed: [1, 1] } }).strokes, s.strokes);
    const speed = DEFAULTS.step / s.timing.sampleMs;
    assert.ok(within(t.penSpeed, speed), `sequence ${i}: pen speed ${speed}`);
    speeds.push(speed);
    assert.equal(s.timing.pauses.length, s.strokes.length);
    assert.equal(s.timing.pauses[0], 0);
    s.timing.pauses.slice(1).forEach((ms, k) => {
      const [before, d] = [s.strokeDigits[k], s.strokeDigits[k + 1]];
      const range = d === before ? t.withinDigit : d < before ? t.backToEarlierDigit : t.betweenDigits;
      assert.ok(within(range, ms), `sequence ${i}, stroke ${k + 1}: ${ms} ms for ${before} → ${d}`);
    });
  }
  // Writers differ: fast and slow ones both come up.
  assert.ok(Math.min(...speeds) < 0.35 && Math.max(...speeds) > 0.65, `pen speeds ${Math.min(...speeds)}–${Math.max(...speeds)}`);
});

test('a row written at a hand\'s pace, the page reading as the pen moves, ends as when drawn back to back', async () => {
  // Tight rows with a stroke added to an earlier digit (seed 1, corrections 0.3: 8 "784" and
  // 22 "410" by fast writers, 70 "6564" by a slow one): drawn on time, pauses and all, the
  // page reads half-drawn strokes and every pen-up on the way; the crops and answers it ends
  // with must not depend on that.
  const geometry = await padGeometry(page);
  for (const index of [8, 22, 70]) {
    const seq = makeSequence(SEED, index, { ...generatorOptions(geometry), ...TIGHT, corrections: 0.3 });
    assert.ok(seq.strokeDigits.some((d, j) => d < seq.strokeDigits[j - 1]), `sequence ${index} has no correction`);
    const shown = {};
    for (const pace of ['real', 'fast']) shown[pace] = await drawAndRead(seq, geometry, { pace });
    // Each correction joins its digit, drawn on time or not.
    assert.deepEqual(shown.real.read.groups, writtenGroups(seq), `sequence ${index}`);
    assert.deepEqual(shown.fast.read.groups, writtenGroups(seq), `sequence ${index}`);
    assert.deepEqual(shown.real.crops, shown.fast.crops, `sequence ${index}`);
    assert.deepEqual(shown.real.read.probabilities, shown.fast.read.probabilities, `sequence ${index}`);
  }
});

test('the fast mouse path draws exactly what page.mouse draws', async () => {
  // A short sequence with a 4 (index 8: "784"), once with playwright's page.mouse, once with
  // queued CDP mouse events (what the report uses): same crops, same probabilities.
  const geometry = await padGeometry(page);
  const seq = makeSequence(SEED, 8, generatorOptions(geometry));
  assert.ok(seq.digits.includes(4) && seq.digits.length === 3, seq.digits.join(''));
  const shown = {};
  for (const input of ['playwright', 'cdp']) shown[input] = await drawAndRead(seq, geometry, { input });
  assert.equal(shown.cdp.read.crops, 3);
  assert.deepEqual(shown.cdp.crops, shown.playwright.crops);
  assert.deepEqual(shown.cdp.read.probabilities, shown.playwright.read.probabilities);
});

test(`${COUNT} drawn sequences: exact segmentation, digit 4 right in ≥ ${MIN_DIGIT4_CORRECT}, ≤ ${MAX_WRONG_ANSWERS} answers wrong`, async () => {
  const { rows } = await runSequences(page, { n: COUNT, seed: SEED });
  const s = summarise(rows);
  const detail = rows.map((r) => `${r.index}: ${r.digits} crops ${r.crops} P(4) ${r.four.probability?.toFixed(3)}`).join('\n');
  assert.ok(s.shownAnswerMatchesProbabilities, 'the answer shown disagrees with the probabilities');
  assert.equal(s.segmentation.exact, COUNT, `segmentation wrong:\n${JSON.stringify(s.segmentation.wrong)}`);
  assert.ok(s.digit4.correct >= MIN_DIGIT4_CORRECT, `digit 4 right in ${s.digit4.correct}/${COUNT}:\n${detail}`);
  const wrong = s.allDigits.answers - s.allDigits.correctAnswers;
  assert.ok(wrong <= MAX_WRONG_ANSWERS, `${wrong} of ${s.allDigits.answers} "contains d?" answers wrong `
    + `(missed ${JSON.stringify(s.missedByDigit)}, hallucinated ${JSON.stringify(s.hallucinatedByDigit)}):\n${detail}`);
});

test(`${COUNT} tight rows: segmentation exact in ≥ ${MIN_TIGHT_SEGMENTED}, digit 4 right in ≥ ${MIN_TIGHT_DIGIT4_CORRECT}, ≤ ${MAX_TIGHT_WRONG_ANSWERS} answers wrong`, async () => {
  const { rows } = await runSequences(page, { n: COUNT, seed: SEED, generator: TIGHT });
  const s = summarise(rows);
  const detail = rows.map((r) => `${r.index}: ${r.digits} crops ${r.crops} P(4) ${r.four.probability?.toFixed(3)}`).join('\n');
  assert.ok(s.shownAnswerMatchesProbabilities, 'the answer shown disagrees with the probabilities');
  assert.ok(s.segmentation.exact >= MIN_TIGHT_SEGMENTED, `segmentation exact in ${s.segmentation.exact}/${COUNT}:\n${detail}`);
  assert.ok(s.digit4.correct >= MIN_TIGHT_DIGIT4_CORRECT, `digit 4 right in ${s.digit4.correct}/${COUNT}:\n${detail}`);
  const wrong = s.allDigits.answers - s.allDigits.correctAnswers;
  assert.ok(wrong <= MAX_TIGHT_WRONG_ANSWERS, `${wrong} of ${s.allDigits.answers} answers wrong:\n${detail}`);
});
