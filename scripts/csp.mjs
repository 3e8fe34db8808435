// trunk post-build hook (Trunk.toml): fills the Content-Security-Policy of the built page
// with the hashes of its inline scripts. trunk starts the wasm from an inline module script
// whose text names the hashed file names of each build (and `trunk serve` adds its
// reload script), so the policy can only allow them by hash after the build, not by hand.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const MARKER = "'inline-script-hashes'";
const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('csp.mjs runs as a trunk post_build hook (TRUNK_STAGING_DIR unset)');
const file = path.join(dir, 'index.html');
const html = fs.readFileSync(file, 'utf8');

const POLICY = /(<meta http-equiv="Content-Security-Policy" content="[^"]*)'inline-script-hashes'/;
if (!POLICY.test(html)) {
  throw new Error(`${file}: no ${MARKER} in its Content-Security-Policy (index.html)`);
}
const hashes = [...html.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)]
  .map(([, body]) => `'sha256-${crypto.createHash('sha256').update(body, 'utf8').digest('base64')}'`);
if (hashes.length === 0) throw new Error(`${file}: no inline script found to allow`);

fs.writeFileSync(file, html.replace(POLICY, (_, before) => before + [...new Set(hashes)].join(' ')));
console.log(`csp.mjs: ${hashes.length} inline script(s) allowed by hash in ${file}`);
