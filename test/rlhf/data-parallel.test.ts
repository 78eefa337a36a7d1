// The RLHF trainers under `mpirun -np 2`. Batch methods (the loop splits their batches): the reward
// model, DPO with LoRA and ZeRO-1, and KTO (its z0 summed over the ranks) reproduce one process's
// losses. Step methods (each rank samples its share of the prompts, statistics reduced over ranks):
// PPO, REINFORCE++ (returns normalised over every rank's tokens) and GRPO with dynamic sampling
// (ranks drawing extra rollouts in step) still raise their toy rewards; rejection sampling gathers
// every rank's picks. Skipped, saying why, without Open MPI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DPO_DEFAULTS, type DpoConfig } from '../../src/rlhf/dpo/config.js';
import { dpo } from '../../src/rlhf/dpo/trainer.js';
import { KTO_DEFAULTS, type KtoConfig } from '../../src/rlhf/kto/config.js';
import { kto } from '../../src/rlhf/kto/trainer.js';
import { REWARD_DEFAULTS, type RewardConfig } from '../../src/rlhf/reward/config.js';
import { trainRewardModel } from '../../src/rlhf/reward/trainer.js';
import { RFT_DEFAULTS } from '../../src/rlhf/rft/config.js';
import type { RftRound } from '../../src/rlhf/rft/trainer.js';
import { LORA_DEFAULTS } from '../../src/train/config.js';
import { readMetrics } from '../../src/train/metrics.js';
import { mpiSkipReason, mpirun, output } from '../distributed/helpers.js';
import { tinyChatModel, tmp, writeJsonlFile } from '../train/helpers.js';
import type { RlhfRun } from './dp-worker.js';

const WORKER = fileURLToPath(new URL('./dp-worker.js', import.meta.url));
const QUESTIONS = ['What is 2 + 3?', 'Reverse: cat dog', 'Uppercase: sun', 'Sort: b a', 'What is 4 + 4?', 'Reverse: a good day', 'Sort: c b a'];

function assertSameLosses(a: string, b: string, label: string): void {
  const ra = readMetrics(join(a, 'metrics.jsonl')), rb = readMetrics(join(b, 'metrics.jsonl'));
  assert.deepEqual(rb.map((r) => r.step), ra.map((r) => r.step), `${label}: the same records`);
  ra.forEach((r, i) => {
    if (r.loss === undefined) return;
    const x = r.loss as number, y = rb[i].loss as number;
    assert.ok(Math.abs(x - y) <= 1e-5 * Math.abs(x), `${label}: step ${r.step} loss ${y} vs ${x}`);
  });
}

/** The mean of `key` over the first two and the last two records of a run. */
function rise(dir: string, key: string): [number, number] {
  const r = readMetrics(join(dir, 'metrics.jsonl')).map((x) => x[key] as number);
  return [(r[0] + r[1]) / 2, (r[r.length - 1] + r[r.length - 2]) / 2];
}

