// Shared plumbing for the end-to-end tests: a static server for the page trunk built
// (dist/), Debian's Chromium driven by playwright-core, drawing helpers, and the native
// model's answers for comparison.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(ROOT, 'dist');
export const ARTIFACTS = path.join(ROOT, 'tests/e2e/artifacts');
// SwiftShader WebGPU is correct but slow: generous, not fewer, checks.
export const READY_TIMEOUT = 240_000;

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream', '.bpk': 'application/octet-stream',
};

export function serveDist() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    throw new Error(`no ${DIST}/index.html: run \`trunk build --release\` first (scripts/test.sh does)`);
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const file = path.join(DIST, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname));
    if (!file.startsWith(DIST) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() });
  }));
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic',
      // WebGPU without a GPU: Chromium's SwiftShader adapter.
      '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan',
      '--use-angle=swiftshader',
    ],
  });
}

/** The page served from dist/ and one Chromium, shared by every test of the calling file:
 * started in its `before` (with the artifacts folder made), closed in its `after`. The
 * returned object's `url` and `browser` are set once the file's tests run; a `before` of the
 * file's own awaits `site.ready` first (Node 20 runs a file's `before` hooks side by side). */
export function serveAndLaunch() {
  const site = { url: undefined, browser: undefined };
  let server;
  let started;
  site.ready = new Promise((resolve, reject) => { started = { resolve, reject }; });
  site.ready.catch(() => {}); // the hook below reports the failure
  before(async () => {
    try {
      server = await serveDist();
      site.url = server.url;
      site.browser = await launch();
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      started.resolve();
    } catch (e) {
      started.reject(e);
      throw e;
    }
  });
  after(async () => {
    await site.browser?.close();
    server?.close();
  });
  return site;
}

/** A phone as the issue names it: 390×844 CSS pixels, touch, three device pixels per CSS one. */
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };

/** Opens the page on `backend` ('cpu' | 'webgpu'); `query` adds URL parameters; `phone`
 * opens it as on a phone (PHONE). */
export async function openPage(browser, base, backend, { touch = false, phone = false, routes = {}, query = '' } = {}) {
  const context = await browser.newContext(
    phone ? PHONE : { viewport: { width: 1280, height: 900 }, hasTouch: touch });
  const page = await context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  // Content-Security-Policy refusals, kept where every test can see them (cspViolations).
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.effectiveDirective} refused ${e.blockedURI || 'inline'}`);
    });
  });
  for (const [pattern, handler] of Object.entries(routes)) await page.route(pattern, handler);
  await page.goto(`${base}/?backend=${backend}${query}`);
  page.logs = logs;
  return { context, page };
}

/** What the page's Content-Security-Policy refused so far. */
export const cspViolations = (page) => page.evaluate(() => window.__cspViolations);

export async function waitReady(page) {
  try {
    // The model answers, and samples.bin has loaded or failed (it loads beside the model).
    await page.waitForFunction(
      () => document.body.dataset.ready === 'true' && document.body.dataset.samples === 'settled',
      null, { timeout: READY_TIMEOUT });
  } catch (e) {
    const error = await page.locator('#error').textContent().catch(() => '');
    throw new Error(`page not ready: ${e.message}\n#error: ${error}\nconsole:\n${page.logs.join('\n')}`);
  }
}

/** Digit shapes as strokes in a unit box (x right, y down), drawn like a person would. */
export const SHAPES = {
  1: [[[0.45, 0.05], [0.5, 0.5], [0.5, 0.95]]],
  4: [[[0.55, 0.05], [0.1, 0.6], [0.9, 0.6]], [[0.65, 0.3], [0.65, 0.95]]],
  7: [[[0.1, 0.08], [0.9, 0.08], [0.4, 0.95]]],
  0: [[[0.5, 0.05], [0.15, 0.3], [0.15, 0.7], [0.5, 0.95], [0.85, 0.7], [0.85, 0.3], [0.5, 0.05]]],
};

