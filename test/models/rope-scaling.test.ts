// RoPE scaling against values computed by hand (in float64) from transformers'
// modeling_rope_utils.py formulas, and rope_scaling read from and written to config.json as
// Hugging Face spells it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../../src/engine/index.js';
import { CausalLM, configFromHf, configToHf, loadPretrained } from '../../src/models/index.js';
import { PositionTables } from '../../src/models/positions.js';
import { ropeInvFreq, ropeScaling, type RopeScaling } from '../../src/models/rope-scaling.js';
import { tempDir, tinyConfig } from './helpers.js';

function close(got: ArrayLike<number>, want: number[], what: string, rel = 2e-6): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= rel * Math.abs(want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

test('plain and linear RoPE: base^(−2i/D), divided by the factor', () => {
  // D 8, base 1e4: 1e4^(−i/4) = 1, 0.1, 0.01, 0.001.
  close(ropeInvFreq(8, 1e4, null).invFreq, [1, 0.1, 0.01, 0.001], 'default');
  const linear = ropeInvFreq(8, 1e4, ropeScaling('linear', 4, 16));
  close(linear.invFreq, [0.25, 0.025, 0.0025, 0.00025], 'linear');
  assert.equal(linear.attentionFactor, 1);
});

test('dynamic NTK: the base grows only past the original context', () => {
  const s = ropeScaling('dynamic', 2, 16);
  // s ≤ L: plain RoPE.
  close(ropeInvFreq(8, 1e4, s, 16).invFreq, [1, 0.1, 0.01, 0.001], 'at L');
  // s = 32: base' = 1e4 · (2·32/16 − 1)^(8/6) = 43267.487…; θ_i = base'^(−i/4).
  close(ropeInvFreq(8, 1e4, s, 32).invFreq, [1, 0.06933612743506347, 0.004807498567691361, 0.0003333333333333334], 'at 2L');
});

test('YaRN: ramp between extrapolated and interpolated pairs, and the attention factor', () => {
  // D 16, base 1e4, L 32, factor 4, beta 32/1: correction dims −1.596 and 1.414, so the ramp runs
  // over pairs [0, 2] (floor, ceil): pair 0 keeps θ, pair 1 mixes half and half, pairs ≥ 2 are θ/4.
  const s = ropeScaling('yarn', 4, 32);
  const { invFreq, attentionFactor } = ropeInvFreq(16, 1e4, s);
  close(invFreq, [1, 0.19764235376052372, 0.025, 0.007905694150420948, 0.0025, 0.0007905694150420947, 0.00025, 7.905694150420948e-05], 'yarn');
  // 0.1 · ln 4 + 1.
  assert.ok(Math.abs(attentionFactor - 1.138629436111989) < 1e-12);
  // The model's tables carry the factor: cos(5 · θ_1) · 1.1386… at position 5, pair 1.
  const tables = new PositionTables(tinyConfig({ headDim: 16, numHeads: 2, numKvHeads: 2, hiddenSize: 32, ropeTheta: 1e4, ropeScaling: s })).rope!;
  assert.ok(Math.abs(tables.cos[5 * 8 + 1] - 0.6264556865529539) < 1e-6, `cos ${tables.cos[5 * 8 + 1]}`);
  // An explicit attention_factor, or mscale / mscale_all_dim, replaces the default.
  assert.equal(ropeInvFreq(16, 1e4, { ...(s as RopeScaling & { type: 'yarn' }), attentionFactor: 0.5 }).attentionFactor, 0.5);
  const m = ropeInvFreq(16, 1e4, { ...(s as RopeScaling & { type: 'yarn' }), mscale: 2, mscaleAllDim: 1 }).attentionFactor;
  assert.ok(Math.abs(m - (0.2 * Math.log(4) + 1) / (0.1 * Math.log(4) + 1)) < 1e-12);
});

test('llama3: high frequencies kept, low ones divided, the band between smoothed', () => {
  // D 16, base 1e4, L 256, factor 8, low 1, high 4: wavelengths 2π/θ_i of 6.3, 19.9, 62.8 are
  // under 256/4 (kept); 198.7 is in the band: smooth = (256/198.7 − 1)/3 = 0.0961; ≥ 628 over 256.
  const s: RopeScaling = { type: 'llama3', factor: 8, originalMaxPositions: 256, lowFreqFactor: 1, highFreqFactor: 4 };
  close(ropeInvFreq(16, 1e4, s).invFreq, [1, 0.31622776601683794, 0.1, 0.0066131063172475526, 0.00125, 0.0003952847075210474, 0.000125, 3.952847075210474e-05], 'llama3');
});

test('linear scaling by 2 puts position 2p exactly where plain RoPE puts p', () => {
  const plain = new PositionTables(tinyConfig()).rope!;
  const scaled = new PositionTables(tinyConfig({ ropeScaling: ropeScaling('linear', 2, 32) })).rope!;
  const half = plain.headDim / 2;
  for (let p = 0; p < 32; p++) {
    for (let i = 0; i < half; i++) {
      assert.equal(scaled.cos[2 * p * half + i], plain.cos[p * half + i]);
      assert.equal(scaled.sin[2 * p * half + i], plain.sin[p * half + i]);
    }
  }
});

test('dynamic NTK tables follow the call\'s longest position', () => {
  const cfg = tinyConfig({ ropeScaling: ropeScaling('dynamic', 2, 16), maxPositions: 64 });
  const tables = new PositionTables(cfg);
  const short = Int32Array.from({ length: 16 }, (_, i) => i);
  assert.equal(tables.ropeFor(short), tables.rope, 'within the original context: the fixed tables');
  const long = Int32Array.from({ length: 32 }, (_, i) => i);
  const t = tables.ropeFor(long)!;
  const { invFreq } = ropeInvFreq(cfg.headDim, cfg.ropeTheta, cfg.ropeScaling, 32);
  const half = cfg.headDim / 2;
  for (const p of [0, 7, 31]) for (let i = 0; i < half; i++) assert.equal(t.cos[p * half + i], Math.fround(Math.cos(Math.fround(p * invFreq[i]))));
  // A decode step fills only its own row.
  const step = tables.ropeFor(Int32Array.of(40))!;
  assert.equal(step.maxPos, 41);
  assert.equal(step.cos[3 * half], 0);
  assert.notEqual(step.cos[40 * half + 1], 0);
});

const HF_CASES: [string, Record<string, unknown>, number, Partial<RopeScaling>, number][] = [
  ['linear', { rope_type: 'linear', factor: 4 }, 256, { type: 'linear', factor: 4 }, 256],
  ['dynamic (old "type" key)', { type: 'dynamic', factor: 2 }, 64, { type: 'dynamic', factor: 2, originalMaxPositions: 64 }, 128],
  ['yarn', { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32 }, 128,
    { type: 'yarn', factor: 4, originalMaxPositions: 32, betaFast: 32, betaSlow: 1, attentionFactor: null, truncate: true }, 128],
  ['llama3', { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 32 }, 256,
    { type: 'llama3', factor: 8, originalMaxPositions: 32, lowFreqFactor: 1, highFreqFactor: 4 }, 256],
];

const baseJson = (extra: Record<string, unknown>): Record<string, unknown> => ({
  architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 61, hidden_size: 32, intermediate_size: 40,
  num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 1e4, ...extra,
});

for (const [name, raw, maxPosEmb, want, maxPositions] of HF_CASES) {
  test(`config.json rope_scaling ${name}: read, then written back the same`, () => {
    const cfg = configFromHf(baseJson({ rope_scaling: raw, max_position_embeddings: maxPosEmb }));
    for (const [k, v] of Object.entries(want)) assert.deepEqual((cfg.ropeScaling as unknown as Record<string, unknown>)[k], v, k);
    assert.equal(cfg.maxPositions, maxPositions);
    const json = configToHf(cfg);
    assert.equal(json.rope_scaling && (json.rope_scaling as Record<string, unknown>).rope_type, want.type);
    assert.equal(json.max_position_embeddings, maxPosEmb);
    assert.equal(json.rlhf_ts_options, undefined, 'nothing beyond Hugging Face fields');
    assert.deepEqual(configFromHf(json), cfg);
  });
}

test('rope_scaling types and keys transformers has but we do not are refused by name', () => {
  assert.throws(() => configFromHf(baseJson({ rope_scaling: { rope_type: 'longrope', long_factor: [1], short_factor: [1] } })), /rope_type "longrope" is not supported/);
  assert.throws(() => configFromHf(baseJson({ rope_scaling: { rope_type: 'linear', factor: 2, low_freq_factor: 1 } })), /low_freq_factor not understood/);
  assert.throws(() => configFromHf(baseJson({ rope_scaling: { rope_type: 'linear' } })), /rope_scaling.factor must be a number/);
  assert.throws(() => configFromHf(baseJson({ rope_scaling: { rope_type: 'linear', factor: 0.5 } })), /factor must be a number ≥ 1/);
  assert.deepEqual(configFromHf(baseJson({ rope_scaling: { rope_type: 'default' } })).ropeScaling, null);
  assert.throws(() => tinyConfig({ positions: 'alibi', ropeScaling: ropeScaling('linear', 2, 8) }), /ropeScaling needs positions rope/);
});

test('a scaled model saves and loads with the same logits', async () => {
  const tmp = tempDir();
  try {
    for (const type of ['linear', 'dynamic', 'yarn', 'llama3'] as const) {
      const model = new CausalLM(tinyConfig({ ropeScaling: ropeScaling(type, 4, 8) }), { seed: 2 });
      const ids = [Array.from({ length: 24 }, (_, i) => (i * 7) % 61)];
      const dir = join(tmp.dir, type);
      model.save(dir);
      const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      assert.equal((json.rope_scaling as Record<string, unknown>).rope_type, type);
      const loaded = await loadPretrained(dir);
      assert.deepEqual(loaded.config, model.config);
      const a = noGrad(() => model.forward(ids)), b = noGrad(() => loaded.forward(ids));
      assert.deepEqual([...b.f], [...a.f], type);
      // Past the original context (8), every scaling changes the logits.
      const plain = new CausalLM(tinyConfig(), { seed: 2 });
      const c = noGrad(() => plain.forward(ids));
      assert.ok(a.f.some((x, i) => Math.abs(x - c.f[i]) > 1e-4), `${type} differs from plain RoPE`);
    }
  } finally {
    tmp.done();
  }
});
