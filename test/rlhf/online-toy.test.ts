// RLOO, REINFORCE++ and GRPO with DAPO's options end to end on the PPO toy task: a tiny random policy over 16 tokens is paid
// the share of 7s in its response. A short run on the one training loop must raise that reward
// well above where it started, with the KL penalty to the reference in play.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CausalLM, loadWeights, modelConfig } from '../../src/models/index.js';
import { Rng } from '../../src/engine/rng.js';
import { modelReference } from '../../src/rlhf/core/reference.js';
import { trainOnline, type OnlineMethod, type OnlineTrainSetup } from '../../src/rlhf/core/online-run.js';
import { ONLINE_DEFAULTS, type OnlineConfig } from '../../src/rlhf/core/online-config.js';
import { rlooMethod } from '../../src/rlhf/rloo/trainer.js';
import { reinforcePpMethod } from '../../src/rlhf/reinforce/trainer.js';
import type { RewardSource } from '../../src/rlhf/reward/source.js';
import { GRPO_DEFAULTS, type GrpoConfig } from '../../src/rlhf/grpo/config.js';
import { trainGrpo } from '../../src/rlhf/grpo/trainer.js';

const V = 16, TARGET = 7, STOP = 15;

const share7: RewardSource = {
  name: 'toy reward',
  score: async (_prompts, responses) => Float32Array.from(responses, (r) => r.filter((t) => t === TARGET).length / r.length),
};

function toySetup(): OnlineTrainSetup {
  const cfg = modelConfig({ vocabSize: V, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 32, eosTokenId: STOP });
  const policy = new CausalLM(cfg, { seed: 1 }).eval();
  const ref = new CausalLM(cfg, { seed: 1 }).eval();
  for (const p of ref.parameters()) p.requiresGrad = false;
  const rng = new Rng(3);
  const prompts = Array.from({ length: 32 }, () => ({ ids: Array.from({ length: 3 }, () => rng.int(V - 1)), messages: [], text: '', gold: null }));
  return {
    policy, ref: modelReference(ref), reward: share7, padId: 0, stopIds: [STOP],
    params: policy.namedParameters(), saveWeights: (dir) => policy.save(dir), loadWeights: (dir) => loadWeights(policy, dir),
    prompts, normalization: { mean: 0, std: 1 },
  };
}

function toyConfig(prefix: string, over: Partial<OnlineConfig> = {}): OnlineConfig {
  return {
    ...structuredClone(ONLINE_DEFAULTS), out: mkdtempSync(join(tmpdir(), `rlhf-${prefix}-`)), policy: '-', rewardFn: '-', iterations: 14, saveEvery: 100,
    promptsPerIteration: 8, samplesPerPrompt: 4, rollout: { maxNewTokens: 6, temperature: 1, topK: 0 },
    score: { normalize: false, clip: 0, missingEosPenalty: 0 }, klCoef: 0.01, epochs: 2, miniBatchSize: 16, optim: { ...ONLINE_DEFAULTS.optim, lr: 3e-3 },
    ...over,
  };
}

async function raises(method: OnlineMethod, cfg: OnlineConfig): Promise<void> {
  const { records: r } = await trainOnline(toySetup(), cfg, method, { quiet: true });
  const early = (r[0].score + r[1].score) / 2, late = (r[r.length - 1].score + r[r.length - 2].score) / 2;
  assert.ok(early < 0.2, `a random policy emits 7 about 1/16 of the time, got ${early}`);
  assert.ok(late > early + 0.3, `reward ${early.toFixed(3)} → ${late.toFixed(3)} did not rise enough`);
  assert.ok(r.every((x) => Number.isFinite(x.kl) && Number.isFinite(x.loss)));
  assert.ok(r[r.length - 1].kl > 0, 'the policy moved away from the reference');
}

test('RLOO raises a toy reward ("emit token 7") within a few iterations', async () => {
  await raises(rlooMethod({ samplesPerPrompt: 4, klCoef: 0.01 }), toyConfig('rloo-toy'));
});

test('REINFORCE++ raises the same toy reward, one sample per prompt, batch-normalised', async () => {
  await raises(reinforcePpMethod({ samplesPerPrompt: 1, klCoef: 0.01, gamma: 1, groupBaseline: false }), toyConfig('rpp-toy', { promptsPerIteration: 32, samplesPerPrompt: 1 }));
});

test('GRPO with DAPO (clip-higher, token-level loss, dynamic sampling) raises a 0/1 toy reward', async () => {
  // Paid 1 for a response holding a 7 at all: at first most groups of 4 are all 0 and carry no
  // signal, so dynamic sampling draws more rollouts to fill the batch with groups that differ.
  const any7: RewardSource = { name: 'toy 0/1', score: async (_p, responses) => Float32Array.from(responses, (r) => (r.includes(TARGET) ? 1 : 0)) };
  const { reward: _r, normalization: _n, ...setup } = toySetup();
  const cfg: GrpoConfig = {
    ...structuredClone(GRPO_DEFAULTS), out: mkdtempSync(join(tmpdir(), 'rlhf-grpo-toy-')), policy: '-', iterations: 12, saveEvery: 100,
    promptsPerIteration: 4, groupSize: 4, rollout: { maxNewTokens: 3, temperature: 1, topK: 0 }, epochs: 2, miniBatchSize: 8,
    clipRange: 0.2, clipHigh: 0.28, lossAggregation: 'token', dynamicSampling: { enabled: true, maxExtraRollouts: 3 }, klCoef: 0.01,
    optim: { ...GRPO_DEFAULTS.optim, lr: 3e-3 },
  };
  const { records: r } = await trainGrpo({ ...setup, reward: any7 }, cfg, { quiet: true });
  const early = (r[0].reward + r[1].reward) / 2, late = (r[r.length - 1].reward + r[r.length - 2].reward) / 2;
  assert.ok(early < 0.35, `a random policy puts a 7 in 3 tokens about 18% of the time, got ${early}`);
  assert.ok(late > early + 0.3, `reward ${early.toFixed(3)} → ${late.toFixed(3)} did not rise enough`);
  assert.ok(r.some((x) => x.rollouts > 1), 'dynamic sampling drew extra rollouts');
  assert.ok(r.every((x) => x.trainedGroups <= cfg.promptsPerIteration));
});
