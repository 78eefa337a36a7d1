// One PPO iteration at the "tiny" shape (4 layers, width 256, vocabulary 4096; random weights,
// which do not change speed): 32 prompts of 24–48 tokens, 32 new tokens each sampled with the KV
// cache, scored by a reward model, reference and critic, then 2 epochs of minibatch-16 updates of
// actor and critic. Beside it, in the same run, plain generate() on the same prompts with a fresh
// model: PPO samples through the same call on the live training weights (no copy or re-layout), so
// its sampling throughput should match.
// Keys: ppo_iter_s_tiny (median over the timed iterations), ppo_generate_share (sampling's share
// of the iteration), ppo_sample_tok_s_tiny and ppo_baseline_generate_tok_s_tiny (new tokens per second, both
// ways), ppo_sample_vs_generate (their ratio; goal ≥ 0.8).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from './harness.js';
import { Rng } from '../src/engine/rng.js';
import { CausalLM, ScalarHeadModel, modelConfig } from '../src/models/index.js';
import { modelReference } from '../src/rlhf/core/reference.js';
import { PPO_DEFAULTS } from '../src/rlhf/ppo/config.js';
import { trainPpo } from '../src/rlhf/ppo/trainer.js';
import { rewardModelSource } from '../src/rlhf/reward/source.js';

export const prefixes = ['ppo'];

const B = 32, NEW = 32, ITERATIONS = 4, EOS = 4095;
const CONFIG = modelConfig({ numLayers: 4, hiddenSize: 256, numHeads: 4, intermediateSize: 688, vocabSize: 4096, maxPositions: 256, eosTokenId: EOS });

export async function run(b: Bench): Promise<void> {
  const rng = new Rng(11);
  const prompts = Array.from({ length: B }, () => ({ ids: Array.from({ length: 24 + rng.int(25) }, () => rng.int(EOS)), messages: [], text: '', gold: null }));
  const median = (xs: number[]): number => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)];

  // Plain generate(): the same batch, the same sampling settings, median of 3 after a warm-up.
  const plain = new CausalLM(CONFIG, { seed: 1 }).eval();
  const ids = prompts.map((p) => p.ids);
  const generateMs = await b.timeAsync(async () => { await plain.generate(ids, { maxNewTokens: NEW, temperature: 1, stopTokenIds: [EOS], seed: 3 }); }, { warmup: 1, reps: 3 });
  const sampled = (await plain.generate(ids, { maxNewTokens: NEW, temperature: 1, stopTokenIds: [EOS], seed: 3 })).tokens.reduce((n, t) => n + t.length, 0);
  const generateTokS = (1000 * sampled) / generateMs;

  const actor = new CausalLM(CONFIG, { seed: 1 });
  const ref = new CausalLM(CONFIG, { seed: 1 });
  for (const p of ref.parameters()) p.requiresGrad = false;
  const rm = new ScalarHeadModel(CONFIG, { seed: 2 });
  const critic = new ScalarHeadModel(CONFIG, { seed: 2 });
  const out = mkdtempSync(join(tmpdir(), 'bench-ppo-'));
  const r = await trainPpo({
    actor, actorParams: actor.namedParameters(), saveActor: () => undefined, loadActor: () => undefined,
    critic, ref: modelReference(ref), reward: rewardModelSource(rm, 0), normalization: { mean: 0, std: 1 },
    prompts, ptxShards: [], padId: 0, stopIds: [EOS],
  }, {
    ...structuredClone(PPO_DEFAULTS), out: join(out, 'run'), policy: '-', reward: '-', iterations: ITERATIONS, saveEvery: 1000,
    rollout: { ...PPO_DEFAULTS.rollout, batchSize: B, maxNewTokens: NEW, temperature: 1, topK: 0 },
  }, { quiet: true });
  // The first iteration warms up (allocation, JIT); the rest are timed.
  const timed = r.records.slice(1);
  const iter = timed.map((x) => x.generateS + x.scoreS + x.trainS);
  const gen = timed.map((x) => x.generateS);
  const ppoTokS = median(timed.map((x) => (x.responseLength * B) / x.generateS));
  b.record('ppo_iter_s_tiny', median(iter), `${B} prompts × ${NEW} new tokens, 2 epochs of minibatch 16, actor + critic`);
  b.record('ppo_generate_share', median(gen.map((g, i) => g / iter[i])), 'sampling / whole iteration');
  b.record('ppo_score_share', median(timed.map((x, i) => x.scoreS / iter[i])), 'reward model, reference, critic, GAE');
  b.record('ppo_baseline_generate_tok_s_tiny', generateTokS, `plain generate(), batch ${B}, same run`);
  b.record('ppo_sample_tok_s_tiny', ppoTokS, 'PPO sampling on the live training weights');
  b.record('ppo_sample_vs_generate', ppoTokS / generateTokS, 'goal ≥ 0.8');
}
