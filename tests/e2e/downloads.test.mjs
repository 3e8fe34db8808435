// The page's downloads served wrong: model.json, the weights and samples.bin answered with an
// HTML page, truncated, mismatched or late. The page says what is wrong (or that it is still
// loading) and never hangs silently; a bad samples.bin only turns the Sample button off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ROOT, serveAndLaunch, openPage, waitReady, drawWithMouse, waitForCrops, readAnswer,
} from './harness.mjs';

const site = serveAndLaunch();

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/model.json')));
const weights = fs.readFileSync(path.join(ROOT, 'www', manifest.weights_file));
const samples = fs.readFileSync(path.join(ROOT, 'www/samples.bin'));
const htmlPage = (status) => (route) => route.fulfill({
  status, contentType: 'text/html', body: '<!doctype html><title>Not here</title><h1>Page not found</h1>',
});
const late = (ms) => async (route) => {
  await new Promise((r) => setTimeout(r, ms));
  await route.continue();
};

async function errorShown(page) {
  await page.locator('#error').waitFor({ state: 'visible', timeout: 60_000 });
  assert.notEqual(await page.evaluate(() => document.body.dataset.ready), 'true');
  return page.locator('#error').textContent();
}

const broken = {
  'model.json as an HTML 404 page': [{ '**/model.json': htmlPage(404) }, /model\.json is missing \(HTTP 404\)/],
  'model.json as the site\'s index page (single-page-app hosting)':
    [{ '**/model.json': htmlPage(200) }, /model\.json is missing \(the server sent a web page/],
  'the weights truncated': [
    { [`**/${manifest.weights_file}`]: (route) => route.fulfill({ body: weights.subarray(0, weights.length >> 1) }) },
    /truncated/],
  'weights of another network than the manifest describes': [
    {
      '**/model.json': (route) => route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({ ...manifest, config: { ...manifest.config, lstm_hidden: 32 } }),
      }),
    },
    /do not fit the network/],
};
for (const [name, [routes, says]] of Object.entries(broken)) {
  test(`${name}: a clear error, the pad still works`, async () => {
    const { context, page } = await openPage(site.browser, site.url, 'cpu', { routes });
    assert.match(await errorShown(page), says);
    assert.match(await page.locator('#answer').textContent(), /No model/);
    // No model, so crops without probabilities: the pad still segments and renders.
    await drawWithMouse(page, [1, 4]);
    await page.waitForFunction(() => document.getElementById('crops').children.length === 2);
    assert.deepEqual(page.logs.filter((l) => l.startsWith('pageerror')), []);
    await context.close();
  });
}

test('weights arriving 10 s late: the page says it is still loading, then answers', async () => {
  const { context, page } = await openPage(site.browser, site.url, 'cpu',
    { routes: { [`**/${manifest.weights_file}`]: late(10_000) } });
  await page.waitForFunction(
    () => /Still loading/.test(document.getElementById('answer').textContent), null, { timeout: 9_000 });
  await waitReady(page);
  await drawWithMouse(page, [4]);
  await waitForCrops(page, 1);
  assert.equal(typeof (await readAnswer(page)).probability, 'number');
  assert.equal(await page.locator('#error').isVisible(), false);
  await context.close();
});

const badSamples = {
  'samples.bin missing': [htmlPage(404), /samples\.bin is missing/],
  'samples.bin truncated': [(route) => route.fulfill({ body: samples.subarray(0, 1000) }), /samples\.bin.*truncated/],
};
for (const [name, [handler, says]] of Object.entries(badSamples)) {
  test(`${name}: only the Sample button is off, the model answers`, async () => {
    const { context, page } = await openPage(site.browser, site.url, 'cpu', { routes: { '**/samples.bin': handler } });
    await waitReady(page);
    assert.match(await page.locator('#notice').textContent(), says);
    assert.equal(await page.locator('#sample').isDisabled(), true);
    assert.equal(await page.locator('#error').isVisible(), false);
    await drawWithMouse(page, [1, 4]);
    await waitForCrops(page, 2);
    assert.equal(typeof (await readAnswer(page)).probability, 'number');
    await context.close();
  });
}

test('samples.bin arriving 10 s late does not hold up the model', async () => {
  const { context, page } = await openPage(site.browser, site.url, 'cpu', { routes: { '**/samples.bin': late(10_000) } });
  const t0 = Date.now();
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
  const readyAfter = Date.now() - t0;
  assert.ok(readyAfter < 9_000, `the model waited for the samples (${readyAfter} ms)`);
  assert.equal(await page.locator('#sample').isDisabled(), true);
  await waitReady(page);
  assert.equal(await page.locator('#sample').isDisabled(), false);
  await context.close();
});
