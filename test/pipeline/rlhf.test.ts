// The whole pipeline at minute size: data → tokenizer → pack → pretrain → sft → rankings → reward →
// best_of_n → ppo → dpo → grpo → report, every output in the run folder, report.json with its keys,
// and a second run that skips every stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const TOY = [
  '--data.sft', '60', '--data.sftVal', '8', '--data.rankings', '8', '--data.rankingsVal', '4', '--data.prompts', '12', '--data.eval', '12',
  '--tokenizer.vocabSize', '320',
  '--pretrain.model.hiddenSize', '32', '--pretrain.model.numLayers', '1', '--pretrain.model.numHeads', '2', '--pretrain.model.intermediateSize', '48',
  '--pretrain.seqLen', '64', '--pretrain.train.steps', '2', '--pretrain.train.batchSize', '2', '--pretrain.train.evalBatches', '1',
  '--sft.train.steps', '2', '--sft.train.batchSize', '4', '--sft.train.evalBatches', '1', '--sft.accuracyPrompts', '3', '--sft.maxNewTokens', '4', '--samples', '2',
  '--rankings.prompts', '6', '--rankings.valPrompts', '4', '--rankings.k', '3',
  '--reward.train.steps', '2', '--reward.train.batchSize', '2', '--reward.normalizationSamples', '4', '--bestOfN.n', '3',
  '--ppo.iterations', '2', '--ppo.rollout.batchSize', '4', '--ppo.rollout.maxNewTokens', '4', '--ppo.ppo.miniBatchSize', '2', '--ppo.ppo.epochs', '1',
  '--dpo.train.steps', '2', '--dpo.train.batchSize', '2', '--dpo.pairs', '4',
  '--grpo.iterations', '2', '--grpo.promptsPerIteration', '2', '--grpo.groupSize', '2', '--grpo.miniBatchSize', '4',
  '--evaluation.winRatePrompts', '4', '--evaluation.accuracyPrompts', '3', '--evaluation.maxNewTokens', '4', '--report.samples', '2',
];

test('rlhf pipeline runs every stage through the report card, then skips them all', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'rlhf-rlhf-pipeline-')), 'run');
  const first = spawnSync(process.execPath, [CLI, 'pipeline', '--out', out, '--quiet', ...TOY], { encoding: 'utf8' });
  assert.equal(first.status, 0, first.stderr);
  for (const f of ['rankings/sampled.jsonl', 'reward/model/model.safetensors', 'reward/model/reward_normalization.json', 'ppo/model/model.safetensors',
    'ppo/value_model/model.safetensors', 'ppo/metrics.jsonl', 'dpo/model/model.safetensors', 'grpo/model/model.safetensors',
    'report/report.md', 'report/report.html', 'report/report.json', 'report/ppo_reward.svg', 'report/win_rate_kl.svg']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const figures = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8')) as Record<string, number | null>;
  assert.deepEqual(Object.keys(figures).sort(), ['dpo_win_rate', 'grpo_accuracy', 'grpo_accuracy_sft', 'pipeline_seconds', 'ppo_kl', 'ppo_win_rate', 'rm_accuracy']);
  for (const [k, v] of Object.entries(figures)) assert.ok(typeof v === 'number' && Number.isFinite(v), `${k} = ${v}`);
  const ppoLines = readFileSync(join(out, 'ppo', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(ppoLines.length, 2);
  for (const k of ['score', 'gold', 'kl', 'entropy', 'clipFrac', 'approxKl', 'valueLoss', 'explainedVariance', 'responseLength', 'generateS', 'scoreS', 'trainS']) assert.ok(k in ppoLines[0], k);
  const html = readFileSync(join(out, 'report', 'report.html'), 'utf8');
  assert.match(html, /<svg[\s\S]*PPO reward per iteration/);
  assert.match(first.stdout, /report +ran .*report card → .*report\.html/);
  const bon = JSON.parse(readFileSync(join(out, 'best_of_n', 'stage.json'), 'utf8')).result as { ceiling: number; curve: { n: number; goldWinRate: number; rewardWinRate: number }[] };
  assert.deepEqual(bon.curve.map((p) => p.n), [1, 2, 3]);
  assert.ok(bon.ceiling >= 0.5 && bon.ceiling <= 1, `ceiling ${bon.ceiling}`);
  for (const p of bon.curve) assert.ok(p.goldWinRate <= bon.ceiling, 'no pick beats a perfect policy');
  // The gold labeler's pick of more samples never scores lower, so its win rate cannot fall.
  for (let i = 1; i < bon.curve.length; i++) assert.ok(bon.curve[i].goldWinRate >= bon.curve[i - 1].goldWinRate);

  const second = spawnSync(process.execPath, [CLI, 'pipeline', '--out', out, '--quiet', ...TOY], { encoding: 'utf8' });
  assert.equal(second.status, 0, second.stderr);
  assert.equal(second.stdout.match(/skipped/g)?.length, 12);
});
