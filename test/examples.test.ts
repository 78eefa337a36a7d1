// The guides' examples run as written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('examples/mlp.ts: the loss falls', () => {
  const script = fileURLToPath(new URL('../examples/mlp.js', import.meta.url));
  const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
  const losses = [...out.matchAll(/loss ([\d.]+)/g)].map((m) => Number(m[1]));
  assert.equal(losses.length, 6, out);
  assert.ok(losses[5] < losses[0] / 100, `losses ${losses.join(' ')}`);
});
