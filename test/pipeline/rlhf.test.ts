// The whole pipeline at minute size, every RLHF stage the pipeline knows (the default ones and the
// optional ones): each stage's outputs in the run folder, report.json with every policy's keys,
// the report card's tables, and a second run that skips every stage but the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const POLICIES = ['ppo', 'ppo_gold', 'reward_hacking', 'dpo', 'simpo', 'orpo', 'kto', 'rloo', 'reinforce_pp', 'rft', 'grpo'];
const STAGES = ['data', 'tokenizer', 'pack', 'pretrain', 'sft', 'rankings', 'reward', 'best_of_n', ...POLICIES, 'report'];

const TOY = [
  '--stages', STAGES.join(','),
  '--data.stories', '200', '--data.storiesVal', '20', '--data.sft', '60', '--data.sftVal', '8', '--data.rankings', '8', '--data.rankingsVal', '4',
  '--data.prompts', '12', '--data.dev', '8', '--data.eval', '12',
  '--tokenizer.vocabSize', '320',
  '--pretrain.model.hiddenSize', '32', '--pretrain.model.numLayers', '1', '--pretrain.model.numHeads', '2', '--pretrain.model.intermediateSize', '48',
  '--pretrain.seqLen', '64', '--pretrain.train.steps', '2', '--pretrain.train.batchSize', '2', '--pretrain.train.evalBatches', '1',
  '--sft.train.steps', '2', '--sft.train.batchSize', '4', '--sft.train.evalBatches', '1', '--sft.accuracyPrompts', '3', '--sft.maxNewTokens', '4', '--samples', '2',
  '--rankings.prompts', '6', '--rankings.valPrompts', '4', '--rankings.k', '3',
  '--reward.train.steps', '2', '--reward.train.batchSize', '2', '--reward.normalizationSamples', '4', '--bestOfN.n', '3',
  '--ppo.iterations', '2', '--ppo.rollout.batchSize', '4', '--ppo.rollout.maxNewTokens', '4', '--ppo.ppo.miniBatchSize', '2', '--ppo.ppo.epochs', '1', '--rewardHacking.iterations', '2',
  '--dpo.train.steps', '2', '--dpo.train.batchSize', '2', '--dpo.pairs', '4', '--simpo.train.steps', '2', '--simpo.train.batchSize', '2',
  '--orpo.train.steps', '2', '--orpo.train.batchSize', '2', '--kto.train.steps', '2', '--kto.train.batchSize', '2',
  '--rloo.iterations', '2', '--rloo.promptsPerIteration', '2', '--rloo.rollout.maxNewTokens', '4',
  '--reinforcePp.iterations', '2', '--reinforcePp.promptsPerIteration', '4', '--reinforcePp.rollout.maxNewTokens', '4',
  '--rft.promptsPerRound', '4', '--rft.n', '2', '--rft.rollout.maxNewTokens', '4', '--rft.sft.train.steps', '2', '--rft.requireFinished', 'false',
  '--grpo.iterations', '2', '--grpo.promptsPerIteration', '2', '--grpo.groupSize', '2', '--grpo.miniBatchSize', '4',
  '--evaluation.prompts', '4', '--evaluation.accuracyPrompts', '3', '--evaluation.maxNewTokens', '4', '--evaluation.resamples', '50', '--report.samples', '2',
];

