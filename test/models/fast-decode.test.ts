// The fused decoder (src/models/fast-decode.ts, native/decoder.c) against its specification, the
// op-by-op forward. With float32 weights they run the same kernels on the same values in the same
// order, so the check is bit for bit: logits, log-probs and every cached key and value, through a
// left-padded prefill and decode steps, batch 1 and batched, for every dense family and option, on
// every ISA, with and without the packed copy of the weights, on the server's per-row cache, and
// on the reference backend too. int8 and bf16 decoders are checked against the engine-level spec
// run on the same kernels (same bits) and against float32 (within their rounding).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernels, nativeKernels, setKernels } from '../../src/engine/backend.js';
import { refKernels } from '../../src/engine/backends/ref/kernels.js';
import { decoderForward } from '../../src/engine/backends/ref/decoder.js';
import type { NativeKernels } from '../../src/engine/backends/native/index.js';
import { BatchKVCache } from '../../src/models/batch-kv-cache.js';
import { cachedLogits, decoderFor } from '../../src/models/generate.js';
import { CausalLM, FusedDecoder, KVCache, nextTokenLoss, type ModelConfig } from '../../src/models/index.js';
import { AdamW } from '../../src/nn/index.js';
import { COMBOS, sharpModel, tinyConfig } from './helpers.js';

const native = nativeKernels() as NativeKernels | null;
const SKIP = native ? false : 'native addon not built';
const DENSE = COMBOS.filter(([, o]) => o.ffn !== 'moe');