test('the RLHF trainers on 2 ranks', async (t) => {
  const skip = mpiSkipReason();
  if (skip) return t.skip(skip);
  const base = tinyChatModel();
  const dir = tmp('dp-rlhf');
  const rankings = writeJsonlFile(join(dir, 'rankings.jsonl'), QUESTIONS.map((prompt, i) => ({ prompt, responses: ['5', 'the cat', `no ${i}`], ranking: [0, 1, 2] })));
  const pairs = writeJsonlFile(join(dir, 'pairs.jsonl'), QUESTIONS.map((prompt, i) => ({ prompt, chosen: 'a good answer', rejected: `bad ${i}` })));
  const labels = writeJsonlFile(join(dir, 'labels.jsonl'), QUESTIONS.flatMap((prompt) => [{ prompt, completion: 'cat cat', label: true }, { prompt, completion: 'dog dog', label: false }]));
  const prompts = writeJsonlFile(join(dir, 'prompts.jsonl'), QUESTIONS.map((prompt) => ({ prompt, gold: { kind: 'continuation' } })));
  const rewardFn = join(dir, 'letters.mjs');
  writeFileSync(rewardFn, 'export function score(prompt, response) { return response.match(/[a-z]/g)?.length ?? 0; }\n');
  const reward = (out: string): RewardConfig => ({
    ...structuredClone(REWARD_DEFAULTS), out: join(dir, out), model: base, data: { train: rankings, val: rankings, maxLen: 64 },
    train: { ...REWARD_DEFAULTS.train, steps: 8, batchSize: 3, lr: 1e-2, warmupSteps: 1, evalEvery: 4, saveEvery: 4, logEvery: 1 },
  });
  const preference = (out: string): DpoConfig => ({
    ...structuredClone(DPO_DEFAULTS), out: join(dir, out), model: base, data: { train: pairs, val: pairs, maxLen: 64, limit: 0 },
    train: { ...DPO_DEFAULTS.train, steps: 8, batchSize: 2, gradAccum: 2, lr: 1e-2, warmupSteps: 0, evalEvery: 4, saveEvery: 4, logEvery: 1, zero: 1 },
    lora: { ...LORA_DEFAULTS, enabled: true },
  });
  const unpaired = (out: string): KtoConfig => ({
    ...structuredClone(KTO_DEFAULTS), out: join(dir, out), model: base, beta: 1, data: { train: labels, val: '', maxLen: 64, limit: 0 },
    train: { ...KTO_DEFAULTS.train, steps: 8, batchSize: 4, lr: 1e-2, warmupSteps: 0, saveEvery: 4, logEvery: 1 },
  });
  await trainRewardModel(reward('reward-1'), { quiet: true });
  await dpo(preference('dpo-1'), { quiet: true });
  await kto(unpaired('kto-1'), { quiet: true });
  const job = join(dir, 'job.json');
  const runs: RlhfRun[] = [
    { kind: 'reward', config: reward('reward-2') }, { kind: 'dpo', config: preference('dpo-2') }, { kind: 'kto', config: unpaired('kto-2') },
    { kind: 'ppo-toy', out: join(dir, 'ppo') }, { kind: 'reinforce-pp-toy', out: join(dir, 'rpp') }, { kind: 'grpo-toy', out: join(dir, 'grpo') },
    {
      kind: 'rft', config: {
        ...structuredClone(RFT_DEFAULTS), out: join(dir, 'rft'), policy: base, rewardFn, data: { prompts, maxPromptLen: 64 }, rounds: 2, n: 4,
        rollout: { maxNewTokens: 6, temperature: 1, topK: 0 }, requireFinished: false,
        sft: { train: { ...RFT_DEFAULTS.sft.train, steps: 4, batchSize: 4, saveEvery: 0 }, maxLen: 64 },
      },
    },
  ];
  writeFileSync(job, JSON.stringify(runs));
  const r = mpirun(2, [WORKER, '--worker', job]);
  assert.equal(r.status, 0, output(r));

  assertSameLosses(join(dir, 'reward-1'), join(dir, 'reward-2'), 'the reward model on 2 ranks');
  assertSameLosses(join(dir, 'dpo-1'), join(dir, 'dpo-2'), 'DPO with LoRA and ZeRO-1 on 2 ranks');
  assertSameLosses(join(dir, 'kto-1'), join(dir, 'kto-2'), 'KTO on 2 ranks');
  for (const [run, key, by] of [['ppo', 'score', 0.3], ['rpp', 'score', 0.3], ['grpo', 'reward', 0.3]] as const) {
    const [early, late] = rise(join(dir, run), key);
    assert.ok(late > early + by, `${run} on 2 ranks: ${key} ${early.toFixed(3)} → ${late.toFixed(3)} did not rise enough`);
  }
  assert.ok(readMetrics(join(dir, 'grpo', 'metrics.jsonl')).some((x) => (x.rollouts as number) > 1), 'GRPO drew extra rollouts in step on both ranks');
  const rounds = [1, 2].map((k) => JSON.parse(readFileSync(join(dir, 'rft', `round-${k}`, 'summary.json'), 'utf8')) as RftRound);
  assert.ok(rounds.every((x) => x.kept === QUESTIONS.length && x.samples === 4 * QUESTIONS.length), 'every rank\'s picks gathered');
  assert.ok(existsSync(join(dir, 'rft', 'model', 'model.safetensors')));
});
