// PPO end to end on a toy task: a tiny random policy over 16 tokens is rewarded for emitting token 7
// (the share of 7s in its response). A short run must raise the reward well above where it started,
// with the KL penalty, GAE, whitening, clipping, the critic and the adaptive controller all in play.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/engine/rng.js';
import { ShardWriter } from '../../src/data/shards.js';
import type { PpoConfig } from '../../src/rlhf/ppo/config.js';
import { trainPpo, type PpoSetup } from '../../src/rlhf/ppo/trainer.js';
import { STOP, V, toyConfig, toySetup } from './toy.js';

test('PPO raises a toy reward ("emit token 7") within a few iterations', async () => {
  const out = mkdtempSync(join(tmpdir(), 'rlhf-ppo-toy-'));
  const result = await trainPpo(toySetup(), toyConfig(out), { quiet: true });

  const r = result.records;
  const early = (r[0].score + r[1].score) / 2, late = (r[r.length - 1].score + r[r.length - 2].score) / 2;
  assert.ok(early < 0.2, `a random policy emits 7 about 1/16 of the time, got ${early}`);
  assert.ok(late > early + 0.3, `reward ${early.toFixed(3)} → ${late.toFixed(3)} did not rise enough`);
  assert.ok(r.every((x) => Number.isFinite(x.kl) && Number.isFinite(x.valueLoss)));
  assert.ok(r[r.length - 1].kl > 0, 'the policy moved away from the reference');
});

test('PPO resumed from a checkpoint repeats the uninterrupted run exactly', async () => {
  const full = await trainPpo(toySetup(), { ...toyConfig(mkdtempSync(join(tmpdir(), 'rlhf-ppo-full-'))), iterations: 4 }, { quiet: true });
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-ppo-resume-'));
  await trainPpo(toySetup(), { ...toyConfig(dir), iterations: 2, saveEvery: 2 }, { quiet: true });
  // A new process: fresh models, everything else from the checkpoint (weights, optimizer, β, RNG, prompt cursor).
  const resumed = await trainPpo(toySetup(), { ...toyConfig(dir), iterations: 4, saveEvery: 2 }, { quiet: true, resume: true });
  assert.equal(resumed.resumedFrom, 2);
  assert.deepEqual(resumed.records.map((r) => [r.score, r.policyLoss, r.klCoef]), full.records.slice(2).map((r) => [r.score, r.policyLoss, r.klCoef]));
});

test('PPO-ptx draws pretraining windows from token shards, its loss logged and resumed with the run; a fixed β stays put', async () => {
  // Pretraining text of the toy vocabulary: documents of tokens 0…14 (15 ends each one).
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-ppo-ptx-'));
  const shard = join(dir, 'train.bin');
  const w = new ShardWriter(shard, V, STOP);
  const rng = new Rng(9);
  for (let d = 0; d < 40; d++) w.addDocument(Int32Array.from({ length: 20 }, () => rng.int(STOP)));
  w.close();
  // A fixed β here too (kl.adaptive false): it must not move.
  const cfg = (out: string, iterations: number): PpoConfig => {
    const c = toyConfig(out);
    return { ...c, iterations, saveEvery: 2, kl: { ...c.kl, adaptive: false }, ptx: { coef: 0.5, data: shard, batchSize: 2, seqLen: 8 } };
  };
  const setup = (): PpoSetup => ({ ...toySetup(), ptxShards: [shard] });
  const full = await trainPpo(setup(), cfg(join(dir, 'full'), 4), { quiet: true });
  assert.ok(full.records.every((r) => Number.isFinite(r.ptxLoss) && r.ptxLoss > 0));
  assert.ok(full.records.every((r) => r.klCoef === 0.01), `β ${full.records.map((r) => r.klCoef).join(' ')}`);
  // Near log 15 for a random policy over 16 tokens.
  assert.ok(Math.abs(full.records[0].ptxLoss - Math.log(15)) < 0.6, `ptx loss ${full.records[0].ptxLoss}`);
  await trainPpo(setup(), cfg(join(dir, 'resumed'), 2), { quiet: true });
  const resumed = await trainPpo(setup(), cfg(join(dir, 'resumed'), 4), { quiet: true, resume: true });
  assert.deepEqual(resumed.records.map((r) => r.ptxLoss), full.records.slice(2).map((r) => r.ptxLoss));
});
