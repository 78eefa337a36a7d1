// Native flash attention against the reference (one query row at a time, float64), for every
// mask of AttentionGeometry: causal, bidirectional, sliding window, prefix-LM, key padding with
// fully masked queries, ALiBi, GQA and MQA, and KV-cache decoding (qOffset > 0, kvCapacity > Tk,
// with NaN in the unused cache rows to prove they are never read). Native sums in float32 tiles
// with an online softmax, so tolerances are looser than element-wise: ~1e-4 on outputs and lse,
// ~1e-3 relative on gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttentionGeometry, F32 } from '../../src/engine/kernels.js';
import { refKernels } from '../../src/engine/backends/ref/kernels.js';
import { SKIP, agree, assertDeterministic, nans, native, randn, uniform, type Tol } from './native-compare.js';

const FWD: Tol = { rel: 1e-4, abs: 2e-5 };
const BWD: Tol = { rel: 1e-3, abs: 1e-4 };

type Shape = Partial<AttentionGeometry> & Pick<AttentionGeometry, 'B' | 'Tq' | 'Hq' | 'D'>;

function geometry(s: Shape): AttentionGeometry {
  const Tk = s.Tk ?? s.Tq;
  return {
    Tk, kvCapacity: Tk, Hkv: s.Hq, scale: 1 / Math.sqrt(s.D), qOffset: 0, causal: true, window: 0,
    prefixLen: null, keyMask: null, alibiSlopes: null, ...s,
  } as AttentionGeometry;
}

interface Inputs { q: F32; k: F32; v: F32; dout: F32 }

function inputs(g: AttentionGeometry): Inputs {
  const { B, Tq, Tk, kvCapacity, Hq, Hkv, D } = g;
  const k = randn(B * kvCapacity * Hkv * D), v = randn(B * kvCapacity * Hkv * D);
  for (let b = 0; b < B; b++) { // cache rows past Tk are garbage
    k.fill(NaN, (b * kvCapacity + Tk) * Hkv * D, (b + 1) * kvCapacity * Hkv * D);
    v.fill(NaN, (b * kvCapacity + Tk) * Hkv * D, (b + 1) * kvCapacity * Hkv * D);
  }
  return { q: randn(B * Tq * Hq * D), k, v, dout: randn(B * Tq * Hq * D) };
}

/** Forward and backward agree with the reference; backward runs on the reference's out and lse. */
function checkAttention(label: string, g: AttentionGeometry): void {
  const x = inputs(g), { B, Tq, Hq, D, kvCapacity, Hkv } = g;
  const nq = B * Tq * Hq * D, nkv = B * kvCapacity * Hkv * D;
  agree(`attentionForward ${label}`, (k) => {
    const out = nans(nq), lse = nans(B * Hq * Tq);
    k.attentionForward(out, lse, x.q, x.k, x.v, g);
    return { out, lse };
  }, FWD);
  const out = nans(nq), lse = nans(B * Hq * Tq);
  refKernels.attentionForward(out, lse, x.q, x.k, x.v, g);
  agree(`attentionBackward ${label}`, (k) => {
    const dq = nans(nq), dk = nans(nkv), dv = nans(nkv);
    k.attentionBackward(dq, dk, dv, x.dout, x.q, x.k, x.v, out, lse, g);
    return { dq, dk, dv };
  }, BWD);
}

test('attention: causal and bidirectional, odd shapes', { skip: SKIP }, () => {
  checkAttention('causal B2 T65 H3 D17', geometry({ B: 2, Tq: 65, Hq: 3, D: 17 }));
  checkAttention('causal B1 T1 H1 D1', geometry({ B: 1, Tq: 1, Hq: 1, D: 1 }));
  checkAttention('bidirectional B3 T17 H1 D64', geometry({ B: 3, Tq: 17, Hq: 1, D: 64, causal: false }));
  checkAttention('bidirectional B1 T130 H2 D40', geometry({ B: 1, Tq: 130, Hq: 2, D: 40, causal: false }));
  checkAttention('cross-attention Tq 3 Tk 70', geometry({ B: 2, Tq: 3, Tk: 70, Hq: 2, D: 16, causal: false }));
});

