// save → load gives identical logits for every family and option combination, in one file or
// sharded, F32 exactly and BF16 as the rounded weights; config.json round-trips every option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../../src/engine/index.js';
import { configFromHf, configToHf, loadPretrained, loadScalarModel, ScalarHeadModel } from '../../src/models/index.js';
import { COMBOS, sharpModel, tempDir, tinyConfig } from './helpers.js';

const ids = [[3, 14, 15, 9, 2, 6, 5, 35, 8, 9, 7, 9], [2, 7, 18, 28, 18, 28, 45, 9, 0, 4, 5, 2]];

for (const [name, options] of COMBOS) {
  test(`round trip: ${name}`, async () => {
    const cfg = tinyConfig(options);
    assert.deepEqual(configFromHf(configToHf(cfg)), cfg, 'config.json round trip');
    const model = sharpModel(cfg, 3);
    const tmp = tempDir();
    try {
      model.save(tmp.dir);
      const loaded = await loadPretrained(tmp.dir);
      assert.deepEqual(loaded.config, cfg);
      const [a, b] = noGrad(() => [model.forward(ids, { prefixLen: [5, 3] }), loaded.forward(ids, { prefixLen: [5, 3] })]);
      assert.deepEqual(b.data, a.data, 'logits after load');
    } finally {
      tmp.done();
    }
  });
}

test('round trip: sharded checkpoint with an index', async () => {
  const model = sharpModel(tinyConfig({ family: 'mixtral', ffn: 'moe', numExperts: 4, expertsPerToken: 2 }));
  const tmp = tempDir();
  try {
    model.save(tmp.dir, { maxShardBytes: 40_000 });
    const files = readdirSync(tmp.dir).filter((f) => f.endsWith('.safetensors'));
    assert.ok(files.length > 2, `expected several shards, got ${files.join(', ')}`);
    const index = JSON.parse(readFileSync(join(tmp.dir, 'model.safetensors.index.json'), 'utf8'));
    assert.equal(Object.keys(index.weight_map).length, model.namedParameters().size);
    const loaded = await loadPretrained(tmp.dir);
    assert.deepEqual(noGrad(() => loaded.forward(ids)).data, noGrad(() => model.forward(ids)).data);
  } finally {
    tmp.done();
  }
});

test('round trip: BF16 weights load as their rounded values', async () => {
  const model = sharpModel(tinyConfig());
  const tmp = tempDir();
  try {
    model.save(tmp.dir, { dtype: 'BF16' });
    assert.equal(JSON.parse(readFileSync(join(tmp.dir, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
    const once = await loadPretrained(tmp.dir);
    for (const [n, p] of once.namedParameters()) {
      const orig = model.namedParameters().get(n)!;
      for (let i = 0; i < p.size; i++) assert.ok(Math.abs(p.data[i] - orig.data[i]) <= Math.abs(orig.data[i]) * 2 ** -8, `${n}[${i}]`);
    }
    once.save(tmp.dir, { dtype: 'BF16' });
    const twice = await loadPretrained(tmp.dir);
    assert.deepEqual(noGrad(() => twice.forward(ids)).data, noGrad(() => once.forward(ids)).data, 'BF16 is a fixed point');
  } finally {
    tmp.done();
  }
});

test('round trip: scalar-head model, and a reward model started from an LM checkpoint', async () => {
  for (const options of [{}, { family: 'gpt2' as const, numKvHeads: 4, norm: 'layer' as const, ffn: 'gelu' as const, positions: 'learned' as const }]) {
    const cfg = tinyConfig(options);
    const rm = new ScalarHeadModel(cfg, { seed: 4 }).eval();
    const tmp = tempDir();
    try {
      rm.save(tmp.dir);
      const config = JSON.parse(readFileSync(join(tmp.dir, 'config.json'), 'utf8'));
      assert.match(config.architectures[0], /ForSequenceClassification$/);
      const loaded = await loadScalarModel(tmp.dir);
      const mask = [[0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]];
      const [a, b] = noGrad(() => [rm.rewards(ids, { attentionMask: mask }), loaded.rewards(ids, { attentionMask: mask })]);
      assert.deepEqual(b.data, a.data);
      await assert.rejects(loadPretrained(tmp.dir), /loadScalarModel/);

      const lm = sharpModel(cfg, 5);
      lm.save(tmp.dir);
      const fromLm = await loadScalarModel(tmp.dir, { seed: 4 });
      const body = noGrad(() => lm.call(ids).hidden), body2 = noGrad(() => fromLm.model.forward({ ids: Int32Array.from(ids.flat()), B: 2, T: 12 }).hidden);
      assert.deepEqual(body2.data, body.data, 'the body comes from the LM checkpoint');
    } finally {
      tmp.done();
    }
  }
});
