// Native GEMM against a float64 triple loop: odd shapes, every transpose combination, shapes that
// cross the cache blocks and the thread split, batches with broadcast (stride 0) operands, beta 0
// over NaN, beta ≠ 0 accumulation, subarray views, and every instruction set this CPU runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNativeKernels } from '../../src/engine/backends/native/index.js';

type Native = ReturnType<typeof loadNativeKernels>;

function loadOrNull(): Native | null {
  try {
    return loadNativeKernels();
  } catch {
    return null;
  }
}
const native = loadOrNull();
const SKIP = native ? false : 'native addon not built (node scripts/build-native.mjs)';

/** Deterministic values in [-1, 1) (xorshift), so a failure reproduces. */
function filled(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

interface Case {
  batch: number; M: number; N: number; K: number; transA: boolean; transB: boolean; beta: number;
  strideA: number; strideB: number; strideC: number;
}

/** Checks native gemm on views that start `offset` elements into larger arrays. The reference
 * sums in float64; a float32 dot product of K terms is off by about sqrt(K)·eps·Σ|a·b|. */
function check(k: Native, cs: Case, seed: number, offset = 0): void {
  const { batch, M, N, K, transA, transB, beta, strideA, strideB, strideC } = cs;
  const span = (stride: number, elems: number) => (batch - 1) * stride + elems;
  const a = filled(offset + span(strideA, M * K), seed).subarray(offset);
  const b = filled(offset + span(strideB, K * N), seed + 1).subarray(offset);
  const c0 = filled(offset + span(strideC, M * N), seed + 2);
  const c = c0.slice().subarray(offset);
  if (beta === 0) c.fill(NaN); // beta 0 must not read C
  k.gemm(c, a, b, batch, M, N, K, transA, transB, beta, strideA, strideB, strideC);
  const cIn = c0.subarray(offset);
  const eps = 2 ** -23;
  for (let p = 0; p < batch; p++) {
    const oa = p * strideA, ob = p * strideB, oc = p * strideC;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0, mag = 0;
        for (let kk = 0; kk < K; kk++) {
          const x = transA ? a[oa + kk * M + i] : a[oa + i * K + kk];
          const y = transB ? b[ob + j * K + kk] : b[ob + kk * N + j];
          s += x * y;
          mag += Math.abs(x * y);
        }
        if (beta !== 0) {
          s += beta * cIn[oc + i * N + j];
          mag += Math.abs(beta * cIn[oc + i * N + j]);
        }
        const got = c[oc + i * N + j];
        const tol = 4 * Math.sqrt(K + 1) * eps * mag + 1e-30;
        if (!(Math.abs(got - s) <= tol)) {
          assert.fail(`${k.isa} ${JSON.stringify(cs)} offset ${offset}: C[${p}][${i},${j}] = ${got}, expected ${s} (tol ${tol})`);
        }
      }
    }
  }
}

const plain = (M: number, N: number, K: number, transA: boolean, transB: boolean, beta = 0): Case =>
  ({ batch: 1, M, N, K, transA, transB, beta, strideA: 0, strideB: 0, strideC: 0 });
const COMBOS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

/** Runs `body` once per instruction set the CPU supports, restoring the default afterwards. */
function everyIsa(k: Native, body: (isa: string) => void): void {
  const initial = k.isa;
  try {
    for (const isa of ['generic', 'avx2', 'avx512']) if (k.setIsa(isa)) body(isa);
  } finally {
    k.setIsa(initial);
  }
}

test('gemm matches a float64 triple loop on odd shapes, all transpositions', { skip: SKIP }, () => {
  const k = native!;
  // Single elements, gemv (M = 1 and N = 1), tiles smaller than the register tile, and shapes
  // that cross the K and N cache blocks (kc 384/256, nc 3072/2048) and the thread split.
  const shapes = [[1, 1, 1], [3, 3, 3], [7, 13, 5], [17, 17, 17], [65, 65, 65], [1, 77, 300], [45, 1, 61],
    [1, 1000, 33], [130, 150, 70], [200, 37, 530], [9, 3100, 20], [1, 1, 0], [5, 6, 0]];
  everyIsa(k, () => {
    let seed = 1;
    for (const [M, N, K] of shapes) for (const [ta, tb] of COMBOS) check(k, plain(M, N, K, ta, tb), seed++);
  });
});

test('gemm beta accumulates (1, 0.5) and beta 0 ignores NaN in C', { skip: SKIP }, () => {
  const k = native!;
  everyIsa(k, () => {
    for (const beta of [1, 0.5, 0]) {
      for (const [ta, tb] of COMBOS) {
        check(k, plain(33, 47, 300, ta, tb, beta), 7);
        check(k, plain(1, 70, 20, ta, tb, beta), 8);
        check(k, plain(70, 1, 20, ta, tb, beta), 9);
      }
    }
  });
});

