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
    // From pen-up until the page has read the finished stroke and gone idle, polled with
    // MessageChannel (untimed, unlike setTimeout's clamped minimum).
    window.__bench = { done: null };
    window.addEventListener('pointerup', () => {
      const up = performance.now();
      const before = window.digitseq.inferences;
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        if (window.digitseq.inferences > before && document.body.dataset.busy !== 'true') {
          window.__bench = { up, done: performance.now() };
        } else {
          channel.port2.postMessage(0);
        }
      };
      channel.port2.postMessage(0);
    }, { capture: true, once: true });
  });
  const x = column(n - 1);
  await page.mouse.move(x, box.y + box.height * 0.2);
  await page.mouse.down();
  for (let t = 1; t <= 8; t++) await page.mouse.move(x, box.y + box.height * (0.2 + 0.6 * t / 8));
  await page.mouse.up();
  await page.waitForFunction(() => window.__bench.done, null, { timeout: 600_000 });
  return page.evaluate(() => ({ ms: window.__bench.done - window.__bench.up, inference: window.digitseq.lastInferenceMs }));
}

const server = await serveDist();
const browser = await launch();
const report = { wasm: {}, backends: {} };
for (const f of fs.readdirSync(DIST)) {
  if (f.endsWith('.wasm')) report.wasm = { file: f, bytes: fs.statSync(path.join(DIST, f)).size };
}
for (const backend of ['cpu', 'webgpu']) {
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
          stroke_to_answer_ms: median(samples.map((s) => s.ms)),
          inference_ms: median(samples.map((s) => s.inference)),
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
