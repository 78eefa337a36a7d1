// Every op's backward against central finite differences (float64, reference kernels; see
// gradcheck-util.ts), on odd shapes and on every attention-mask variant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, Rng, setKernels, refKernels } from '../../src/engine/index.js';
import * as op from '../../src/engine/ops/index.js';
import { gradcheck } from './gradcheck-util.js';

setKernels(refKernels);

const rng = new Rng(1234);
const randn = (...shape: number[]): Tensor => Tensor.randn(shape, rng, 1, 'f64');
const positive = (...shape: number[]): Tensor => Tensor.uniform(shape, rng, 0.5, 2, 'f64');
/** Values kept away from 0 (for relu/abs kinks) and from each other. */
const awayFromZero = (...shape: number[]): Tensor => {
  const t = randn(...shape);
  for (let i = 0; i < t.size; i++) t.data[i] += t.data[i] >= 0 ? 0.1 : -0.1;
  return t;
};

test('broadcast arithmetic', () => {
  gradcheck('add', [randn(3, 17), randn(17)], op.add);
  gradcheck('add scalar-shaped', [randn(1, 3), randn(3, 1)], op.add);
  gradcheck('sub', [randn(2, 3, 5), randn(3, 1)], op.sub);
  gradcheck('mul', [randn(65), randn(1)], op.mul);
  gradcheck('mul broadcast both', [randn(4, 1, 3), randn(5, 1)], op.mul);
  gradcheck('div', [randn(3, 17), positive(17)], op.div);
  gradcheck('div numerator broadcast', [randn(1, 5), positive(3, 5)], op.div);
  gradcheck('scale', [randn(17)], (x) => op.scale(x, -2.5, 0.3));
});

test('maximum, minimum, where, clamp', () => {
  gradcheck('maximum', [randn(3, 17), randn(17)], op.maximum);
  gradcheck('minimum', [randn(5, 3), randn(5, 1)], op.minimum);
  const cond = Tensor.from([1, 0, 1, 1, 0, 0, 1], [7], 'f64');
  gradcheck('where', [randn(7), randn(3, 7)], (a, b) => op.where(cond, a, b));
  gradcheck('clamp', [awayFromZero(65)], (x) => op.clamp(x, -0.05, 0.05 + 1e-3));
  gradcheck('clamp wide', [randn(17)], (x) => op.clamp(x, -0.5 + 1e-4, 0.7 + 1e-4));
});

test('unary maps', () => {
  for (const [name, f] of [['exp', op.exp], ['sigmoid', op.sigmoid], ['tanh', op.tanh], ['silu', op.silu], ['gelu', op.gelu]] as const) {
    gradcheck(name, [randn(3, 17)], f);
  }
  gradcheck('log', [positive(17)], op.log);
  gradcheck('sqrt', [positive(17)], op.sqrt);
  gradcheck('relu', [awayFromZero(65)], op.relu);
  gradcheck('abs', [awayFromZero(17)], op.abs);
  gradcheck('square', [randn(3)], op.square);
});

test('shape ops', () => {
  gradcheck('reshape', [randn(3, 4, 5)], (x) => op.reshape(x, [12, -1]));
  gradcheck('slice', [randn(5, 3)], (x) => op.slice(x, 1, 4));
  gradcheck('sliceAxis', [randn(3, 7, 2)], (x) => op.sliceAxis(x, 1, 2, 6));
  gradcheck('permute', [randn(2, 3, 5)], (x) => op.permute(x, [2, 0, 1]));
  gradcheck('transpose', [randn(3, 17)], (x) => op.transpose(x));
  gradcheck('expand', [randn(3, 1)], (x) => op.expand(x, [2, 3, 4]));
  gradcheck('concat axis 1', [randn(2, 3, 2), randn(2, 1, 2), randn(2, 4, 2)], (...xs) => op.concat(xs, 1));
  gradcheck('concat axis 0', [randn(1, 3), randn(2, 3)], (...xs) => op.concat(xs, 0));
  gradcheck('indexSelect', [randn(5, 3, 2)], (x) => op.indexSelect(x, 1, Int32Array.from([2, 0, 2, 1])));
});