test('gemm batches with strides, broadcast operands and subarray views', { skip: SKIP }, () => {
  const k = native!;
  everyIsa(k, () => {
    for (const [ta, tb] of COMBOS) {
      const [M, N, K] = [19, 23, 29];
      // Gaps between entries, A broadcast, then B broadcast; odd batch counts split over threads.
      check(k, { batch: 3, M, N, K, transA: ta, transB: tb, beta: 0, strideA: M * K + 5, strideB: K * N + 3, strideC: M * N + 7 }, 11, 13);
      check(k, { batch: 5, M, N, K, transA: ta, transB: tb, beta: 1, strideA: 0, strideB: K * N, strideC: M * N }, 12, 1);
      check(k, { batch: 2, M: 100, N: 120, K: 90, transA: ta, transB: tb, beta: 0, strideA: 100 * 90, strideB: 0, strideC: 100 * 120 }, 13, 3);
      check(k, { batch: 4, M: 1, N: 50, K: 40, transA: ta, transB: tb, beta: 0.5, strideA: 40, strideB: 0, strideC: 50 }, 14, 2);
    }
  });
});

test('gemm with strideC 0 runs the batch in order: beta 1 sums it, beta 0 keeps the last', { skip: SKIP }, () => {
  const k = native!;
  const [batch, M, N, K] = [3, 20, 30, 40];
  const a = filled(batch * M * K, 31), b = filled(batch * K * N, 32), c0 = filled(M * N, 33);
  const products = Array.from({ length: batch }, (_, p) => {
    const one = new Float32Array(M * N);
    k.gemm(one, a.subarray(p * M * K), b.subarray(p * K * N), 1, M, N, K, false, false, 0, 0, 0, 0);
    return one;
  });
  const sum = c0.slice();
  k.gemm(sum, a, b, batch, M, N, K, false, false, 1, M * K, K * N, 0);
  const last = c0.slice();
  k.gemm(last, a, b, batch, M, N, K, false, false, 0, M * K, K * N, 0);
  for (let i = 0; i < M * N; i++) {
    const want = c0[i] + products[0][i] + products[1][i] + products[2][i];
    assert.ok(Math.abs(sum[i] - want) <= 1e-5 * (1 + Math.abs(want)), `sum[${i}] = ${sum[i]}, expected ${want}`);
    assert.equal(last[i], products[2][i]);
  }
});

test('gemm is right on one thread and on many', { skip: SKIP }, () => {
  const k = native!;
  const threads = k.threads;
  try {
    for (const n of [1, 3]) {
      k.setThreads(n);
      for (const [ta, tb] of COMBOS) check(k, plain(150, 140, 100, ta, tb), 21);
    }
    // On one thread a tall product crosses the M block (mc ≤ 168) too, not just the K block.
    k.setThreads(1);
    everyIsa(k, () => { for (const [ta, tb] of COMBOS) check(k, plain(340, 45, 400, ta, tb), 22); });
  } finally {
    k.setThreads(threads);
  }
});

test('gemm rejects arrays too short for the dims and strides', { skip: SKIP }, () => {
  const k = native!;
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => k.gemm(f(6), f(5), f(6), 1, 2, 3, 3, false, false, 0, 0, 0, 0), /gemm: a has 5 elements, needs 6/);
  assert.throws(() => k.gemm(f(6), f(6), f(8), 1, 2, 3, 3, false, false, 0, 0, 0, 0), /gemm: b has 8 elements, needs 9/);
  assert.throws(() => k.gemm(f(11), f(12), f(9), 2, 2, 3, 3, false, false, 0, 6, 0, 6), /gemm: c has 11 elements, needs 12/);
  assert.throws(() => k.gemm(f(6), f(6), f(9), 1, -2, 3, 3, false, false, 0, 0, 0, 0), RangeError);
  assert.throws(() => k.gemm(f(6), f(6), f(9), 1, 2.5, 3, 3, false, false, 0, 0, 0, 0), RangeError);
});

test('a few rows times a transposed B (decode) skip packing yet equal the packed product bit for bit', { skip: SKIP }, () => {
  // M ≤ 16 with transB runs native/isa/gemm_micro.c's small_m; rows of a 17-row product take the
  // packed path. K = 5, 300, 1000 cross zero, one and several K blocks; beta 0, 0.5 and 1.
  const k = native!;
  everyIsa(k, (isa) => {
    for (const [M, N, K] of [[2, 37, 5], [8, 1000, 288], [16, 77, 768], [13, 33, 300], [9, 40, 1000], [3, 5, 257]]) {
      for (const beta of [0, 0.5, 1]) {
        const a = filled(17 * K, 31), b = filled(N * K, 32), c0 = filled(17 * N, 33);
        const packed = c0.slice();
        k.gemm(packed, a, b, 1, 17, N, K, false, true, beta, 0, 0, 0);
        const small = c0.slice(0, M * N);
        if (beta === 0) small.fill(NaN);
        k.gemm(small, a.subarray(0, M * K), b, 1, M, N, K, false, true, beta, 0, 0, 0);
        for (let i = 0; i < M * N; i++) {
          if (!Object.is(small[i], packed[i])) assert.fail(`[${isa}] M ${M} N ${N} K ${K} beta ${beta} at ${i}: ${small[i]} vs ${packed[i]}`);
        }
      }
    }
  });
});
