// Drawn-digit accuracy report (not a test): N seeded handwriting-like sequences
// (strokes.mjs) drawn onto the real page with the mouse, and what the page answers.
//
//   npm run drawn -- [--n 200] [--seed 1] [--backend cpu|webgpu] [--webgpu]
//                    [--input cdp|playwright|api] [--spacing bbox|visual] [--variation 1]
//                    [--tight]          (strokes.mjs' TIGHT rows: touching, slanted)
//                    [--slant LO,HI]    (per-digit slant range, x shift per unit of height;
//                                        ±0.58 is ±30°)
//                    [--corrections P]  (share of digits finished after the next one)
//                    [--sizes LO,HI]    (per-digit height in shares of the row's; 0.85,1.1)
//                    [--typeface]       (digits as a pen copies print: strokes.mjs'
//                                        TYPEFACE_GLYPHS instead of handwriting)
//                    [--pace fast|real] (fast: strokes back to back, moves queued; real: at
//                                        each row's writing speed, with its pen-up pauses)
//                    [--shots 8] [--quiet]
//                    [--only 31,90,…]   (just these sequences, into drawn-only-report.*)
//                    [--weights DIR]    (the page gets DIR/model.{bpk,json}, e.g. www/, instead
//                                        of dist/'s: new weights without a rebuild)
//                    [--out DIR]        (instead of tests/e2e/artifacts)
//   (or DRAWN_N, DRAWN_SEED, DRAWN_BACKEND, DRAWN_INPUT in the environment)
//
// Needs dist/ (`trunk build --release`). Writes tests/e2e/artifacts/drawn-report.{json,md},
// screenshots of some failures (drawn-fail-*.png, asking the page about the digit it got
// wrong) and the 28×28 images of misread digits (drawn-crop-<seq>-<pos>-<true>-as-<read>.png).
// Sequence i of seed s is `makeSequence(s, i)` in strokes.mjs: `--only i,j` replays
// failures exactly. `--input api` (setStrokes) is ~4× faster but only nearly the same: the
// pad takes mouse positions in whole CSS pixels (web-sys MouseEvent::client_x is an i32),
// so a few borderline readings differ. `--spacing visual` spaces digits by the gap between
// their inks instead of their boxes (see strokes.mjs), to study segmentation.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARTIFACTS, DIST, ROOT, serveDist, launch, openPage, strokeWithMouse, waitReady } from './harness.mjs';
import { DEFAULTS, TIGHT, makeSequence } from './strokes.mjs';

const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const SETTLE_TIMEOUT = 240_000;
const INPUTS = {
  cdp: 'real mouse events (CDP Input.dispatchMouseEvent, up to 8 moves queued)',
  playwright: 'real mouse events (page.mouse, one move at a time)',
  api: 'window.digitseq.setStrokes (no mouse; for comparison)',
};

/** Pad geometry: CSS box, pad units → CSS px scale, width in units. */
export async function padGeometry(page) {
  const box = await page.locator('#pad').boundingBox();
  const heightUnits = await page.evaluate(() => window.digitseq.padHeightUnits);
  const scale = box.height / heightUnits;
  return { box, scale, heightUnits, widthUnits: box.width / scale };
}

/** Generator options that fit this pad (the default 774 × 200 units unless it is narrower). */
export function generatorOptions(geometry) {
  return {
    padHeightUnits: geometry.heightUnits,
    padWidthUnits: Math.min(DEFAULTS.padWidthUnits, Math.floor(geometry.widthUnits)),
  };
}

/** Waits until the page has read what is on the pad and gone idle. */
export async function settle(page) {
  await page.waitForFunction(() => {
    const crops = document.getElementById('crops').children;
    return document.body.dataset.busy !== 'true' && window.digitseq.digits === crops.length;
  }, null, { timeout: SETTLE_TIMEOUT, polling: 20 });
}

/** Empties the pad and waits for the empty reading. */
export async function clearPad(page) {
  await page.evaluate(() => window.digitseq.clear());
  await page.waitForFunction(() => document.getElementById('crops').children.length === 0
    && document.body.dataset.busy !== 'true', null, { timeout: SETTLE_TIMEOUT, polling: 20 });
}

