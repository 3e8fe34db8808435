// WebGPU faults injected on SwiftShader: the page trusts WebGPU only after its answers match
// the CPU's, compares one reading in 20 with the CPU after that, and any later fault (a lost
// device, an error no call returns, answers unlike the CPU's) moves it to the CPU with the
// drawing kept; choosing WebGPU again opens a fresh device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serveAndLaunch, openPage, waitReady, drawWithMouse, readAnswer, waitForCrops, nativeProbabilities,
} from './harness.mjs';

const site = serveAndLaunch();

const backendShown = (page) => page.locator('#backend').textContent().then((t) => t.trim());
const notice = (page) => page.locator('#notice').textContent();

test('WebGPU whose answers differ from the CPU is refused at warm-up', async () => {
  const { context, page } = await openPage(site.browser, site.url, 'webgpu', { query: '&gpuFault=corrupt' });
  await waitReady(page);
  assert.equal(await backendShown(page), 'cpu');
  assert.match(await notice(page), /differ from the CPU/);
  await drawWithMouse(page, [1, 4, 7]);
  await waitForCrops(page, 3);
  assert.equal(await page.locator('#error').isVisible(), false);
  await context.close();
});

test('WebGPU that starts answering wrong after its check is caught by a spot check against the CPU', async () => {
  const { context, page } = await openPage(site.browser, site.url, 'webgpu');
  await waitReady(page);
  assert.equal(await backendShown(page), 'webgpu');
  assert.equal(await page.evaluate(() => window.digitseq.injectGpuFault('corrupt')), true);
  // One reading of a new sample row; every 20th WebGPU reading is read again on the CPU.
  const row = (i) => [i % 300, (i * 7 + 3) % 300, (i * 13 + 5) % 300];
  const read = (indices) => page.evaluate(async (indices) => {
    const before = window.digitseq.inferences;
    window.digitseq.showSamples(indices);
    await new Promise((resolve) => {
      const check = () => (window.digitseq.inferences > before && document.body.dataset.busy !== 'true'
        ? resolve() : setTimeout(check, 5));
      check();
    });
  }, indices);
  let readings = 0;
  while ((await backendShown(page)) === 'webgpu' && readings < 30) await read(row(readings++));
  assert.equal(await backendShown(page), 'cpu', `still on WebGPU after ${readings} readings`);
  assert.ok(readings <= 21, `caught after ${readings} readings`);
  assert.match(await notice(page), /drifted from the CPU/);
  // What is shown is the CPU's answer to the row the check caught, not the altered one.
  const shown = await page.evaluate(() => window.digitseq.probabilities);
  const native = nativeProbabilities(row(readings - 1));
  const worst = Math.max(...shown.flatMap((r, i) => r.map((p, d) => Math.abs(p - native[i][d]))));
  assert.ok(worst < 1e-3, `shown answers differ from the native ones by ${worst}`);
  await context.close();
});

/** Whether this browser dispatches WebGPU's uncapturederror events at all (Chromium
 * 156.0.8078.114 on SwiftShader does not; .73 did), probed with raw WebGPU in the page. */
async function browserReportsUncapturedErrors() {
  const { context, page } = await openPage(site.browser, site.url, 'cpu');
  const heard = await page.evaluate(async () => {
    const device = await (await navigator.gpu.requestAdapter()).requestDevice();
    let seen = false;
    device.addEventListener('uncapturederror', () => { seen = true; });
    device.createBuffer({ size: 4, usage: 0 });
    await new Promise((r) => setTimeout(r, 2000));
    device.destroy();
    return seen;
  });
  await context.close();
  return heard;
}

// A lost device is heard by its handler, or first as a failed readback.
for (const [fault, said] of [['lose', /lost|failed while reading/], ['validation', /error/]]) {
  test(`a GPU fault (${fault}) moves the page to the CPU, drawing kept; WebGPU can be retried`, async (t) => {
    if (fault === 'validation' && !(await browserReportsUncapturedErrors())) {
      t.skip('this browser dispatches no uncapturederror events, so the page cannot hear them (docs/gpu.md)');
      return;
    }
    const { context, page } = await openPage(site.browser, site.url, 'webgpu');
    await waitReady(page);
    assert.equal(await backendShown(page), 'webgpu');
    await drawWithMouse(page, [1, 4, 7]);
    await waitForCrops(page, 3);
    const before = await readAnswer(page);

    assert.equal(await page.evaluate((f) => window.digitseq.injectGpuFault(f), fault), true);
    await page.waitForFunction(() => document.getElementById('backend').textContent.trim() === 'cpu',
      null, { timeout: 120_000 });
    assert.match(await notice(page), said);
    assert.match(await notice(page), /running on the CPU/);
    await waitForCrops(page, 3);
    const onCpu = await readAnswer(page);
    assert.ok(Math.abs(onCpu.probability - before.probability) < 1e-3, `${onCpu.probability} vs ${before.probability}`);

    await page.selectOption('#backend-choice', 'webgpu');
    await page.waitForFunction(() => document.getElementById('backend').textContent.trim() === 'webgpu',
      null, { timeout: 240_000 });
    await waitForCrops(page, 3);
    const again = await readAnswer(page);
    assert.ok(Math.abs(again.probability - before.probability) < 1e-3, `${again.probability} vs ${before.probability}`);
    await context.close();
  });
}
