// Pretraining: the add-one bigram baseline by hand, held-out windows, and a whole run on byte
// shards that ends below the bigram's perplexity with its run folder complete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPretrained } from '../../src/models/index.js';
import { BigramModel, countShards } from '../../src/train/bigram.js';
import { IGNORE } from '../../src/train/lm.js';
import { pretrain } from '../../src/train/pretrain.js';
import { evalWindows } from '../../src/train/shard-data.js';
import { ShardWriter } from '../../src/data/shards.js';
import { byteShards, tinyPretrain, tmp } from './helpers.js';

test('add-one bigram: (count(a, b) + 1) / (count(a) + V), scored on the batch targets', () => {
  const m = new BigramModel(3);
  m.add([0, 1, 0, 1, 2]);
  // counts: (0,1)=2 (1,0)=1 (1,2)=1; unigrams as a history: 0→2, 1→2
  assert.ok(Math.abs(m.logProb(0, 1) - Math.log(3 / 5)) < 1e-12);
  assert.ok(Math.abs(m.logProb(2, 0) - Math.log(1 / 3)) < 1e-12, 'unseen history: uniform');
  const r = m.evaluate([{ ids: Int32Array.of(0, 1), targets: Int32Array.of(1, IGNORE), mask: null, B: 1, T: 2 }]);
  assert.equal(r.tokens, 1);
  assert.ok(Math.abs(r.ppl - 5 / 3) < 1e-12);
});

test('shard counting reads in chunks without losing the pairs across chunk borders', () => {
  const dir = tmp('bigram');
  const w = new ShardWriter(join(dir, 's.bin'), 5, 4);
  w.addDocument([0, 1, 2, 3, 0, 1]);
  w.addDocument([2, 2]);
  w.close();
  const whole = new BigramModel(5);
  whole.add([0, 1, 2, 3, 0, 1, 4, 2, 2, 4]);
  const chunked = countShards([join(dir, 's.bin')], 5, 3);
  assert.equal(chunked.pairCount, whole.pairCount);
  for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) assert.equal(chunked.logProb(a, b), whole.logProb(a, b));
});

test('held-out windows: consecutive, stride seqLen, targets shifted by one', () => {
  const { val } = byteShards();
  const [b] = evalWindows([val], 16, 2, 1);
  assert.equal(b.B, 2);
  assert.deepEqual([...b.targets.subarray(0, 15)], [...b.ids.subarray(1, 16)]);
  assert.equal(b.targets[15], b.ids[16], 'window 1 starts where window 0 ends');
});

test('pretraining beats the bigram baseline and leaves a complete run folder', async () => {
  const out = join(tmp('pretrain'), 'run');
  const s = await pretrain(tinyPretrain(out, byteShards(), { steps: 120, lr: 1e-2, warmupSteps: 10, evalEvery: 60, saveEvery: 60, logEvery: 20 }), { quiet: true });
  assert.ok(s.eval && s.bigram, 'both measured');
  assert.ok(s.eval.ppl < s.bigram.ppl, `model ${s.eval.ppl} vs bigram ${s.bigram.ppl}`);
  assert.equal(s.eval.tokens, s.bigram.tokens, 'the same held-out targets');
  for (const f of ['train_config.json', 'metrics.jsonl', 'summary.json', 'model/config.json', 'model/model.safetensors', 'checkpoints/step-00000120/trainer_state.json']) {
    assert.ok(existsSync(join(out, f)), f);
  }
  assert.equal(JSON.parse(readFileSync(join(out, 'train_config.json'), 'utf8')).train.steps, 120);
  const model = await loadPretrained(join(out, 'model'));
  assert.equal(model.config.vocabSize, 257);
  assert.equal(model.config.eosTokenId, 256, 'the shards\' end-of-document id');
});