const sessions = new WeakMap();

/**
 * Draws every stroke of `seq` with real mouse events (move to the start, press, moves,
 * release), as a person would. `input`:
 * - 'cdp' (default): the same Input.dispatchMouseEvent messages page.mouse sends, but up to
 *   `inFlight` moves are queued before waiting for the first (page.mouse waits for each, and
 *   wraps every move of a pressed button in drag-and-drop detection: several round trips to
 *   the busy page per move). Chromium coalesces queued moves into fewer pointermove events
 *   and the pad reads them all through getCoalescedEvents, as it does for a fast real hand;
 *   the strokes, crops and answers come out identical (drawn.test.mjs checks), ~10× faster.
 * - 'playwright': page.mouse.move/down/up, one awaited move at a time (harness style).
 * `pace` 'real' (cdp only) draws at the row's writing speed instead (`seq.timing`: a move
 * every `sampleMs`, the pen up for `pauses[j]` before stroke j), so the page reads
 * half-drawn strokes and pen-up moments as it would under a real hand.
 */
export async function drawWithMouse(page, seq, geometry, { input = 'cdp', inFlight = 8, pace = 'fast' } = {}) {
  const { box, scale } = geometry;
  const css = ([x, y]) => [box.x + x * scale, box.y + y * scale];
  if (input === 'playwright') {
    for (const stroke of seq.strokes) await strokeWithMouse(page, stroke.map(css));
    return;
  }
  if (!sessions.has(page)) sessions.set(page, await page.context().newCDPSession(page));
  const cdp = sessions.get(page);
  const send = (type, [x, y], pressed) => cdp.send('Input.dispatchMouseEvent', {
    type,
    x,
    y,
    button: type === 'mouseMoved' && !pressed ? 'none' : 'left',
    buttons: pressed ? 1 : 0,
    clickCount: type === 'mouseMoved' ? 0 : 1,
    pointerType: 'mouse',
  });
  if (pace === 'real') {
    let due = performance.now();
    const at = async (ms) => {
      due += ms;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => { setTimeout(resolve, wait); });
    };
    // Moves go out on time without waiting for the busy page (up to `inFlight` unanswered),
    // as a hand does not wait for the page.
    const pending = [];
    const post = async (...event) => {
      pending.push(send(...event));
      if (pending.length >= inFlight) await pending.shift();
    };
    for (const [j, stroke] of seq.strokes.entries()) {
      const pts = stroke.map(css);
      await at(seq.timing.pauses[j]);
      await post('mouseMoved', pts[0], false);
      await post('mousePressed', pts[0], true);
      for (const p of pts.slice(1)) {
        await at(seq.timing.sampleMs);
        await post('mouseMoved', p, true);
      }
      await post('mouseReleased', pts[pts.length - 1], false);
    }
    await Promise.all(pending);
    return;
  }
  for (const stroke of seq.strokes) {
    const pts = stroke.map(css);
    await send('mouseMoved', pts[0], false);
    await send('mousePressed', pts[0], true);
    const pending = [];
    for (const p of pts.slice(1)) {
      pending.push(send('mouseMoved', p, true));
      if (pending.length >= inFlight) await pending.shift();
    }
    await Promise.all(pending);
    await send('mouseReleased', pts[pts.length - 1], false);
  }
}

/** Puts the strokes on the pad through the test API (fast, for comparison only). */
export async function drawWithApi(page, seq) {
  await page.evaluate((s) => window.digitseq.setStrokes(s), seq.strokes);
}

/**
 * What the page shows: crops, the answer for digit 4 as displayed, the answer for every
 * digit 0–9 (via setTargetDigit, then back to 4) and the per-position probabilities.
 */