test('reductions', () => {
  gradcheck('sum all', [randn(3, 17)], (x) => op.sum(x));
  gradcheck('sum axis 0', [randn(3, 17)], (x) => op.sum(x, 0));
  gradcheck('sum axis -1 keepDim', [randn(2, 3, 5)], (x) => op.sum(x, -1, true));
  gradcheck('mean axis 1', [randn(2, 3, 5)], (x) => op.mean(x, 1));
  gradcheck('mean all', [randn(65)], (x) => op.mean(x));
});

test('matmul: every transpose combination, batched and broadcast', () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const [M, K, N] = [3, 5, 4];
      const a = transA ? randn(K, M) : randn(M, K), b = transB ? randn(N, K) : randn(K, N);
      gradcheck(`matmul ${transA}/${transB}`, [a, b], (x, y) => op.matmul(x, y, { transA, transB }));
      const ab = transA ? randn(2, K, M) : randn(2, M, K), bb = transB ? randn(2, N, K) : randn(2, K, N);
      gradcheck(`batched ${transA}/${transB}`, [ab, bb], (x, y) => op.matmul(x, y, { transA, transB }));
      gradcheck(`broadcast B ${transA}/${transB}`, [ab, b], (x, y) => op.matmul(x, y, { transA, transB }));
      gradcheck(`broadcast A ${transA}/${transB}`, [a, bb], (x, y) => op.matmul(x, y, { transA, transB }));
    }
  }
  gradcheck('matmul 1×17×1', [randn(1, 17), randn(17, 1)], (x, y) => op.matmul(x, y));
  gradcheck('linear', [randn(2, 3, 7), randn(5, 7), randn(5)], (x, w, b) => op.linear(x, w, b));
});

test('softmax, log-softmax, cross-entropy, token log-probs', () => {
  gradcheck('softmax', [randn(3, 17)], op.softmax);
  gradcheck('logSoftmax', [randn(3, 17)], op.logSoftmax);
  const targets = Int32Array.from([4, -100, 0, 16, 7]);
  gradcheck('crossEntropy mean', [randn(5, 17)], (x) => op.crossEntropy(x, targets));
  gradcheck('crossEntropy sum', [randn(5, 17)], (x) => op.crossEntropy(x, targets, { reduction: 'sum' }));
  gradcheck('crossEntropy none', [randn(5, 17)], (x) => op.crossEntropy(x, targets, { reduction: 'none' }));
  const weights = Float32Array.from([0.5, 1, 2, 0, 1.5]);
  gradcheck('crossEntropy weighted', [randn(5, 17)], (x) => op.crossEntropy(x, targets, { weights }));
  gradcheck('tokenLogprobs', [randn(5, 17)], (x) => op.tokenLogprobs(x, targets));
});

test('crossEntropy equals -logSoftmax at the target', () => {
  const x = randn(3, 65), t = Int32Array.from([0, 64, 17]);
  const ce = op.crossEntropy(x, t, { reduction: 'none' });
  const ls = op.logSoftmax(x);
  for (let r = 0; r < 3; r++) assert.ok(Math.abs(ce.data[r] + ls.data[r * 65 + t[r]]) < 1e-12);
  assert.equal(op.crossEntropy(x, Int32Array.from([-100, -100, -100])).item(), 0);
  assert.throws(() => op.crossEntropy(x, Int32Array.from([0, 65, 1])), /outside the vocabulary/);
});

test('norms and SwiGLU', () => {
  gradcheck('rmsnorm', [randn(3, 17), randn(17)], (x, w) => op.rmsnorm(x, w, 1e-5));
  gradcheck('rmsnorm 1 feature', [randn(3, 1), randn(1)], (x, w) => op.rmsnorm(x, w, 1e-5));
  gradcheck('layernorm', [randn(3, 17), randn(17), randn(17)], (x, w, b) => op.layernorm(x, w, b));
  gradcheck('swiglu', [randn(3, 17), randn(3, 17)], op.swiglu);
});

