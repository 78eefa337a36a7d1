// The few-query forward (Tq ≤ RLHF_ATTN_ROWS_TQ = 3: token-by-token decode, short speculative
// drafts) runs one query row at a time instead of in 64×64 tiles. Against the reference under
// every ISA, for Tq 1..4 (4 is the first tiled count) and Tq 16, through every mask of
// AttentionGeometry: causal with qOffset, sliding window, prefix-LM, key padding (with fully
// masked queries), ALiBi, GQA and MQA, and KV caches with capacity past Tk whose unused rows hold
// NaN. Outputs start as NaN, so a row or lse the kernel forgets stays NaN and fails. Tk spans
// several 64-key chunks (the online softmax across chunks), and D covers full vectors, tails and
// D < 8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttentionGeometry, F32 } from '../../src/engine/kernels.js';
import { SKIP, agree, assertDeterministic, nans, native, randn, uniform, type Tol } from './native-compare.js';

const FWD: Tol = { rel: 1e-4, abs: 2e-5 };

type Decode = Partial<AttentionGeometry> & Pick<AttentionGeometry, 'B' | 'Tq' | 'Tk' | 'Hq' | 'D'>;

/** A decode step: the Tq queries are the last Tq positions of Tk, in a cache of Tk + 7 rows. */
function decode(s: Decode): AttentionGeometry {
  return {
    kvCapacity: s.Tk + 7, Hkv: s.Hq, scale: 1 / Math.sqrt(s.D), qOffset: s.Tk - s.Tq, causal: true, window: 0,
    prefixLen: null, keyMask: null, alibiSlopes: null, ...s,
  } as AttentionGeometry;
}

function inputs(g: AttentionGeometry): { q: F32; k: F32; v: F32 } {
  const { B, Tq, Tk, kvCapacity, Hq, Hkv, D } = g, row = Hkv * D;
  const k = randn(B * kvCapacity * row), v = randn(B * kvCapacity * row);
  for (let b = 0; b < B; b++) { // unused cache rows: reading one poisons the output
    k.fill(NaN, (b * kvCapacity + Tk) * row, (b + 1) * kvCapacity * row);
    v.fill(NaN, (b * kvCapacity + Tk) * row, (b + 1) * kvCapacity * row);
  }
  return { q: randn(B * Tq * Hq * D), k, v };
}

function forward(g: AttentionGeometry, x = inputs(g)) {
  return (k: { attentionForward(out: F32, lse: F32, q: F32, k: F32, v: F32, g: AttentionGeometry): void }) => {
    const out = nans(g.B * g.Tq * g.Hq * g.D), lse = nans(g.B * g.Hq * g.Tq);
    k.attentionForward(out, lse, x.q, x.k, x.v, g);
    return { out, lse };
  };
}

const check = (label: string, g: AttentionGeometry): void => agree(`decode ${label}`, forward(g), FWD);

/** Key padding per batch row: the first pad[b] keys masked, plus every fifth key of odd rows. */
function padding(B: number, Tk: number, pad: number[]): Int32Array {
  return new Int32Array(B * Tk).map((_, i) => {
    const b = Math.floor(i / Tk), j = i % Tk;
    return j < pad[b] || (b % 2 === 1 && j % 5 === 0) ? 0 : 1;
  });
}