export async function readPage(page) {
  return page.evaluate((digits) => {
    const answer = document.getElementById('answer');
    const read = () => ({
      digit: answer.dataset.digit === undefined ? null : Number(answer.dataset.digit),
      contains: answer.dataset.contains === 'true',
      probability: answer.dataset.probability === undefined ? null : Number(answer.dataset.probability),
    });
    const target = window.digitseq.target;
    const shown = read();
    const perDigit = digits.map((d) => {
      window.digitseq.setTargetDigit(d);
      return read();
    });
    window.digitseq.setTargetDigit(target);
    return {
      crops: document.getElementById('crops').children.length,
      groups: window.digitseq.groups,
      target,
      shown,
      perDigit,
      probabilities: window.digitseq.probabilities.map((row) => row.map((p) => Math.round(p * 1e4) / 1e4)),
    };
  }, DIGITS);
}

/** The strokes of each digit as written (indices in writing order), left to right. */
export function writtenGroups(seq) {
  return seq.digits.map((_, i) => seq.strokeDigits.flatMap((d, j) => (d === i ? [j] : [])));
}

/** Scores one sequence against what the page showed. */
export function score(seq, shown) {
  // Segmentation is right when every digit's crop holds exactly its strokes.
  const segmentationOk = JSON.stringify(shown.groups) === JSON.stringify(writtenGroups(seq));
  const truth = DIGITS.map((d) => seq.digits.includes(d));
  const said = shown.perDigit.map((a) => a.contains);
  const probs = shown.probabilities;
  // Per drawn digit (only when every digit's strokes were found as written): is a first
  // occurrence recognised (P(contains t) ≥ 0.5 right after it), and which absent digits
  // did it switch on (read as something it is not)?
  const instances = [];
  if (segmentationOk && probs.length === seq.digits.length) {
    seq.digits.forEach((t, i) => {
      const before = new Set(seq.digits.slice(0, i));
      const upTo = new Set(seq.digits.slice(0, i + 1));
      const prev = i > 0 ? probs[i - 1] : DIGITS.map(() => 0);
      const switchedOn = DIGITS.filter((d) => !upTo.has(d) && probs[i][d] >= 0.5 && prev[d] < 0.5);
      const jump = DIGITS.map((d) => probs[i][d] - prev[d]);
      const readAs = jump.indexOf(Math.max(...jump));
      instances.push({
        position: i,
        digit: t,
        style: seq.styles[i],
        first: !before.has(t),
        recognised: before.has(t) ? null : probs[i][t] >= 0.5,
        switchedOn,
        readAs: Math.max(...jump) >= 0.3 ? readAs : null,
      });
    });
  }
  return {
    index: seq.index,
    digits: seq.digits.join(''),
    styles: seq.styles,
    height: Math.round(seq.height),
    crops: shown.crops,
    segmentationOk,
    cropsOk: shown.crops === seq.digits.length,
    four: { truth: truth[4], said: shown.shown.contains, probability: shown.shown.probability },
    fourOk: truth[4] === shown.shown.contains,
    shownMatchesProbabilities: probs.length === 0
      || (probs[probs.length - 1][4] >= 0.5) === shown.shown.contains,
    said: said.map((c) => (c ? 1 : 0)).join(''),
    missed: DIGITS.filter((d) => truth[d] && !said[d]),
    hallucinated: DIGITS.filter((d) => !truth[d] && said[d]),
    allOk: DIGITS.every((d) => truth[d] === said[d]),
    instances,
  };
}

const pct = (k, n) => (n === 0 ? null : Math.round((1e4 * k) / n) / 100);

