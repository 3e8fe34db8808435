// Page benchmark (not a test): load → ready, and stroke end → updated answer for rows of 3,
// 10 and 30 digits, on both backends, in headless Chromium on this machine.
// Run after `trunk build --release`: `node tests/e2e/bench.mjs` (prints JSON).
import fs from 'node:fs';
import path from 'node:path';
import { DIST, serveDist, launch, openPage, waitReady } from './harness.mjs';

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

async function strokeToAnswer(page, n) {
  // n − 1 digits "1" laid down through the test API, then the n-th drawn with the mouse.
  const box = await page.locator('#pad').boundingBox();
  const unitsPerPx = await page.evaluate(() => window.digitseq.padHeightUnits) / box.height;
  const step = (box.width * 0.94) / n;
  const column = (i) => box.x + box.width * 0.03 + step * (i + 0.5);
  const strokes = Array.from({ length: n - 1 }, (_, i) => [
    [(column(i) - box.x) * unitsPerPx, 40], [(column(i) - box.x) * unitsPerPx, 160]]);
  await page.evaluate((s) => window.digitseq.setStrokes(s), strokes);
  await page.waitForFunction((k) => document.getElementById('crops').children.length === k
    && document.body.dataset.busy !== 'true', n - 1, { timeout: 600_000 });
  await page.evaluate(() => {
    // From pen-up (seen first, in the capture phase) to the moment the page put the answer
    // that includes the finished stroke into the DOM (`answeredAt`, stamped by the page):
    // the next frame paints it. Polling from here instead would add the browser's own
    // scheduling delays, which on a loaded 2-core machine are tens of ms.
    window.__bench = { up: null, before: null };
    window.addEventListener('pointerup', () => {
      window.__bench = { up: performance.now(), before: window.digitseq.inferences };
    }, { capture: true, once: true });
  });
  const x = column(n - 1);
  await page.mouse.move(x, box.y + box.height * 0.2);
  await page.mouse.down();
  for (let t = 1; t <= 8; t++) await page.mouse.move(x, box.y + box.height * (0.2 + 0.6 * t / 8));
  await page.mouse.up();
  await page.waitForFunction(() => window.__bench.up !== null
    && window.digitseq.inferences > window.__bench.before
    && document.body.dataset.busy !== 'true', null, { timeout: 600_000 });
  const penUp = await page.evaluate(() => ({
    ms: window.digitseq.answeredAt - window.__bench.up,
    inference: window.digitseq.lastInferenceMs,
  }));
  // Whether the reading at pen-up still had work depends on when the throttled readings
  // during the stroke fell. So also time a change that always has work: the last digit
  // replaced by another shape (segmentation of the whole row, the new digit through the
  // CNN, one LSTM step, the DOM).
  const seven = [...strokes, [[(x - box.x) * unitsPerPx - 30, 40], [(x - box.x) * unitsPerPx + 30, 40],
    [(x - box.x) * unitsPerPx - 10, 170]]];
  const before = await page.evaluate(() => window.digitseq.inferences);
  const start = await page.evaluate((s) => {
    const t = performance.now();
    window.digitseq.setStrokes(s);
    return t;
  }, seven);
  await page.waitForFunction((k) => window.digitseq.inferences > k
    && document.body.dataset.busy !== 'true', before, { timeout: 600_000 });
  const changed = await page.evaluate((t) => ({
    ms: window.digitseq.answeredAt - t,
    inference: window.digitseq.lastInferenceMs,
  }), start);
  return { penUp, changed };
}

const server = await serveDist();
const browser = await launch();
const report = { wasm: {}, backends: {} };
for (const f of fs.readdirSync(DIST)) {
  if (f.endsWith('.wasm')) report.wasm = { file: f, bytes: fs.statSync(path.join(DIST, f)).size };
}
for (const backend of (process.env.BACKENDS || 'cpu,webgpu').split(',')) {
  const loads = [];
  const rows = {};
  for (let run = 0; run < 3; run++) {
    const { context, page } = await openPage(browser, server.url, backend);
    await waitReady(page);
    loads.push(await page.evaluate(() => performance.now()));
    const shown = (await page.locator('#backend').textContent()).trim();
    if (shown !== backend) throw new Error(`asked for ${backend}, the page runs on ${shown}`);
    if (run === 0) {
      for (const n of [3, 10, 30]) {
        const samples = [];
        const repeats = backend === 'cpu' ? 5 : 2;
        for (let r = 0; r < repeats; r++) {
          await page.evaluate(() => window.digitseq.clear());
          samples.push(await strokeToAnswer(page, n));
        }
        rows[n] = {
          pen_up_to_answer_ms: median(samples.map((s) => s.penUp.ms)),
          pen_up_inference_ms: median(samples.map((s) => s.penUp.inference)),
          new_last_digit_to_answer_ms: median(samples.map((s) => s.changed.ms)),
          new_last_digit_inference_ms: median(samples.map((s) => s.changed.inference)),
        };
      }
    }
    await context.close();
  }
  report.backends[backend] = { load_to_ready_ms: median(loads), rows };
}
console.log(JSON.stringify(report, null, 2));
await browser.close();
server.close();
