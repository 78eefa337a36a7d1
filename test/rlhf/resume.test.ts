// Exact resumption of the RLHF trainers on the one loop: the reward model (with an EMA), DPO with
// LoRA and GRPO, each run to its end and then resumed as if killed after a checkpoint, repeat the
// whole run's records and weights byte for byte. (PPO's own test is in ppo-toy.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DPO_DEFAULTS } from '../../src/rlhf/dpo/config.js';
import { dpo } from '../../src/rlhf/dpo/trainer.js';
import { GRPO_DEFAULTS } from '../../src/rlhf/grpo/config.js';
import { grpo } from '../../src/rlhf/grpo/trainer.js';
import { REWARD_DEFAULTS } from '../../src/rlhf/reward/config.js';
import { trainRewardModel } from '../../src/rlhf/reward/trainer.js';
import { LORA_DEFAULTS } from '../../src/train/config.js';
import { assertExactResume, tinyChatModel, tmp, writeJsonlFile } from '../train/helpers.js';

const QUESTIONS = ['What is 2 + 3?', 'Reverse: cat dog', 'Uppercase: sun', 'Sort: b a', 'What is 4 + 4?', 'Reverse: a good day'];

test('the reward model (with an EMA) resumed after a checkpoint repeats the whole run exactly', async () => {
  const base = tinyChatModel();
  const dir = tmp('rm-resume');
  const rankings = writeJsonlFile(join(dir, 'rankings.jsonl'), QUESTIONS.map((prompt, i) => ({ prompt, responses: ['5', 'the cat', `no ${i}`], ranking: [0, 1, 2] })));
  const out = join(dir, 'run');
  await assertExactResume(out, 3, ['model/model.safetensors', 'model_ema/model.safetensors'], (resume) => trainRewardModel({
    ...structuredClone(REWARD_DEFAULTS), out, model: base, data: { train: rankings, val: rankings, maxLen: 64 },
    train: { ...REWARD_DEFAULTS.train, steps: 6, batchSize: 2, lr: 1e-2, warmupSteps: 1, evalEvery: 2, saveEvery: 3, logEvery: 2, emaDecay: 0.8 },
  }, { resume, quiet: true }));
});

test('DPO with LoRA resumed after a checkpoint repeats the whole run exactly', async () => {
  const base = tinyChatModel();
  const dir = tmp('dpo-resume');
  const pairs = writeJsonlFile(join(dir, 'pairs.jsonl'), QUESTIONS.map((prompt) => ({ prompt, chosen: 'a good answer', rejected: 'bad' })));
  const out = join(dir, 'run');
  await assertExactResume(out, 2, ['adapter/adapter_model.safetensors', 'model/model.safetensors'], (resume) => dpo({
    ...structuredClone(DPO_DEFAULTS), out, model: base, data: { train: pairs, val: pairs, maxLen: 64, limit: 0 },
    train: { ...DPO_DEFAULTS.train, steps: 5, batchSize: 2, gradAccum: 2, lr: 1e-2, warmupSteps: 0, evalEvery: 2, saveEvery: 2, keepLast: 3, logEvery: 1 },
    lora: { ...LORA_DEFAULTS, enabled: true, dropout: 0.1 },
  }, { resume, quiet: true }));
});

test('GRPO resumed after a checkpoint repeats the whole run exactly', async () => {
  const base = tinyChatModel();
  const dir = tmp('grpo-resume');
  // "Uppercase" answers count as correct when they contain the letter: a random policy gets some
  // right, so groups carry signal and the policy moves.
  const prompts = writeJsonlFile(join(dir, 'prompts.jsonl'), QUESTIONS.map((prompt) => ({ prompt, gold: { kind: 'instruction', task: 'uppercase', answer: 'e' } })));
  const out = join(dir, 'run');
  await assertExactResume(out, 2, ['model/model.safetensors'], (resume) => grpo({
    ...structuredClone(GRPO_DEFAULTS), out, policy: base, data: { prompts, maxPromptLen: 64 },
    iterations: 4, promptsPerIteration: 2, groupSize: 4, rollout: { ...GRPO_DEFAULTS.rollout, maxNewTokens: 4, temperature: 1, topK: 0 }, miniBatchSize: 4, epochs: 2,
    optim: { ...GRPO_DEFAULTS.optim, lr: 1e-2 }, saveEvery: 2,
  }, { resume, quiet: true }));
  const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  assert.ok(records.some((r) => r.informativeGroups > 0 && r.gradNorm > 0), 'some iteration trained on a group with signal');
});