/** Totals over scored sequences. */
export function summarise(rows) {
  const n = rows.length;
  const perDigit = DIGITS.map((d) => {
    let [tp, fp, fn, tn] = [0, 0, 0, 0];
    for (const r of rows) {
      const truth = r.digits.includes(String(d));
      const said = r.said[d] === '1';
      if (truth && said) tp++; else if (!truth && said) fp++; else if (truth) fn++; else tn++;
    }
    return { digit: d, accuracy: pct(tp + tn, n), tp, fp, fn, tn };
  });
  const four = perDigit[4];
  const correctAnswers = perDigit.reduce((s, p) => s + p.tp + p.tn, 0);
  // Per drawn glyph (first occurrences, exact segmentation only).
  const glyphs = {};
  const readAs = {};
  for (const r of rows) {
    for (const inst of r.instances) {
      const key = `${inst.digit}/${inst.style}`;
      const g = (glyphs[key] ??= { digit: inst.digit, style: inst.style, drawn: 0, firstOccurrences: 0, recognised: 0, switchedOnWrong: 0, wrongAs: {} });
      g.drawn++;
      if (inst.first) {
        g.firstOccurrences++;
        if (inst.recognised) g.recognised++;
      }
      if (inst.switchedOn.length) g.switchedOnWrong++;
      for (const d of inst.switchedOn) g.wrongAs[d] = (g.wrongAs[d] ?? 0) + 1;
      if (inst.first) {
        const row = (readAs[inst.digit] ??= {});
        const k = inst.readAs ?? '–';
        row[k] = (row[k] ?? 0) + 1;
      }
    }
  }
  for (const g of Object.values(glyphs)) g.recognitionRate = pct(g.recognised, g.firstOccurrences);
  return {
    sequences: n,
    digit4: {
      accuracy: pct(rows.filter((r) => r.fourOk).length, n),
      correct: rows.filter((r) => r.fourOk).length,
      ...four,
      precision: pct(four.tp, four.tp + four.fp),
      recall: pct(four.tp, four.tp + four.fn),
      sequencesWithA4: rows.filter((r) => r.four.truth).length,
    },
    allDigits: {
      accuracy: pct(correctAnswers, 10 * n),
      correctAnswers,
      answers: 10 * n,
      sequencesAllTenRight: rows.filter((r) => r.allOk).length,
    },
    segmentation: {
      accuracy: pct(rows.filter((r) => r.segmentationOk).length, n),
      exact: rows.filter((r) => r.segmentationOk).length,
      cropCountRight: rows.filter((r) => r.cropsOk).length,
      wrong: rows.filter((r) => !r.segmentationOk).map((r) => ({ index: r.index, digits: r.digits, crops: r.crops })),
    },
    shownAnswerMatchesProbabilities: rows.every((r) => r.shownMatchesProbabilities),
    perDigit,
    missedByDigit: Object.fromEntries(DIGITS.map((d) => [d, rows.filter((r) => r.missed.includes(d)).length])),
    hallucinatedByDigit: Object.fromEntries(DIGITS.map((d) => [d, rows.filter((r) => r.hallucinated.includes(d)).length])),
    glyphs: Object.values(glyphs).sort((a, b) => a.digit - b.digit || a.style.localeCompare(b.style)),
    firstOccurrenceReadAs: readAs,
    byLength: Object.fromEntries([...new Set(rows.map((r) => r.digits.length))].sort((a, b) => a - b).map((len) => {
      const sub = rows.filter((r) => r.digits.length === len);
      return [len, { sequences: sub.length, digit4: pct(sub.filter((r) => r.fourOk).length, sub.length),
        allDigits: pct(sub.reduce((s, r) => s + [...r.said].filter((c, d) => (c === '1') === r.digits.includes(String(d))).length, 0), 10 * sub.length) }];
    })),
  };
}