test('rope', () => {
  const tables = op.ropeTables(64, 8, 10000);
  gradcheck('rope', [randn(2, 3, 2, 8)], (x) => op.rope(x, tables, Int32Array.from([0, 1, 2, 5, 6, 7])));
  gradcheck('rope theta 1e6', [randn(1, 3, 1, 8)], (x) => op.rope(x, op.ropeTables(64, 8, 1e6), Int32Array.from([40, 41, 63])));
});

test('embedding and dropout', () => {
  gradcheck('embedding', [randn(7, 3)], (t) => op.embedding(t, Int32Array.from([6, 0, 6, 2]), [2, 2]));
  gradcheck('dropout', [randn(3, 17)], (x) => op.dropout(x, 0.3, new Rng(5)));
});

interface Variant { name: string; B: number; Tq: number; Tk: number; Hq: number; Hkv: number; D: number; opts: op.AttentionOptions; cap?: number }
const variants: Variant[] = [
  { name: 'causal MHA', B: 2, Tq: 5, Tk: 5, Hq: 2, Hkv: 2, D: 3, opts: {} },
  { name: 'GQA', B: 1, Tq: 4, Tk: 4, Hq: 4, Hkv: 2, D: 3, opts: {} },
  { name: 'MQA', B: 1, Tq: 3, Tk: 3, Hq: 3, Hkv: 1, D: 4, opts: {} },
  { name: 'bidirectional', B: 1, Tq: 4, Tk: 4, Hq: 2, Hkv: 2, D: 3, opts: { causal: false } },
  { name: 'sliding window', B: 1, Tq: 6, Tk: 6, Hq: 2, Hkv: 1, D: 3, opts: { window: 2 } },
  { name: 'prefix-LM', B: 2, Tq: 5, Tk: 5, Hq: 2, Hkv: 2, D: 3, opts: { prefixLen: Int32Array.from([3, 1]) } },
  { name: 'left padding (fully masked rows)', B: 2, Tq: 4, Tk: 4, Hq: 2, Hkv: 2, D: 3, opts: { keyMask: Int32Array.from([0, 0, 1, 1, 1, 1, 1, 1]) } },
  { name: 'ALiBi', B: 1, Tq: 5, Tk: 5, Hq: 2, Hkv: 2, D: 3, opts: { alibiSlopes: op.alibiSlopes(2) } },
  { name: 'KV-cache decode', B: 2, Tq: 2, Tk: 5, Hq: 2, Hkv: 1, D: 3, cap: 7, opts: { kvLength: 5 } },
  { name: 'custom scale, 1 token', B: 1, Tq: 1, Tk: 1, Hq: 1, Hkv: 1, D: 17, opts: { scale: 0.3 } },
];

test('attention: every mask variant', () => {
  for (const v of variants) {
    const cap = v.cap ?? v.Tk;
    gradcheck(`attention ${v.name}`, [randn(v.B, v.Tq, v.Hq, v.D), randn(v.B, cap, v.Hkv, v.D), randn(v.B, cap, v.Hkv, v.D)],
      (q, k, vv) => op.attention(q, k, vv, v.opts));
  }
});

test('attention masks select the documented keys', () => {
  // With v = one-hot key index, the output is the attention distribution itself.
  const T = 5, D = T;
  const q = Tensor.zeros([1, T, 1, D], 'f64'), k = Tensor.zeros([1, T, 1, D], 'f64');
  const v = Tensor.zeros([1, T, 1, D], 'f64');
  for (let j = 0; j < T; j++) v.data[j * D + j] = 1;
  const seen = (opts: op.AttentionOptions): number[][] => {
    const o = op.attention(q, k, v, opts);
    return Array.from({ length: T }, (_, i) => Array.from({ length: T }, (_, j) => (o.data[i * D + j] > 0 ? 1 : 0)));
  };
  assert.deepEqual(seen({}), [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]);
  assert.deepEqual(seen({ window: 2 }), [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 1, 1]]);
  assert.deepEqual(seen({ prefixLen: Int32Array.from([3]) }), [[1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]);
  assert.deepEqual(seen({ keyMask: Int32Array.from([0, 0, 1, 1, 1]) }), [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 1, 1, 1]]);
});
