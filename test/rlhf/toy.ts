// The toy task of PPO and the critic-free methods, shared by ppo-toy.test.ts, online-toy.test.ts and
// the data-parallel test: a tiny random policy over 16 tokens is rewarded for emitting token 7 (the
// share of 7s in its response).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CausalLM, ScalarHeadModel, loadWeights, modelConfig } from '../../src/models/index.js';
import { Rng } from '../../src/engine/rng.js';
import { modelReference } from '../../src/rlhf/core/reference.js';
import { PPO_DEFAULTS, type PpoConfig } from '../../src/rlhf/ppo/config.js';
import type { PpoSetup } from '../../src/rlhf/ppo/trainer.js';
import type { OnlineTrainSetup } from '../../src/rlhf/core/online-run.js';
import { ONLINE_DEFAULTS, type OnlineConfig } from '../../src/rlhf/core/online-config.js';
import { GRPO_DEFAULTS, type GrpoConfig } from '../../src/rlhf/grpo/config.js';
import type { RewardSource } from '../../src/rlhf/reward/source.js';

export const V = 16, TARGET = 7, STOP = 15;

export function toyConfig(out: string): PpoConfig {
  return {
    ...structuredClone(PPO_DEFAULTS), out, policy: '-', reward: '-', iterations: 14, saveEvery: 100,
    rollout: { ...PPO_DEFAULTS.rollout, batchSize: 16, maxNewTokens: 6, temperature: 1, topK: 0 },
    ppo: { ...PPO_DEFAULTS.ppo, epochs: 4, miniBatchSize: 8 },
    kl: { estimator: 'k1', coef: 0.01, adaptive: true, target: 6, horizon: 10000 },
    score: { normalize: false, clip: 0, missingEosPenalty: 0 },
    optim: { ...PPO_DEFAULTS.optim, actorLr: 3e-3, criticLr: 3e-3 },
  };
}

export const share7: RewardSource = {
  name: 'toy reward',
  score: async (_prompts, responses) => Float32Array.from(responses, (r) => r.filter((t) => t === TARGET).length / r.length),
};

/** A fresh toy setup: random actor (= reference) and critic, 32 random 3-token prompts. */
export function toySetup(): PpoSetup {
  const cfg = modelConfig({ vocabSize: V, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 32, eosTokenId: STOP });
  const actor = new CausalLM(cfg, { seed: 1 }).eval();
  const ref = new CausalLM(cfg, { seed: 1 }).eval();
  for (const p of ref.parameters()) p.requiresGrad = false;
  const critic = new ScalarHeadModel(cfg, { seed: 2 }).eval();
  const rng = new Rng(3);
  const prompts = Array.from({ length: 32 }, () => ({ ids: Array.from({ length: 3 }, () => rng.int(V - 1)), messages: [], text: '', gold: null }));
  return {
    actor, actorParams: actor.namedParameters(), saveActor: (dir) => actor.save(dir), loadActor: (dir) => loadWeights(actor, dir),
    critic, ref: modelReference(ref), reward: share7, normalization: { mean: 0, std: 1 },
    prompts, ptxShards: [], padId: 0, stopIds: [STOP],
  };
}

/** The toy task for the critic-free methods: a random policy (= reference), 32 random prompts. */
export function onlineToySetup(): OnlineTrainSetup {
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

/** Their toy config: 14 iterations of 8 prompts × 4 samples, in a fresh folder. */
export function onlineToyConfig(prefix: string, over: Partial<OnlineConfig> = {}): OnlineConfig {
  return {
    ...structuredClone(ONLINE_DEFAULTS), out: mkdtempSync(join(tmpdir(), `rlhf-${prefix}-`)), policy: '-', rewardFn: '-', iterations: 14, saveEvery: 100,
    promptsPerIteration: 8, samplesPerPrompt: 4, rollout: { ...ONLINE_DEFAULTS.rollout, maxNewTokens: 6, temperature: 1, topK: 0 },
    score: { normalize: false, clip: 0, missingEosPenalty: 0 }, klCoef: 0.01, epochs: 2, miniBatchSize: 16, optim: { ...ONLINE_DEFAULTS.optim, lr: 3e-3 },
    ...over,
  };
}

/** GRPO's toy: paid 1 for a response holding a 7 at all, so at first most groups of 4 are all 0
 * and carry no signal, and dynamic sampling draws more rollouts to fill the batch. */
export const any7: RewardSource = { name: 'toy 0/1', score: async (_p, responses) => Float32Array.from(responses, (r) => (r.includes(TARGET) ? 1 : 0)) };

export function grpoToyConfig(out: string): GrpoConfig {
  return {
    ...structuredClone(GRPO_DEFAULTS), out, policy: '-', iterations: 12, saveEvery: 100,
    promptsPerIteration: 4, groupSize: 4, rollout: { ...GRPO_DEFAULTS.rollout, maxNewTokens: 3, temperature: 1, topK: 0 }, epochs: 2, miniBatchSize: 8,
    clipRange: 0.2, clipHigh: 0.28, lossAggregation: 'token', dynamicSampling: { enabled: true, maxExtraRollouts: 3 }, klCoef: 0.01,
    optim: { ...GRPO_DEFAULTS.optim, lr: 3e-3 },
  };
}