export function markdown(report) {
  const s = report.summary;
  const lines = [];
  lines.push('# Drawn-digit report', '');
  const g = report.config.generator;
  lines.push(`${s.sequences} sequences (seed ${report.config.seed}, lengths ${DEFAULTS.minLength}–${DEFAULTS.maxLength}; `
    + `spacing ${g.spacing}, gaps ${g.gapRange.join('–')} row heights${g.touching ? ' (inks may touch)' : ''}, `
    + `slant ${g.slantRange.join('…')}, sizes ${g.sizeRange.join('–')}, corrections ${g.corrections}, ${g.glyphs} glyphs) `
    + `drawn with ${report.config.pace === 'real' ? 'real mouse events (CDP Input.dispatchMouseEvent) at each row\'s writing speed, with its pen-up pauses,' : INPUTS[report.config.input]} on the ${report.config.backend} backend, `
    + `pad ${report.config.pad.widthUnits}×${report.config.pad.heightUnits} units (${report.config.pad.cssWidth}×${report.config.pad.cssHeight} CSS px); `
    + `${report.timing.totalSeconds} s in all, ${report.timing.meanSecondsPerSequence} s per sequence. `
    + `Page ${report.config.dist.wasm}; weights ${report.config.dist.weights.slice(0, 12)}… from ${report.config.dist.weightsFrom}/.`, '');
  lines.push('| measure | value |', '|---|---|');
  lines.push(`| digit-4 accuracy ("contains a 4?") | **${s.digit4.accuracy}%** (${s.digit4.correct}/${s.sequences}; precision ${s.digit4.precision}%, recall ${s.digit4.recall}%, ${s.digit4.fp} false yes, ${s.digit4.fn} false no) |`);
  lines.push(`| all ten digits ("contains d?", every d) | **${s.allDigits.accuracy}%** (${s.allDigits.correctAnswers}/${s.allDigits.answers}; all ten right in ${s.allDigits.sequencesAllTenRight}/${s.sequences} sequences) |`);
  lines.push(`| segmentation (every digit's strokes exactly as written) | **${s.segmentation.accuracy}%** (${s.segmentation.exact}/${s.sequences}; as many crops as digits in ${s.segmentation.cropCountRight}) |`);
  lines.push(`| page's #answer agrees with its probabilities | ${s.shownAnswerMatchesProbabilities ? 'yes' : 'NO'} |`, '');
  lines.push('## Per digit (sequence level)', '');
  lines.push('| digit | accuracy | missed (said no, is there) | hallucinated (said yes, is not) |', '|---|---|---|---|');
  for (const p of s.perDigit) lines.push(`| ${p.digit} | ${p.accuracy}% | ${p.fn} | ${p.fp} |`);
  lines.push('', '## Per glyph style (first occurrence of the digit in its sequence, exact segmentation)', '');
  lines.push('| digit/style | drawn | first occurrences | recognised | switched on a wrong digit (as) |', '|---|---|---|---|---|');
  for (const g of s.glyphs) {
    const wrong = Object.entries(g.wrongAs).map(([d, k]) => `${d}×${k}`).join(' ');
    lines.push(`| ${g.digit}/${g.style} | ${g.drawn} | ${g.firstOccurrences} | ${g.recognised} (${g.recognitionRate ?? '–'}%) | ${g.switchedOnWrong}${wrong ? ` (${wrong})` : ''} |`);
  }
  lines.push('', '## First occurrences: the digit whose "contains" jumped most (rows: true digit)', '');
  lines.push(`| true \\ read | ${DIGITS.join(' | ')} | – |`, `|---|${DIGITS.map(() => '---').join('|')}|---|`);
  for (const d of DIGITS) {
    const row = s.firstOccurrenceReadAs[d] ?? {};
    lines.push(`| ${d} | ${DIGITS.map((k) => row[k] ?? '').join(' | ')} | ${row['–'] ?? ''} |`);
  }
  lines.push('', '## By length', '', '| length | sequences | digit 4 | all digits |', '|---|---|---|---|');
  for (const [len, v] of Object.entries(s.byLength)) lines.push(`| ${len} | ${v.sequences} | ${v.digit4}% | ${v.allDigits}% |`);
  const failures = report.sequences.filter((r) => !r.allOk || !r.segmentationOk);
  lines.push('', `## Failures (${failures.length})`, '');
  lines.push('| # | digits | styles | crops | P(4) | missed | hallucinated | screenshot |', '|---|---|---|---|---|---|---|---|');
  for (const r of failures) {
    lines.push(`| ${r.index} | ${r.digits} | ${r.styles.join(', ')} | ${r.crops} | ${r.four.probability?.toFixed(3) ?? '–'}${r.fourOk ? '' : ' ✗'} | ${r.missed.join(' ')} | ${r.hallucinated.join(' ')} | ${r.screenshot ?? ''} |`);
  }
  lines.push('', `Regenerate any sequence with \`makeSequence(${report.config.seed}, index)\` from strokes.mjs.`, '');
  return lines.join('\n');
}