function sameBits(label: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.equal(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${label}[${i}]: fused ${got[i]}, op-by-op ${want[i]}`);
  }
}

/** Left-padded prompts of the given lengths: ids, mask [B·T] and T. */
function leftPadded(lengths: number[], V: number): { ids: Int32Array; mask: Int32Array; T: number } {
  const T = Math.max(...lengths), B = lengths.length;
  const ids = new Int32Array(B * T), mask = new Int32Array(B * T);
  lengths.forEach((n, b) => {
    for (let t = T - n; t < T; t++) { ids[b * T + t] = (b * 7 + t * 3 + 2) % V; mask[b * T + t] = 1; }
  });
  return { ids, mask, T };
}

/** Prefill then `steps` decode steps both ways on separate caches; compares logits at every call
 * and the caches at the end. */
function compareRun(label: string, model: CausalLM, decoder: FusedDecoder, lengths: number[], steps: number): void {
  const cfg = model.config, V = cfg.vocabSize, B = lengths.length;
  const { ids, mask, T } = leftPadded(lengths, V);
  const prefixLen = cfg.attention === 'prefix-lm' ? new Int32Array(B).fill(T) : null;
  const ref = new KVCache(cfg, B, T + steps), fused = new KVCache(cfg, B, T + steps);
  let want = cachedLogits(model, null, ids, B, T, ref, mask, prefixLen);
  let got = cachedLogits(model, decoder, ids, B, T, fused, mask, prefixLen);
  sameBits(`${label} prefill`, got, want);
  for (let s = 0; s < steps; s++) {
    const next = Int32Array.from({ length: B }, (_, b) => (s * 5 + b * 11 + 1) % V);
    want = cachedLogits(model, null, next, B, 1, ref, null, prefixLen);
    got = cachedLogits(model, decoder, next, B, 1, fused, null, prefixLen);
    sameBits(`${label} step ${s}`, got, want);
  }
  for (let l = 0; l < cfg.numLayers; l++) {
    sameBits(`${label} cached keys of layer ${l}`, fused.k[l].f, ref.k[l].f);
    sameBits(`${label} cached values of layer ${l}`, fused.v[l].f, ref.v[l].f);
  }
}

test('fused f32 decoding equals the op-by-op forward bit for bit, every dense family and option', { skip: SKIP }, () => {
  for (const [name, o] of DENSE) {
    const model = sharpModel(tinyConfig(o));
    for (const lengths of [[7], [7, 3, 10]]) {
      for (const packF32 of [false, true]) {
        compareRun(`${name} B ${lengths.length}${packF32 ? ' packed' : ''}`, model, new FusedDecoder(model, 'f32', { packF32 }), lengths, 4);
      }
    }
  }
});

test('fused f32 decoding equals the op-by-op forward on every ISA, prompts past one attention tile', { skip: SKIP }, () => {
  const k = native!, initial = k.isa;
  const model = sharpModel(tinyConfig({ maxPositions: 160 }));
  try {
    for (const isa of ['generic', 'avx2', 'avx512']) {
      if (!k.setIsa(isa)) continue;
      // 70 prompt tokens: the prefill's attention runs in 64-query tiles; 20 rows: the M > 16 GEMM.
      compareRun(`${isa} B 1`, model, new FusedDecoder(model, 'f32'), [70], 3);
      compareRun(`${isa} B 20`, model, new FusedDecoder(model, 'f32', { packF32: true }), Array.from({ length: 20 }, (_, i) => 1 + (i * 7) % 12), 3);
    }
  } finally {
    k.setIsa(initial);
  }
});

test('generate() through the fused decoder gives the op-by-op tokens and log-probs', { skip: SKIP }, async () => {
  const model = sharpModel(tinyConfig({ numKvHeads: 1 }));
  const prompts = [[2, 3, 4, 5, 6], [7, 8], [9, 10, 11, 12, 13, 14, 15, 16]];
  for (const opts of [{ temperature: 0 }, { temperature: 0.8, topK: 5, seed: 3 }]) {
    const a = await model.generate(prompts, { ...opts, maxNewTokens: 10, stopTokenIds: [], fused: false });
    const b = await model.generate(prompts, { ...opts, maxNewTokens: 10, stopTokenIds: [] });
    assert.deepEqual(b.tokens, a.tokens);
    b.logprobs.forEach((row, i) => sameBits(`logprobs ${i}`, row, a.logprobs[i]));
  }
});

test("the server's per-row cache: rows joining, leaving and realigned decode the same bits", { skip: SKIP }, () => {
  const cfg = tinyConfig({ positions: 'alibi', slidingWindow: 6 }), model = sharpModel(cfg);
  const decoder = new FusedDecoder(model, 'f32', { packF32: true });
  const caches = [new BatchKVCache(cfg, 4, 48), new BatchKVCache(cfg, 4, 48)];
  const paths = [null, decoder];
  const admit = (prompt: number[]): void => {
    for (const [i, cache] of caches.entries()) {
      const pre = new KVCache(cfg, 1, prompt.length);
      const logits = cachedLogits(model, paths[i], Int32Array.from(prompt), 1, prompt.length, pre, null, null);
      if (i === 1) sameBits('prefill', logits, cachedLogits(model, null, Int32Array.from(prompt), 1, prompt.length, new KVCache(cfg, 1, prompt.length), null, null));
      cache.addRow(pre, 0, prompt.length);
    }
  };
  const step = (label: string): void => {
    const out = caches.map((cache, i) => {
      cache.reserve(1);
      return cachedLogits(model, paths[i], Int32Array.from({ length: cache.batch }, (_, r) => (r * 3 + cache.length) % cfg.vocabSize), cache.batch, 1, cache, null, null);
    });
    sameBits(label, out[1], out[0]);
  };
  admit(Array.from({ length: 20 }, (_, i) => 3 + i));
  step('one row');
  admit([8, 9]);
  admit([10, 11, 12]);
  for (let s = 0; s < 3; s++) step(`three rows, step ${s}`);
  for (const cache of caches) cache.removeRow(0); // the longest leaves: its columns go dead
  for (let s = 0; s < 30; s++) step(`after a row left, step ${s}`); // reaches the capacity: realigns
  assert.ok(caches[1].realigns > 0 && caches[0].realigns === caches[1].realigns);
});

test('on the reference backend the fused decoder (its TypeScript spec) equals the op-by-op forward', async () => {
  const before = kernels();
  setKernels(refKernels);
  try {
    const model = sharpModel(tinyConfig({ family: 'gpt2', numKvHeads: 4, norm: 'layer', ffn: 'gelu', positions: 'learned', qkvBias: true, outBias: true, mlpBias: true }));
    compareRun('ref backend', model, new FusedDecoder(model, 'f32'), [6, 2], 3);
  } finally {
    setKernels(before);
  }
});

test('int8 and bf16: the native decoder equals the engine-level spec on the same kernels', { skip: SKIP }, () => {
  const cfg = tinyConfig({ vocabSize: 70, hiddenSize: 64, headDim: 16, intermediateSize: 96, qkvBias: true }), model = sharpModel(cfg);
  for (const dtype of ['int8', 'bf16'] as const) {
    const decoder = new FusedDecoder(model, dtype);
    const { ids, mask, T } = leftPadded([9, 4], cfg.vocabSize);
    const a = new KVCache(cfg, 2, T), b = new KVCache(cfg, 2, T);
    const stepA = decoder.step(ids, 2, T, a, { mask }), stepB = decoder.step(ids, 2, T, b, { mask });
    native!.decoderForward(decoder.handle, stepA);
    decoderForward(native!, decoder.handle, stepB);
    sameBits(`${dtype} logits`, stepA.logits, stepB.logits);
    for (let l = 0; l < cfg.numLayers; l++) sameBits(`${dtype} keys ${l}`, a.k[l].f, b.k[l].f);
  }
});

test('int8 and bf16 decoding stay within their rounding of f32, and keep a trained model\'s greedy tokens', { skip: SKIP }, async () => {
  const cfg = tinyConfig({ vocabSize: 70, hiddenSize: 64, headDim: 16, intermediateSize: 96 });
  const model = sharpModel(cfg);
  const { ids, mask, T } = leftPadded([9, 4], cfg.vocabSize);
  const f32 = cachedLogits(model, null, ids, 2, T, new KVCache(cfg, 2, T), mask, null);
  let range = 0;
  for (const v of f32) range = Math.max(range, Math.abs(v));
  // Stated tolerances, as a fraction of the largest |logit|: int8 rounds weights to 1/254 of their
  // row's range and activations to 1/254 of each 32-block's; bf16 both to 2^-9 relative.
  for (const [dtype, tol] of [['int8', 0.05], ['bf16', 0.02]] as const) {
    const got = cachedLogits(model, new FusedDecoder(model, dtype), ids, 2, T, new KVCache(cfg, 2, T), mask, null);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - f32[i]));
    assert.ok(worst <= tol * range, `${dtype}: max |Δlogit| ${worst} > ${tol} · ${range}`);
  }
  // A model that memorised a sequence decodes it the same in every storage.
  const seq = [5, 9, 13, 2, 40, 41, 7, 7, 3, 60, 22, 18, 30];
  const trained = memorised(cfg, seq);
  const prompt = [seq.slice(0, 4)];
  for (const dtype of ['f32', 'int8', 'bf16'] as const) {
    const out = await trained.generate(prompt, { maxNewTokens: seq.length - 4, temperature: 0, stopTokenIds: [], dtype });
    assert.deepEqual(out.tokens[0], seq.slice(4), dtype);
  }
});

test('mixture-of-experts models decode op by op; int8 or bf16 for them is refused by name', () => {
  const model = new CausalLM(tinyConfig({ ffn: 'moe', numExperts: 3, expertsPerToken: 1 }));
  assert.equal(decoderFor(model, {}), null);
  assert.throws(() => decoderFor(model, { dtype: 'int8' }), /int8 weights need the fused decoder, which does not run mixture-of-experts/);
  assert.throws(() => decoderFor(new CausalLM(tinyConfig()), { dtype: 'bf16', fused: false }), /bf16 weights need the fused decoder/);
});

/** A model trained for a few steps to continue seq's start with its rest. */
function memorised(cfg: ModelConfig, seq: number[]): CausalLM {
  const model = new CausalLM(cfg, { seed: 5 });
  const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
  for (let step = 0; step < 80; step++) {
    nextTokenLoss(model.forward([seq]), [seq]).backward();
    opt.update();
    model.zeroGrad();
  }
  return model.eval();
}
