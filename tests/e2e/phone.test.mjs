// The page on a phone (issue 14): 390×844 CSS pixels, touch, devicePixelRatio 3. A row of
// eight digits fits the pad, touch strokes segment and read like the same strokes drawn with
// the mouse, and drawing neither scrolls nor zooms the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, serveAndLaunch, openPage, waitReady, drawWithMouse, drawWithTouch, readAnswer,
  waitForCrops,
} from './harness.mjs';

const site = serveAndLaunch();

const ROW = [4, 1, 7, 0, 1, 4, 0, 7];

/** Where the page sits and how it is zoomed, and whether anything is wider than the screen. */
const viewport = (page) => page.evaluate(() => ({
  scrollX: window.scrollX,
  scrollY: window.scrollY,
  scale: window.visualViewport.scale,
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  dpr: window.devicePixelRatio,
}));

test('phone: eight touch-written digits fit one row, read like mouse ones, and nothing scrolls or zooms', async () => {
  const { context, page } = await openPage(site.browser, site.url, 'cpu', { phone: true });
  await waitReady(page);
  const before = await viewport(page);
  assert.equal(before.dpr, 3);
  assert.ok(before.overflow <= 0, `the page is ${before.overflow} px wider than the phone`);

  await drawWithTouch(page, ROW, { fit: true });
  await waitForCrops(page, ROW.length);
  const byTouch = await readAnswer(page);
  assert.equal(byTouch.crops.length, ROW.length, 'one crop per digit');
  assert.equal(byTouch.contains, 'true', `the row has two 4s: ${JSON.stringify(byTouch)}`);
  assert.deepEqual(await viewport(page), before, 'drawing moved or zoomed the page');
  const file = path.join(ARTIFACTS, 'phone.png');
  await page.screenshot({ path: file, scale: 'css' });
  assert.ok(fs.statSync(file).size > 5_000);

  await page.locator('#clear').click();
  await page.waitForFunction(() => document.getElementById('crops').children.length === 0);
  await drawWithMouse(page, ROW, { fit: true });
  await waitForCrops(page, ROW.length);
  const byMouse = await readAnswer(page);
  assert.equal(byMouse.contains, byTouch.contains);
  for (const [i, p] of byTouch.crops.entries()) {
    assert.ok(Math.abs(p - byMouse.crops[i]) <= 1e-3, `digit ${i + 1}: ${p} by touch, ${byMouse.crops[i]} by mouse`);
  }
  await context.close();
});
