// Checkpoint integrity (issue 18, case 3): every checkpoint carries a manifest of its files' sizes
// and SHA-256; a flipped byte or a truncated file is caught on resume, which falls back to the
// newest intact checkpoint with a warning and then repeats the uninterrupted run's losses exactly;
// with no intact checkpoint left the run stops instead of starting over, and loading a damaged
// checkpoint directly is an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdamW } from '../../src/nn/index.js';
import { loadPretrained } from '../../src/models/index.js';
import { latestCheckpoint, loadCheckpoint } from '../../src/train/checkpoint.js';
import { pretrain } from '../../src/train/pretrain.js';
import { readMetrics } from '../../src/train/metrics.js';
import { byteShards, tinyPretrain, tmp } from './helpers.js';

/** Runs `fn` with console.warn captured. */
async function warnings<T>(fn: () => Promise<T>): Promise<{ value: T; warned: string[] }> {
  const warned: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => warned.push(m);
  try {
    return { value: await fn(), warned };
  } finally {
    console.warn = warn;
  }
}

/** Flips 400 bytes in the middle of a file (the corruption). */
function flip(path: string): void {
  const b = readFileSync(path);
  const at = Math.floor(b.length / 2) - 200;
  for (let i = at; i < at + 400; i++) b[i] ^= 0x5a;
  writeFileSync(path, b);
}

const losses = (dir: string): unknown[] => readMetrics(join(dir, 'metrics.jsonl')).map((m) => m.loss ?? m.evalLoss);

test('a damaged newest checkpoint is passed over with a warning; the resumed run matches an uninterrupted one', async () => {
  const shards = byteShards();
  // A constant schedule, so the learning rates of an 8-step run extended to 10 are a 10-step run's.
  const cfg = (out: string, steps: number) => tinyPretrain(out, shards, { steps, saveEvery: 4, keepLast: 2, evalEvery: 6, schedule: 'constant' });
  const whole = join(tmp('integrity'), 'whole');
  await pretrain(cfg(whole, 10), { quiet: true });

  for (const [what, damage, problem] of [
    ['flipped bytes in the weights', (d: string) => flip(join(d, 'model.safetensors')), /model\.safetensors does not match its SHA-256 in manifest\.json/],
    ['a truncated optimizer state', (d: string) => truncateSync(join(d, 'optimizer.safetensors'), 100), /optimizer\.safetensors has 100 bytes, the manifest says \d+/],
  ] as const) {
    const out = join(tmp('integrity'), 'run');
    await pretrain(cfg(out, 8), { quiet: true });
    const ckpts = join(out, 'checkpoints');
    assert.deepEqual(readdirSync(ckpts), ['step-00000004', 'step-00000008']);
    assert.ok(readdirSync(join(ckpts, 'step-00000008')).includes('manifest.json'));
    damage(join(ckpts, 'step-00000008'));
    const { value: s, warned } = await warnings(() => pretrain(cfg(out, 10), { resume: true, quiet: true }));
    assert.equal(s.resumedFrom, 4, what);
    assert.equal(warned.length, 1, what);
    assert.match(warned[0], new RegExp(`checkpoint ${ckpts}/step-00000008 is damaged \\(`), what);
    assert.match(warned[0], problem, what);
    assert.match(warned[0], /falling back to .*step-00000004$/, what);
    assert.deepEqual(losses(out), losses(whole), `${what}: steps 5–10 redone as in the uninterrupted run`);
    assert.deepEqual(readdirSync(ckpts), ['step-00000008', 'step-00000010'], 'the damaged checkpoint was replaced');
    assert.equal(latestCheckpoint(out)!.step, 10);
  }
});

test('with every checkpoint damaged, resuming stops instead of starting over; a damaged checkpoint does not load', async () => {
  const shards = byteShards();
  const out = join(tmp('integrity'), 'all');
  const cfg = tinyPretrain(out, shards, { steps: 4, saveEvery: 2, keepLast: 2, evalEvery: 0 });
  await pretrain(cfg, { quiet: true });
  for (const step of ['step-00000002', 'step-00000004']) flip(join(out, 'checkpoints', step, 'model.safetensors'));
  await assert.rejects(pretrain({ ...cfg, train: { ...cfg.train, steps: 6 } }, { resume: true, quiet: true }),
    /no intact checkpoint to resume from: checkpoint .*step-00000004 is damaged .*; checkpoint .*step-00000002 is damaged .*Delete .*checkpoints to start over/);
  const model = await loadPretrained(join(out, 'model'));
  const opt = new AdamW(model.parameters(), { lr: 1e-3 });
  assert.throws(() => loadCheckpoint(join(out, 'checkpoints', 'step-00000004'), model.namedParameters(), opt.groups), /step-00000004: checkpoint is damaged \(model\.safetensors does not match its SHA-256/);
});