/** Pad-relative boxes for `count` digits side by side; `fit`: as small as needed for all of
 * them to fit the pad's width (as people write on a phone), gaps still wider than a stroke. */
export async function padBoxes(page, count, { fit = false } = {}) {
  const box = await page.locator('#pad').boundingBox();
  let h = box.height * 0.6;
  let w = h * 0.7;
  let gap = w * 0.6;
  const room = box.width * 0.9;
  if (fit && count * w + (count - 1) * gap > room) {
    const scale = room / (count * w + (count - 1) * gap);
    [h, w, gap] = [h * scale, w * scale, gap * scale];
  }
  return Array.from({ length: count }, (_, i) => ({
    x: box.x + box.width * 0.05 + i * (w + gap),
    y: box.y + box.height * 0.2,
    w,
    h,
  }));
}

function interpolate(points, box, steps = 6) {
  const out = [];
  for (let i = 0; i + 1 < points.length; i++) {
    for (let s = 0; s < steps; s++) {
      const t = s / steps;
      out.push([
        box.x + box.w * (points[i][0] + t * (points[i + 1][0] - points[i][0])),
        box.y + box.h * (points[i][1] + t * (points[i + 1][1] - points[i][1])),
      ]);
    }
  }
  const last = points[points.length - 1];
  out.push([box.x + box.w * last[0], box.y + box.h * last[1]]);
  return out;
}

/** One stroke through CSS points with page.mouse: move to the start, press, move, release. */
export async function strokeWithMouse(page, pts) {
  await page.mouse.move(...pts[0]);
  await page.mouse.down();
  for (const p of pts.slice(1)) await page.mouse.move(...p);
  await page.mouse.up();
}

export async function drawWithMouse(page, digits, { fit = false } = {}) {
  const boxes = await padBoxes(page, digits.length, { fit });
  for (const [i, d] of digits.entries()) {
    for (const stroke of SHAPES[d]) await strokeWithMouse(page, interpolate(stroke, boxes[i]));
  }
}

export async function drawWithTouch(page, digits, { fit = false } = {}) {
  const cdp = await page.context().newCDPSession(page);
  const boxes = await padBoxes(page, digits.length, { fit });
  for (const [i, d] of digits.entries()) {
    for (const stroke of SHAPES[d]) {
      const pts = interpolate(stroke, boxes[i]);
      const touch = (type, [x, y]) => cdp.send('Input.dispatchTouchEvent', {
        type, touchPoints: type === 'touchEnd' ? [] : [{ x, y, id: 1, radiusX: 4, radiusY: 4, force: 1 }],
      });
      await touch('touchStart', pts[0]);
      for (const p of pts.slice(1)) await touch('touchMove', p);
      await touch('touchEnd', pts[pts.length - 1]);
    }
  }
}

/** What the page shows: answer and per-position probabilities. */
export async function readAnswer(page) {
  return page.evaluate(() => {
    const answer = document.getElementById('answer');
    return {
      contains: answer.dataset.contains,
      probability: answer.dataset.probability === undefined ? null : Number(answer.dataset.probability),
      crops: [...document.getElementById('crops').children].map((c) => Number(c.dataset.probability)),
      text: answer.textContent,
    };
  });
}

/** Waits until the page has answered for `count` digits. */
export async function waitForCrops(page, count) {
  await page.waitForFunction(
    (n) => {
      const crops = document.getElementById('crops').children;
      return crops.length === n && [...crops].every((c) => c.dataset.probability !== undefined && c.dataset.probability !== '')
        && document.getElementById('answer').dataset.probability !== undefined;
    },
    count,
    { timeout: READY_TIMEOUT },
  );
}

/** The native model's probabilities for shipped sample digits: [position][digit]. */
export function nativeProbabilities(indices) {
  const out = execFileSync('cargo', ['run', '-q', '-p', 'trainer', '--', 'predict', '--weights-dir', 'www',
    '--samples', indices.join(',')], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out).probabilities;
}
