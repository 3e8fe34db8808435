// End-to-end: the page as trunk builds it, in Debian's Chromium, on both backends, with the
// real shipped weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, ROOT, serveAndLaunch, openPage, waitReady, drawWithMouse, drawWithTouch,
  readAnswer, waitForCrops, nativeProbabilities,
} from './harness.mjs';

const site = serveAndLaunch();

for (const backend of ['cpu', 'webgpu']) {
  test(`${backend}: becomes ready on the backend asked for`, async () => {
    const { context, page } = await openPage(site.browser, site.url, backend);
    await waitReady(page);
    assert.equal((await page.locator('#backend').textContent()).trim(), backend);
    assert.equal(await page.locator('#error').isVisible(), false);
    await context.close();
  });

  test(`${backend}: digits drawn with the mouse get one crop each and an answer`, async () => {
    const { context, page } = await openPage(site.browser, site.url, backend);
    await waitReady(page);
    await drawWithMouse(page, [1, 4, 7]);
    await waitForCrops(page, 3);
    const shown = await readAnswer(page);
    assert.ok(shown.probability >= 0 && shown.probability <= 1, JSON.stringify(shown));
    assert.equal(shown.crops.length, 3);
    assert.ok(['true', 'false'].includes(shown.contains));
    await page.screenshot({ path: path.join(ARTIFACTS, `drawn-${backend}.png`) });
    await context.close();
  });

  test(`${backend}: sample sequences get the native model's probabilities (±1e-3)`, async () => {
    const { context, page } = await openPage(site.browser, site.url, backend);
    await waitReady(page);
    for (let round = 0; round < 2; round++) {
      await page.click('#sample');
      await page.waitForFunction(() => document.body.dataset.sampleIndices);
      const indices = (await page.evaluate(() => document.body.dataset.sampleIndices)).split(',').map(Number);
      await waitForCrops(page, indices.length);
      const native = nativeProbabilities(indices);
      for (const digit of [4, 7]) {
        await page.selectOption('#target-digit', String(digit));
        await page.waitForFunction(
          (d) => document.getElementById('answer').dataset.digit === undefined
            || document.getElementById('answer').dataset.digit === d, String(digit));
        await waitForCrops(page, indices.length);
        const shown = await readAnswer(page);
        shown.crops.forEach((p, i) => assert.ok(Math.abs(p - native[i][digit]) < 1e-3,
          `digit ${digit}, position ${i}: page ${p}, native ${native[i][digit]}`));
        const last = native[indices.length - 1][digit];
        assert.ok(Math.abs(shown.probability - last) < 1e-3, `answer ${shown.probability} vs ${last}`);
        assert.equal(shown.contains, String(last > 0.5));
      }
      await page.selectOption('#target-digit', '4');
    }
    await context.close();
  });
}

test('touch drawing produces crops and an answer', async () => {
  const { context, page } = await openPage(site.browser, site.url, 'cpu', { touch: true });
  await waitReady(page);
  await drawWithTouch(page, [4, 1, 0]);
  await waitForCrops(page, 3);
  const shown = await readAnswer(page);
  assert.ok(shown.probability >= 0 && shown.probability <= 1);
  await context.close();
});

test('the digit selector changes the question and the answer', async () => {
  const { context, page } = await openPage(site.browser, site.url, 'cpu');
  await waitReady(page);
  await drawWithMouse(page, [1, 7, 1]);
  await waitForCrops(page, 3);
  const asked4 = await readAnswer(page);
  await page.selectOption('#target-digit', '1');
  await page.waitForFunction((p) => Number(document.getElementById('answer').dataset.probability) !== p,
    asked4.probability);
  const asked1 = await readAnswer(page);
  assert.notEqual(asked1.probability, asked4.probability);
  assert.equal(asked1.contains, 'true', `a row of 1, 7, 1 contains a 1: ${JSON.stringify(asked1)}`);
  assert.equal(asked4.contains, 'false', `a row of 1, 7, 1 has no 4: ${JSON.stringify(asked4)}`);
  await context.close();
});

test('undo removes the last stroke and clear empties the pad', async () => {
  const { context, page } = await openPage(site.browser, site.url, 'cpu');
  await waitReady(page);
  await drawWithMouse(page, [1, 7, 1]);
  await waitForCrops(page, 3);
  await page.click('#undo');
  await waitForCrops(page, 2);
  await page.keyboard.press('Control+z');
  await waitForCrops(page, 1);
  await page.click('#clear');
  await page.waitForFunction(() => document.getElementById('crops').children.length === 0);
  const shown = await readAnswer(page);
  assert.equal(shown.probability, null, 'an empty pad has no answer');
  assert.match(shown.text, /digit/i, 'an empty pad asks for digits');
  await context.close();
});

test('corrupted or mismatched weights show an error, not a dead page', async () => {
  const weightsFile = JSON.parse(fs.readFileSync(path.join(ROOT, 'www/model.json'))).weights_file;
  const weights = fs.readFileSync(path.join(ROOT, 'www', weightsFile));
  const corrupted = Buffer.from(weights);
  corrupted[corrupted.length >> 1] ^= 0xff;
  const cases = {
    corrupted: { [`**/${weightsFile}`]: (route) => route.fulfill({ body: corrupted }) },
    mismatched: {
      '**/model.json': (route) => route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(ROOT, 'www/model.json'))), format_version: 99 }),
      }),
    },
    missing: { [`**/${weightsFile}`]: (route) => route.fulfill({ status: 404, body: 'not found' }) },
  };
  for (const [name, routes] of Object.entries(cases)) {
    const { context, page } = await openPage(site.browser, site.url, 'cpu', { routes });
    await page.locator('#error').waitFor({ state: 'visible', timeout: 60_000 });
    const text = await page.locator('#error').textContent();
    assert.ok(text.length > 20, `${name}: ${text}`);
    assert.notEqual(await page.evaluate(() => document.body.dataset.ready), 'true', name);
    await context.close();
  }
});

test('a screenshot of the page with a drawn sequence is kept as an artifact', async () => {
  const { context, page } = await openPage(site.browser, site.url, 'cpu');
  await waitReady(page);
  await drawWithMouse(page, [4, 1, 7, 0]);
  await waitForCrops(page, 4);
  const file = path.join(ARTIFACTS, 'page.png');
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(fs.statSync(file).size > 10_000);
  await context.close();
});