test('decode: every mask variant for Tq 1..4, KV cache past Tk', { skip: SKIP }, () => {
  for (const Tq of [1, 2, 3, 4]) {
    const base = { B: 3, Tq, Tk: 300, Hq: 4, D: 48 };
    check(`causal Tq ${Tq}`, decode(base));
    check(`non-causal Tq ${Tq}`, decode({ ...base, causal: false }));
    check(`window 1 Tq ${Tq}`, decode({ ...base, window: 1 }));
    check(`window 37 Tq ${Tq}`, decode({ ...base, window: 37 }));
    check(`window 200 Tq ${Tq}`, decode({ ...base, window: 200 }));
    check(`prefix-LM Tq ${Tq}`, decode({ ...base, window: 50, prefixLen: new Int32Array([0, 130, 400]) }));
    check(`key padding Tq ${Tq}`, decode({ ...base, keyMask: padding(3, 300, [0, 7, 299]) }));
    check(`key padding non-causal Tq ${Tq}`, decode({ ...base, causal: false, keyMask: padding(3, 300, [0, 131, 260]) }));
    check(`ALiBi Tq ${Tq}`, decode({ ...base, alibiSlopes: uniform(4, 0, 0.5) }));
    check(`ALiBi non-causal Tq ${Tq}`, decode({ ...base, causal: false, alibiSlopes: uniform(4, 0, 0.5) }));
    check(`GQA Hq 6 Hkv 2 Tq ${Tq}`, decode({ ...base, Hq: 6, Hkv: 2 }));
    check(`MQA Hq 4 Hkv 1 Tq ${Tq}`, decode({ ...base, Hkv: 1, D: 64 }));
    check(`everything Tq ${Tq}`, decode({ ...base, Hq: 6, Hkv: 3, D: 20, window: 90, prefixLen: new Int32Array([3, 0, 150]),
      keyMask: padding(3, 300, [2, 0, 40]), alibiSlopes: uniform(6, 0, 0.3) }));
  }
});

test('decode: head sizes, short caches, qOffset not at the end, Tq 16, threaded sizes', { skip: SKIP }, () => {
  for (const D of [1, 5, 8, 16, 17, 33, 64, 100]) check(`D ${D}`, decode({ B: 2, Tq: 2, Tk: 140, Hq: 2, D }));
  for (const Tk of [1, 2, 4, 5, 127, 128, 129, 257]) check(`Tk ${Tk}`, decode({ B: 2, Tq: 1, Tk, Hq: 3, D: 24 }));
  // the first query sits before its own key row: it sees keys 0..qOffset only
  check('qOffset 0, Tq 3 of Tk 3', decode({ B: 1, Tq: 3, Tk: 3, Hq: 2, D: 16 }));
  check('qOffset 10 of Tk 200', { ...decode({ B: 2, Tq: 4, Tk: 200, Hq: 2, D: 16 }), qOffset: 10 });
  check('Tq 16, tiled on one thread', decode({ B: 2, Tq: 16, Tk: 150, Hq: 4, Hkv: 2, D: 32, window: 60 }));
  check('B 8 H 6 D 48 (big enough to run threaded)', decode({ B: 8, Tq: 1, Tk: 256, Hq: 6, D: 48 }));
  check('B 8 Tq 8 (tiled, threaded)', decode({ B: 8, Tq: 8, Tk: 256, Hq: 6, D: 48 }));
});

test('decode: a query that sees no key gives zeros and lse −∞', { skip: SKIP }, () => {
  const B = 2, Tk = 130, Hq = 2, D = 16;
  const keyMask = new Int32Array(B * Tk).map((_, i) => (i < Tk ? 0 : i % Tk === 0 ? 1 : 0)); // batch 1 sees key 0 only
  for (const window of [0, 64]) {
    const g = decode({ B, Tq: 2, Tk, Hq, D, keyMask, window });
    check(`fully masked, window ${window}`, g);
    const { out, lse } = forward(g)(native!);
    assert.ok(out.subarray(0, 2 * Hq * D).every((o) => o === 0), 'batch 0 outputs zeros');
    assert.ok(lse.subarray(0, Hq * 2).every((l) => l === -Infinity), 'batch 0 lse −∞');
    if (window > 0) assert.ok(lse.subarray(Hq * 2).every((l) => l === -Infinity), 'key 0 is outside the window');
    else assert.ok(lse.subarray(Hq * 2).every((l) => Number.isFinite(l)), 'batch 1 sees key 0');
  }
});

test('decode forward is deterministic across runs and thread counts', { skip: SKIP }, () => {
  for (const B of [1, 8]) assertDeterministic(`decode B ${B}`, forward(decode({ B, Tq: 1, Tk: 256, Hq: 6, D: 48 })));
});