/** The 28×28 images the network read at `positions`, as PNG data URLs. */
export async function cropImages(page, positions) {
  return page.evaluate((ps) => {
    const canvases = document.querySelectorAll('#crops canvas');
    return ps.map((p) => canvases[p]?.toDataURL('image/png') ?? null);
  }, positions);
}

/** Drawn digits that were misread: a first occurrence not recognised, or a wrong digit
 * switched on. */
export function misreadInstances(row) {
  return row.instances.filter((i) => i.recognised === false || i.switchedOn.length);
}

export function misreadPositions(row) {
  return misreadInstances(row).map((i) => i.position);
}

/**
 * Draws `n` sequences of `seed` on `page` and scores them. `onSequence(row, seq)` is called
 * after each; `shoot(row)` may return a screenshot path for a failure.
 */
export async function runSequences(page, {
  n, indices, seed, input = 'cdp', pace = 'fast', spacing = 'bbox', variation = 1, generator = {}, onSequence, shoot, saveCrops,
} = {}) {
  const geometry = await padGeometry(page);
  const options = { ...generatorOptions(geometry), spacing, variation, ...generator };
  const rows = [];
  for (const i of indices ?? Array.from({ length: n }, (_, k) => k)) {
    const seq = makeSequence(seed, i, options);
    const started = performance.now();
    await clearPad(page);
    if (input === 'api') await drawWithApi(page, seq);
    else await drawWithMouse(page, seq, geometry, { input, pace });
    await settle(page);
    const shown = await readPage(page);
    const row = { ...score(seq, shown), seconds: Math.round(performance.now() - started) / 1000, probabilities: shown.probabilities };
    if (shoot) row.screenshot = await shoot(row);
    const misread = misreadPositions(row);
    if (saveCrops && misread.length) row.misreadCrops = await saveCrops(row, misread, await cropImages(page, misread));
    rows.push(row);
    onSequence?.(row, seq);
  }
  return { rows, geometry, options };
}

function parseArgs(argv) {
  const args = {
    n: Number(process.env.DRAWN_N ?? 200),
    seed: Number(process.env.DRAWN_SEED ?? 1),
    backend: process.env.DRAWN_BACKEND ?? 'cpu',
    input: process.env.DRAWN_INPUT ?? 'cdp',
    spacing: 'bbox',
    variation: 1,
    generator: {},
    pace: 'fast',
    shots: 8,
    quiet: false,
  };
  // The generator's options: --tight's, then --slant's and --corrections' over them.
  let [tight, slantRange, sizeRange, corrections, glyphs] = [{}, undefined, undefined, undefined, undefined];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i];
    if (a === '--n') args.n = Number(value());
    else if (a === '--seed') args.seed = Number(value());
    else if (a === '--backend') args.backend = value();
    else if (a === '--webgpu') args.backend = 'webgpu';
    else if (a === '--cpu') args.backend = 'cpu';
    else if (a === '--input') args.input = value();
    else if (a === '--spacing') args.spacing = value();
    else if (a === '--variation') args.variation = Number(value());
    else if (a === '--tight') tight = TIGHT;
    else if (a === '--slant') slantRange = value().split(',').map(Number);
    else if (a === '--sizes') sizeRange = value().split(',').map(Number);
    else if (a === '--corrections') corrections = Number(value());
    else if (a === '--typeface') glyphs = 'typeface';
    else if (a === '--pace') args.pace = value();
    else if (a === '--only') args.only = value().split(',').map(Number);
    else if (a === '--weights') args.weights = value();
    else if (a === '--out') args.out = value();
    else if (a === '--shots') args.shots = Number(value());
    else if (a === '--quiet') args.quiet = true;
    else throw new Error(`unknown argument ${a} (see the top of drawn.mjs)`);
  }
  if (args.only && !args.only.every((i) => Number.isInteger(i) && i >= 0)) throw new Error(`--only wants indices like 3,17`);
  if (!Number.isInteger(args.n) || args.n < 1) throw new Error(`--n must be a positive integer, not ${args.n}`);
  if (!Number.isInteger(args.seed)) throw new Error(`--seed must be an integer, not ${args.seed}`);
  if (!['cpu', 'webgpu'].includes(args.backend)) throw new Error(`--backend cpu|webgpu, not ${args.backend}`);
  if (!(args.variation > 0)) throw new Error(`--variation wants a positive number, not ${args.variation}`);
  if (!['bbox', 'visual'].includes(args.spacing)) throw new Error(`--spacing bbox|visual, not ${args.spacing}`);
  args.generator = {
    ...tight, ...(slantRange && { slantRange }), ...(sizeRange && { sizeRange }), ...(corrections !== undefined && { corrections }), ...(glyphs && { glyphs }),
  };
  if (slantRange && (slantRange.length !== 2 || !slantRange.every(Number.isFinite) || slantRange[0] > slantRange[1])) {
    throw new Error(`--slant wants LO,HI like -0.58,0.58`);
  }
  if (sizeRange && (sizeRange.length !== 2 || !sizeRange.every((x) => x > 0) || sizeRange[0] > sizeRange[1])) {
    throw new Error(`--sizes wants LO,HI like 0.6,1.3`);
  }
  if (corrections !== undefined && !(corrections >= 0 && corrections <= 1)) {
    throw new Error(`--corrections wants a share in [0, 1], not ${corrections}`);
  }
  if (!['fast', 'real'].includes(args.pace)) throw new Error(`--pace fast|real, not ${args.pace}`);
  if (args.pace === 'real' && args.input !== 'cdp') throw new Error('--pace real draws with --input cdp');
  if (!(args.input in INPUTS)) throw new Error(`--input cdp|playwright|api, not ${args.input}`);
  return args;
}

