// PPO end to end on a toy task: a tiny random policy over 16 tokens is rewarded for emitting token 7
// (the share of 7s in its response). A short run must raise the reward well above where it started,
// with the KL penalty, GAE, whitening, clipping, the critic and the adaptive controller all in play.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CausalLM, ScalarHeadModel, loadWeights, modelConfig } from '../../src/models/index.js';
import { Rng } from '../../src/engine/rng.js';
import { modelReference } from '../../src/rlhf/core/reference.js';
import { PPO_DEFAULTS, type PpoConfig } from '../../src/rlhf/ppo/config.js';
import { trainPpo, type PpoSetup } from '../../src/rlhf/ppo/trainer.js';
import type { SequenceBatch } from '../../src/rlhf/core/batch.js';

const V = 16, TARGET = 7, STOP = 15;

function toyConfig(out: string): PpoConfig {
  return {
    ...structuredClone(PPO_DEFAULTS), out, policy: '-', reward: '-', iterations: 14, saveEvery: 100,
    rollout: { ...PPO_DEFAULTS.rollout, batchSize: 16, maxNewTokens: 6, temperature: 1, topK: 0 },
    ppo: { ...PPO_DEFAULTS.ppo, epochs: 4, miniBatchSize: 8 },
    kl: { estimator: 'k1', coef: 0.01, target: 6, horizon: 10000 },
    score: { normalize: false, clip: 0, missingEosPenalty: 0 },
    optim: { ...PPO_DEFAULTS.optim, actorLr: 3e-3, criticLr: 3e-3 },
  };
}

const share7 = (batch: SequenceBatch): Float32Array => Float32Array.from(batch.responses, (r) => r.filter((t) => t === TARGET).length / r.length);

/** A fresh toy setup: random actor (= reference) and critic, 32 random 3-token prompts. */
function toySetup(): PpoSetup {
  const cfg = modelConfig({ vocabSize: V, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 32, eosTokenId: STOP });
  const actor = new CausalLM(cfg, { seed: 1 }).eval();
  const ref = new CausalLM(cfg, { seed: 1 }).eval();
  for (const p of ref.parameters()) p.requiresGrad = false;
  const critic = new ScalarHeadModel(cfg, { seed: 2 }).eval();
  const rng = new Rng(3);
  const prompts = Array.from({ length: 32 }, () => ({ ids: Array.from({ length: 3 }, () => rng.int(V - 1)), messages: [], text: '', gold: null }));
  return {
    actor, actorParams: actor.namedParameters(), saveActor: (dir) => actor.save(dir), loadActor: (dir) => loadWeights(actor, dir),
    critic, ref: modelReference(ref), score: share7, normalization: { mean: 0, std: 1 },
    prompts, ptx: [], padId: 0, stopIds: [STOP],
  };
}

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