test('rlhf pipeline runs every RLHF stage through the report card, then skips them all but the report', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'rlhf-rlhf-pipeline-')), 'run');
  const first = spawnSync(process.execPath, [CLI, 'pipeline', '--out', out, '--quiet', ...TOY], { encoding: 'utf8' });
  assert.equal(first.status, 0, first.stderr);
  for (const f of ['data/prompts-continuation.jsonl', 'data/eval-instruction.jsonl', 'rankings/sampled.jsonl', 'rankings/sampled_val-continuation.jsonl',
    'reward/model/model.safetensors', 'reward/model/reward_normalization.json', 'best_of_n/baseline-continuation.jsonl', 'best_of_n/baseline-instruction.jsonl',
    'ppo/value_model/model.safetensors', 'ppo/metrics.jsonl', 'kto/unpaired.jsonl',
    ...POLICIES.map((m) => `${m}/model/model.safetensors`),
    'report/report.md', 'report/report.html', 'report/report.json', 'report/ppo_reward.svg', 'report/win_rate_kl.svg', 'report/gold_gain_kl.svg']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const figures = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8')) as Record<string, unknown>;
  for (const k of ['rm_accuracy', 'rm_accuracy_policy', 'rm_accuracy_policy_instructions', 'best_of_n_gold_win_rate', 'win_rate_ceiling', 'grpo_accuracy', 'grpo_accuracy_sft', 'pipeline_seconds']) {
    assert.ok(typeof figures[k] === 'number' && Number.isFinite(figures[k]), `${k} = ${figures[k]}`);
  }
  for (const m of POLICIES) {
    for (const k of ['win_rate', 'win_rate_decisive', 'kl', 'gold_delta', 'win_rate_instructions', 'accuracy']) assert.equal(typeof figures[`${m}_${k}`], 'number', `${m}_${k}`);
    const ci = figures[`${m}_gold_delta_ci`] as number[];
    assert.ok(Array.isArray(ci) && ci.length === 2 && ci[0] <= (figures[`${m}_gold_delta`] as number) + 1e-12 && ci[1] >= (figures[`${m}_gold_delta`] as number) - 1e-12, `${m}_gold_delta_ci ${ci}`);
  }
  // The SFT side of every comparison is one stored sample per held-out prompt.
  const baseline = readFileSync(join(out, 'best_of_n', 'baseline-continuation.jsonl'), 'utf8').trim().split('\n');
  assert.equal(baseline.length, 4);
  const ppo = JSON.parse(readFileSync(join(out, 'ppo', 'stage.json'), 'utf8')).result as { continuation: { n: number; wins: number; ties: number; losses: number } };
  assert.equal(ppo.continuation.n, 4);
  assert.equal(ppo.continuation.wins + ppo.continuation.ties + ppo.continuation.losses, 4);
  const ppoLines = readFileSync(join(out, 'ppo', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const k of ['score', 'gold', 'kl', 'entropy', 'clipFrac', 'approxKl', 'valueLoss', 'explainedVariance', 'responseLength', 'generateS', 'scoreS', 'trainS']) assert.ok(k in ppoLines[0], k);
  const md = readFileSync(join(out, 'report', 'report.md'), 'utf8');
  assert.match(md, /\| PPO, gold reward \| [\d.]+% \|/);
  assert.match(md, /## Best-of-N SFT continuations against SFT/);
  assert.match(readFileSync(join(out, 'report', 'report.html'), 'utf8'), /<svg[\s\S]*PPO reward per iteration/);
  assert.match(first.stdout, /report +ran .*report card → .*report\.html/);
  const bon = JSON.parse(readFileSync(join(out, 'best_of_n', 'stage.json'), 'utf8')).result as { ceiling: number; curve: { n: number; goldWinRate: number; goldGain: number }[] };
  assert.deepEqual(bon.curve.map((p) => p.n), [1, 2, 3]);
  for (const p of bon.curve) assert.ok(p.goldWinRate <= bon.ceiling, 'no pick beats a perfect policy');
  // The gold labeler's pick of more samples never scores lower, so its win rate and gain cannot fall.
  for (let i = 1; i < bon.curve.length; i++) assert.ok(bon.curve[i].goldWinRate >= bon.curve[i - 1].goldWinRate && bon.curve[i].goldGain >= bon.curve[i - 1].goldGain);

  const second = spawnSync(process.execPath, [CLI, 'pipeline', '--out', out, '--quiet', ...TOY], { encoding: 'utf8' });
  assert.equal(second.status, 0, second.stderr);
  assert.equal(second.stdout.match(/skipped/g)?.length, STAGES.length - 1);
  assert.match(second.stdout, /report +ran/);
});