/** What the page runs: the wasm file, and the weights' checksum and where they come from. */
function distFingerprint(weightsDir = DIST) {
  const wasm = fs.readdirSync(DIST).filter((f) => f.endsWith('.wasm'))
    .map((f) => `${f} (${fs.statSync(path.join(DIST, f)).size} bytes)`).join(', ');
  const weights = JSON.parse(fs.readFileSync(path.join(weightsDir, 'model.json'), 'utf8')).weights_sha256;
  return { wasm, weights, weightsFrom: path.relative(ROOT, weightsDir) || '.' };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const weightsDir = args.weights ? path.resolve(args.weights) : DIST;
  const dist = distFingerprint(weightsDir);
  const out = args.out ? path.resolve(args.out) : ARTIFACTS;
  fs.mkdirSync(out, { recursive: true });
  const name = args.only ? 'drawn-only-report' : 'drawn-report';
  // A full run replaces the previous run's pictures; --only adds to them.
  if (!args.only) {
    for (const f of fs.readdirSync(out)) if (/^drawn-(fail|crop)-.*\.png$/.test(f)) fs.rmSync(path.join(out, f));
  }
  const server = await serveDist();
  const browser = await launch();
  const t0 = performance.now();
  try {
    // The manifest and the weights file it names, served in place of the page's own.
    const weightsFile = args.weights
      && JSON.parse(fs.readFileSync(path.join(weightsDir, 'model.json'))).weights_file;
    const routes = args.weights ? Object.fromEntries(['model.json', weightsFile].map((f) => [
      `**/${f}`, (route) => route.fulfill({ body: fs.readFileSync(path.join(weightsDir, f)) })])) : {};
    const { context, page } = await openPage(browser, server.url, args.backend, { routes });
    await waitReady(page);
    const backend = (await page.locator('#backend').textContent()).trim();
    if (backend !== args.backend) throw new Error(`asked for ${args.backend}, the page runs on ${backend}`);
    const ready = performance.now();
    let shots = 0;
    const shoot = async (row) => {
      if (row.allOk && row.segmentationOk) return undefined;
      // Digit-4 and segmentation failures first; other failures while shots remain.
      const serious = !row.fourOk || !row.segmentationOk;
      const reserved = args.only ? 0 : args.shots / 2; // kept for digit-4 and segmentation failures
      if (shots >= args.shots || (!serious && shots >= args.shots - reserved)) return undefined;
      shots++;
      const file = `drawn-fail-${String(row.index).padStart(3, '0')}.png`;
      // Ask the page about the digit it got wrong, so the screenshot shows the wrong answer.
      const wrong = row.fourOk ? [...row.missed, ...row.hallucinated][0] : 4;
      if (wrong !== undefined && wrong !== 4) await page.evaluate((d) => window.digitseq.setTargetDigit(d), wrong);
      await page.screenshot({ path: path.join(out, file), fullPage: true });
      await page.evaluate(() => window.digitseq.setTargetDigit(4));
      return file;
    };
    let crops = 0;
    const saveCrops = async (row, positions, urls) => positions.map((p, k) => {
      if (!urls[k] || crops >= 60) return null;
      crops++;
      const inst = row.instances[p];
      const file = `drawn-crop-${String(row.index).padStart(3, '0')}-${p}-${inst.digit}-as-${inst.switchedOn.join('') || 'none'}.png`;
      fs.writeFileSync(path.join(out, file), Buffer.from(urls[k].split(',')[1], 'base64'));
      return file;
    }).filter(Boolean);
    let ok4 = 0;
    let done = 0;
    const { rows, geometry } = await runSequences(page, {
      saveCrops,
      n: args.n,
      indices: args.only,
      seed: args.seed,
      input: args.input,
      pace: args.pace,
      spacing: args.spacing,
      variation: args.variation,
      generator: args.generator,
      shoot,
      onSequence: (row) => {
        ok4 += row.fourOk ? 1 : 0;
        done++;
        const misread = misreadInstances(row).map((i) => `#${i.position} ${i.digit}/${i.style}→${i.switchedOn.join('') || '?'}`);
        const flag = [!row.fourOk && '4✗', !row.segmentationOk && `seg ${row.crops}`, misread.length && `misread ${misread.join(' ')}`,
          row.missed.length && `missed ${row.missed.join('')}`, row.hallucinated.length && `extra ${row.hallucinated.join('')}`]
          .filter(Boolean).join(', ');
        if (!args.quiet || flag) {
          console.log(`${String(row.index).padStart(3)} ${row.digits.padEnd(12)} P(4)=${row.four.probability?.toFixed(3)} `
            + `${row.seconds.toFixed(1)}s  digit-4 so far ${ok4}/${done}${flag ? `  [${flag}]` : ''}`);
        }
      },
    });
    const total = (performance.now() - t0) / 1000;
    if (JSON.stringify(distFingerprint(weightsDir)) !== JSON.stringify(dist)) {
      throw new Error(`the page or its weights changed during the run (${JSON.stringify(dist)} → ${JSON.stringify(distFingerprint(weightsDir))}): results are mixed, rerun`);
    }
    const report = {
      config: {
        n: args.only ? args.only.length : args.n,
        only: args.only,
        seed: args.seed,
        backend: args.backend,
        input: args.input,
        pace: args.pace,
        generator: { ...DEFAULTS, ...generatorOptions(geometry), spacing: args.spacing, variation: args.variation, ...args.generator },
        pad: {
          cssWidth: Math.round(geometry.box.width),
          cssHeight: Math.round(geometry.box.height),
          widthUnits: Math.round(geometry.widthUnits),
          heightUnits: geometry.heightUnits,
        },
        dist,
      },
      timing: {
        totalSeconds: Math.round(total),
        loadSeconds: Math.round((ready - t0) / 100) / 10,
        meanSecondsPerSequence: Math.round((100 * rows.reduce((s, r) => s + r.seconds, 0)) / rows.length) / 100,
      },
      summary: summarise(rows),
      sequences: rows,
    };
    fs.writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify(report, null, 1)}\n`);
    fs.writeFileSync(path.join(out, `${name}.md`), markdown(report));
    const s = report.summary;
    console.log(`\ndigit 4: ${s.digit4.accuracy}% (${s.digit4.correct}/${s.sequences}), all digits: ${s.allDigits.accuracy}%, `
      + `segmentation: ${s.segmentation.accuracy}%, ${report.timing.totalSeconds} s`);
    console.log(`report: ${path.join(out, `${name}.md`)}`);
    await context.close();
  } finally {
    await browser.close();
    server.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