test('attention: sliding window, prefix-LM, ALiBi', { skip: SKIP }, () => {
  checkAttention('window 5 T130', geometry({ B: 2, Tq: 130, Hq: 2, D: 32, window: 5 }));
  checkAttention('window 70 T200', geometry({ B: 1, Tq: 200, Hq: 1, D: 24, window: 70 }));
  // wide enough that whole 64×64 tiles sit inside the window, one key short of its edge
  checkAttention('window 127 T256', geometry({ B: 1, Tq: 256, Hq: 1, D: 8, window: 127 }));
  checkAttention('prefix-LM [10, 70, 0]', geometry({ B: 3, Tq: 100, Hq: 2, D: 16, prefixLen: new Int32Array([10, 70, 0]) }));
  const alibiSlopes = new Float32Array([0.5, 0.25, 0.0625]);
  checkAttention('ALiBi causal', geometry({ B: 2, Tq: 67, Hq: 3, D: 16, alibiSlopes }));
  checkAttention('ALiBi bidirectional', geometry({ B: 1, Tq: 67, Hq: 3, D: 16, alibiSlopes, causal: false }));
});

test('attention: key padding, with fully masked queries giving zeros, lse −∞ and zero grads', { skip: SKIP }, () => {
  const B = 4, T = 67;
  // left padding of 0, 5 and 66 keys; batch 3 fully masked
  const keyMask = new Int32Array(B * T).map((_, i) => {
    const b = Math.floor(i / T), j = i % T;
    return b === 3 ? 0 : j >= [0, 5, 66][b] ? 1 : 0;
  });
  const g = geometry({ B, Tq: T, Hq: 2, D: 16, keyMask });
  checkAttention('left padding, causal', g);
  checkAttention('padding, bidirectional', { ...g, causal: false });
  const x = inputs(g), out = nans(B * T * 2 * 16), lse = nans(B * 2 * T);
  native!.attentionForward(out, lse, x.q, x.k, x.v, g);
  assert.equal(lse[(1 * 2 + 0) * T + 4], -Infinity, 'query 4 of batch 1 sees only padding');
  assert.ok(out.subarray(3 * T * 2 * 16).every((o) => o === 0), 'a fully masked batch outputs zeros');
});

test('attention: GQA, MQA and KV-cache decoding', { skip: SKIP }, () => {
  checkAttention('GQA Hq6 Hkv2', geometry({ B: 2, Tq: 65, Hq: 6, Hkv: 2, D: 16 }));
  // B·Hkv ≥ 16 and D % 16 = 0 take the single-pass backward
  checkAttention('single-pass backward, GQA, window', geometry({ B: 4, Tq: 130, Hq: 8, Hkv: 4, D: 16, window: 40 }));
  checkAttention('single-pass backward, padding, ALiBi', geometry({ B: 16, Tq: 20, Hq: 1, D: 32, causal: false,
    keyMask: new Int32Array(16 * 20).map((_, i) => (i % 20 < (i / 20) % 7 ? 0 : 1)), alibiSlopes: new Float32Array([0.2]) }));
  checkAttention('MQA Hq4 Hkv1', geometry({ B: 1, Tq: 33, Hq: 4, Hkv: 1, D: 64, causal: false }));
  for (const Tq of [1, 3]) {
    const Tk = 70;
    checkAttention(`decode Tq ${Tq} Tk ${Tk} capacity 80`,
      geometry({ B: 2, Tq, Tk, kvCapacity: 80, Hq: 4, Hkv: 2, D: 32, qOffset: Tk - Tq }));
  }
  const keyMask = new Int32Array(2 * 70).map((_, i) => (i % 70 < 3 ? 0 : 1));
  checkAttention('everything: window, ALiBi, GQA, padding, decode',
    geometry({ B: 2, Tq: 5, Tk: 70, kvCapacity: 72, Hq: 4, Hkv: 2, D: 8, qOffset: 65, window: 20, keyMask,
      alibiSlopes: uniform(4, 0, 0.3) }));
});

test('attention: lengths are checked', { skip: SKIP }, () => {
  const g = geometry({ B: 1, Tq: 4, Hq: 2, D: 8 });
  assert.throws(() => native!.attentionForward(nans(64), nans(8), randn(63), randn(64), randn(64), g), /q has 63 elements, needs 64/);
  assert.throws(() => native!.attentionForward(nans(64), nans(8), randn(64), randn(64), randn(64), { ...g, Hkv: 3 }), RangeError);
});

test('attention backward is deterministic across runs and thread counts (both backward paths)', { skip: SKIP }, () => {
  for (const B of [2, 8]) { // B·Hkv 4: two passes; 16: single pass
    const g = geometry({ B, Tq: 130, Hq: 4, Hkv: 2, D: 32 });
    const x = inputs(g), nq = B * 130 * 4 * 32, out = nans(nq), lse = nans(B * 4 * 130);
    native!.attentionForward(out, lse, x.q, x.k, x.v, g);
    assertDeterministic(`attentionBackward B ${B}`, (k) => {
      const dq = nans(nq), dk = nans(nq / 2), dv = nans(nq / 2);
      k.attentionBackward(dq, dk, dv, x.dout, x.q, x.k, x.v, out, lse, g);
      return { dq, dk, dv };
    });
  }
});
