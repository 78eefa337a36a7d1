// `rlhf pipeline` end to end at toy size: every stage's outputs in the run folder, the summary
// with perplexities, accuracies and samples, and a second run that skips everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const TOY = [
  '--stages', 'data,tokenizer,pack,pretrain,sft',
  '--data.stories', '200', '--data.storiesVal', '20', '--data.sft', '60', '--data.sftVal', '8', '--data.rankings', '4', '--data.rankingsVal', '2', '--data.prompts', '4', '--data.eval', '12',
  '--tokenizer.vocabSize', '320',
  '--pretrain.model.hiddenSize', '32', '--pretrain.model.numLayers', '1', '--pretrain.model.numHeads', '2', '--pretrain.model.intermediateSize', '48',
  '--pretrain.seqLen', '64', '--pretrain.train.steps', '3', '--pretrain.train.batchSize', '2', '--pretrain.train.evalBatches', '1',
  '--sft.train.steps', '3', '--sft.train.batchSize', '4', '--sft.train.evalBatches', '1', '--sft.accuracyPrompts', '3', '--sft.maxNewTokens', '4', '--samples', '2',
];

test('rlhf pipeline runs data → tokenizer → pack → pretrain → sft into a run folder, then skips it all', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'rlhf-pipeline-')), 'run');
  const first = spawnSync(process.execPath, [CLI, 'pipeline', '--out', out, '--quiet', ...TOY], { encoding: 'utf8' });
  assert.equal(first.status, 0, first.stderr);
  for (const f of ['pipeline_config.json', 'pipeline_summary.json', 'data/sft.jsonl', 'tokenizer/tokenizer.json', 'pack/train-00000.bin',
    'pretrain/model/model.safetensors', 'pretrain/model/tokenizer.json', 'sft/model/model.safetensors', 'sft/accuracy.json', 'sft/metrics.jsonl']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  assert.match(first.stdout, /pretrain +ran .*held-out perplexity [\d.]+ vs add-one bigram [\d.]+/);
  assert.match(first.stdout, /sft +ran .*exact match on held-out instructions: base [\d.]+% → SFT [\d.]+%/);
  assert.match(first.stdout, /sample generations on held-out prompts[\s\S]*gold[\s\S]*base[\s\S]*SFT/);
  assert.equal(JSON.parse(readFileSync(join(out, 'sft', 'stage.json'), 'utf8')).status, 'done');

  const second = spawnSync(process.execPath, [CLI, 'pipeline', '--out', out, '--quiet', ...TOY], { encoding: 'utf8' });
  assert.equal(second.status, 0, second.stderr);
  assert.equal(second.stdout.match(/skipped/g)?.length, 5);
});

test('pipeline config errors name the key', () => {
  const r = spawnSync(process.execPath, [CLI, 'pipeline', '--pretrain.train.stpes', '3'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /unknown key "pretrain\.train\.stpes"/);
  const h = spawnSync(process.execPath, [CLI, 'pipeline', '--help'], { encoding: 'utf8' });
  assert.equal(h.status, 0);
  assert.match(h.stdout, /--sft\.lora\.rank +8/);
});
