// Nothing from elsewhere: the page loads only from its own origin under a strict
// Content-Security-Policy (on both backends, and as `trunk serve` serves it), and
// `trunk serve` listens on the loopback interface only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT, serveAndLaunch, openPage, waitReady, waitForCrops, cspViolations, READY_TIMEOUT,
} from './harness.mjs';

const site = serveAndLaunch();

/** Opens the page at `base`, fills the pad with samples and returns every URL it asked for. */
async function sampleAndListRequests(base, backend) {
  const requested = [];
  const { context, page } = await openPage(site.browser, base, backend);
  page.on('request', (r) => requested.push(r.url()));
  await waitReady(page);
  await page.click('#sample');
  await page.waitForFunction(() => document.body.dataset.sampleIndices);
  const count = (await page.evaluate(() => document.body.dataset.sampleIndices)).split(',').length;
  await waitForCrops(page, count);
  return { context, page, requested };
}

function assertSameOrigin(requested, base) {
  const origin = new URL(base).origin;
  const foreign = requested.filter((u) => !u.startsWith('data:') && new URL(u).origin !== origin);
  assert.deepEqual(foreign, [], 'requests to other origins');
  assert.ok(requested.some((u) => u.endsWith('.bpk')), 'the weights come from the page\'s origin');
}

for (const backend of ['cpu', 'webgpu']) {
  test(`${backend}: every request goes to the page's origin and the policy refuses nothing it needs`, async () => {
    const { context, page, requested } = await sampleAndListRequests(site.url, backend);
    assertSameOrigin(requested, site.url);
    assert.deepEqual(await cspViolations(page), []);
    assert.equal((await page.locator('#backend').textContent()).trim(), backend);
    await context.close();
  });
}

test('the policy allows only this origin, and refuses scripts from elsewhere or injected inline', async () => {
  const { context, page } = await openPage(site.browser, site.url, 'cpu');
  await waitReady(page);
  const policy = await page.evaluate(
    () => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? '');
  assert.match(policy, /default-src 'self'/);
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/, 'trunk\'s inline script allowed by hash');
  assert.doesNotMatch(policy, /unsafe-inline|'unsafe-eval'|inline-script-hashes|\*/);

  await page.evaluate(() => {
    const outside = document.createElement('script');
    outside.src = 'https://cdn.example.com/tracker.js';
    document.head.append(outside);
    const inline = document.createElement('script');
    inline.textContent = 'window.__injectedRan = true;';
    document.head.append(inline);
    return fetch('https://api.example.com/collect').catch(() => null);
  });
  await page.waitForFunction(() => window.__cspViolations.length >= 3);
  const refused = (await cspViolations(page)).join('\n');
  assert.match(refused, /script-src-elem refused https:\/\/cdn\.example\.com/);
  assert.match(refused, /script-src-elem refused inline/);
  assert.match(refused, /connect-src refused https:\/\/api\.example\.com/);
  assert.equal(await page.evaluate(() => window.__injectedRan), undefined);
  await context.close();
});

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
/** 'open' or the connection error's code. */
const probe = (host, port) => new Promise((resolve) => {
  const socket = net.connect({ host, port, timeout: 2000 });
  socket.on('connect', () => { socket.destroy(); resolve('open'); });
  socket.on('timeout', () => { socket.destroy(); resolve('ETIMEDOUT'); });
  socket.on('error', (e) => resolve(e.code));
});

test('trunk serve (the demo) listens on the loopback interface only, and its page keeps the policy', async () => {
  const port = await freePort();
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'digitseq-serve-'));
  // As scripts/demo.sh serves it (Trunk.toml's addresses), into a throwaway dist.
  const trunk = spawn('trunk', ['serve', '--release', '--port', String(port), '--dist', dist],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  trunk.stdout.on('data', (d) => { output += d; });
  trunk.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => trunk.on('exit', resolve));
  try {
    const deadline = Date.now() + READY_TIMEOUT;
    for (;;) {
      const answered = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok).catch(() => false);
      if (answered) break;
      if (trunk.exitCode !== null || Date.now() > deadline) {
        assert.fail(`trunk serve did not answer on 127.0.0.1:${port}:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const outward = Object.values(os.networkInterfaces()).flat()
      .filter((a) => !a.internal && a.family === 'IPv4').map((a) => a.address);
    for (const address of outward) {
      assert.notEqual(await probe(address, port), 'open', `trunk serve answers on ${address}`);
    }
    // The demo's page, with trunk's reload script, under the same policy.
    const { context, page, requested } = await sampleAndListRequests(`http://127.0.0.1:${port}`, 'cpu');
    assertSameOrigin(requested, `http://127.0.0.1:${port}`);
    assert.deepEqual(await cspViolations(page), []);
    await context.close();
  } finally {
    process.kill(-trunk.pid, 'SIGTERM');
    await exited;
    fs.rmSync(dist, { recursive: true, force: true });
  }
});
