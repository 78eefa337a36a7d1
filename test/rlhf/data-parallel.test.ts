// The RLHF trainers under `mpirun -np 2`: the reward model and DPO (batch methods, split by the
// loop) reproduce one process's losses; GRPO and PPO (step methods: each rank samples its share of
// the prompts, statistics reduced over ranks) run to the end, and PPO still learns its toy task.
// Skipped, saying why, without Open MPI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DPO_DEFAULTS, type DpoConfig } from '../../src/rlhf/dpo/config.js';
import { dpo } from '../../src/rlhf/dpo/trainer.js';
import { GRPO_DEFAULTS, type GrpoConfig } from '../../src/rlhf/grpo/config.js';
import type { PpoIterationRecord } from '../../src/rlhf/ppo/trainer.js';
import { REWARD_DEFAULTS, type RewardConfig } from '../../src/rlhf/reward/config.js';
import { trainRewardModel } from '../../src/rlhf/reward/trainer.js';
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

test('the RLHF trainers on 2 ranks', async (t) => {
  const skip = mpiSkipReason();
  if (skip) return t.skip(skip);
  const base = tinyChatModel();
  const dir = tmp('dp-rlhf');
  const rankings = writeJsonlFile(join(dir, 'rankings.jsonl'), QUESTIONS.map((prompt, i) => ({ prompt, responses: ['5', 'the cat', `no ${i}`], ranking: [0, 1, 2] })));
  const pairs = writeJsonlFile(join(dir, 'pairs.jsonl'), QUESTIONS.map((prompt, i) => ({ prompt, chosen: 'a good answer', rejected: `bad ${i}` })));
  const prompts = writeJsonlFile(join(dir, 'prompts.jsonl'), QUESTIONS.map((prompt) => ({ prompt, gold: { kind: 'instruction', task: 'uppercase', answer: 'e' } })));
  const reward = (out: string): RewardConfig => ({
    ...structuredClone(REWARD_DEFAULTS), out: join(dir, out), model: base, data: { train: rankings, val: rankings, maxLen: 64 },
    train: { ...REWARD_DEFAULTS.train, steps: 8, batchSize: 3, lr: 1e-2, warmupSteps: 1, evalEvery: 4, saveEvery: 4, logEvery: 1 },
  });
  const preference = (out: string): DpoConfig => ({
    ...structuredClone(DPO_DEFAULTS), out: join(dir, out), model: base, data: { train: pairs, val: pairs, maxLen: 64, limit: 0 },
    train: { ...DPO_DEFAULTS.train, steps: 8, batchSize: 2, gradAccum: 2, lr: 1e-2, warmupSteps: 0, evalEvery: 4, saveEvery: 4, logEvery: 1, zero: 1 },
    lora: { ...LORA_DEFAULTS, enabled: true },
  });
  const group: GrpoConfig = {
    ...structuredClone(GRPO_DEFAULTS), out: join(dir, 'grpo-2'), policy: base, data: { prompts, maxPromptLen: 64 },
    iterations: 3, promptsPerIteration: 3, groupSize: 4, rollout: { maxNewTokens: 4, temperature: 1, topK: 0 }, miniBatchSize: 4, epochs: 2,
    optim: { ...GRPO_DEFAULTS.optim, lr: 1e-2 }, saveEvery: 2,
  };
  await trainRewardModel(reward('reward-1'), { quiet: true });
  await dpo(preference('dpo-1'), { quiet: true });
  const ppoOut = join(dir, 'ppo-2');
  mkdirSync(ppoOut);
  const job = join(dir, 'job.json');
  const runs: RlhfRun[] = [
    { kind: 'reward', config: reward('reward-2') }, { kind: 'dpo', config: preference('dpo-2') }, { kind: 'grpo', config: group },
    { kind: 'ppo-toy', out: ppoOut, iterations: 14 },
  ];
  writeFileSync(job, JSON.stringify(runs));
  const r = mpirun(2, [WORKER, '--worker', job]);
  assert.equal(r.status, 0, output(r));

  assertSameLosses(join(dir, 'reward-1'), join(dir, 'reward-2'), 'the reward model on 2 ranks');
  assertSameLosses(join(dir, 'dpo-1'), join(dir, 'dpo-2'), 'DPO with LoRA and ZeRO-1 on 2 ranks');
  const g = readMetrics(join(dir, 'grpo-2', 'metrics.jsonl'));
  assert.deepEqual(g.map((x) => x.step), [1, 2, 3], 'one GRPO record per iteration, written once');
  assert.ok(g.every((x) => Number.isFinite(x.reward as number) && Number.isFinite(x.gradNorm as number)));
  const p = JSON.parse(readFileSync(join(ppoOut, 'records.json'), 'utf8')) as PpoIterationRecord[];
  const early = (p[0].score + p[1].score) / 2, late = (p[p.length - 1].score + p[p.length - 2].score) / 2;
  assert.ok(late > early + 0.3, `PPO on 2 ranks: reward ${early.toFixed(3)} → ${late.toFixed(3)} did not rise enough`);
});
