import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATA_DEFAULTS, resolvePipelineConfig, type DeepPartial, type PipelineConfig } from '../../src/data/config.js';

test('overrides merge onto the defaults', () => {
  const c = resolvePipelineConfig({ nearDup: { threshold: 0.7 }, quality: { maxTopNgramCharRatio: { '2': 0.3 } } });
  assert.equal(c.nearDup.threshold, 0.7);
  assert.equal(c.nearDup.numPerm, DATA_DEFAULTS.nearDup.numPerm);
  assert.deepEqual(c.quality.maxTopNgramCharRatio, { '2': 0.3, '3': 0.18, '4': 0.16 });
  assert.equal(DATA_DEFAULTS.nearDup.threshold, 0.8, 'defaults are not mutated');
});

test('unknown keys, wrong types and out-of-range values are rejected by name', () => {
  const bad = (o: unknown): DeepPartial<PipelineConfig> => o as DeepPartial<PipelineConfig>;
  assert.throws(() => resolvePipelineConfig(bad({ nearDupe: {} })), /unknown key "nearDupe"/);
  assert.throws(() => resolvePipelineConfig(bad({ quality: { minWord: 3 } })), /unknown key "quality\.minWord"/);
  assert.throws(() => resolvePipelineConfig(bad({ nearDup: { threshold: 'high' } })), /"nearDup\.threshold" must be a number/);
  assert.equal(resolvePipelineConfig(bad({ nearDup: { threshold: '0.7' } })).nearDup.threshold, 0.7, 'numbers may come as flag strings');
  assert.throws(() => resolvePipelineConfig({ nearDup: { threshold: 1.5 } }), /nearDup\.threshold must be in \(0, 1\], got 1\.5/);
  assert.throws(() => resolvePipelineConfig(bad({ normalize: { form: 'NFD' } })), /normalize\.form/);
  assert.throws(() => resolvePipelineConfig({ split: { valFraction: 1 } }), /split\.valFraction/);
});
