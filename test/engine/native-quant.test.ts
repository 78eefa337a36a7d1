// int8 and bfloat16 inference kernels, native against the TypeScript reference (src/engine/
// backends/ref/quant.ts): packing gives the same bytes, and the Linear layers the same bits — the
// reference spells out every rounding and the order of every sum, so the tolerance is zero — on
// every ISA the CPU runs, AVX-512 with and without VNNI / BF16 (AVX512-BF16's vdpbf16ps rounds
// after each of a pair's two products, odd first, as the reference does). Outputs start as NaN;
// shapes are odd (N not a multiple of 16, K not of 32, K = 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bf16Size, int8Index, int8Sizes } from '../../src/engine/kernels.js';
import { refKernels } from '../../src/engine/backends/ref/kernels.js';
import { f16AtLeast, fmaF32, roundEven, toBf16, bf16Value } from '../../src/engine/backends/ref/quant.js';
import { SKIP, native, nans, randn } from './native-compare.js';

const SHAPES: [number, number, number][] = [[1, 37, 70], [3, 16, 32], [5, 33, 288], [9, 100, 65], [2, 7, 1], [17, 50, 96]];

function sameBits(label: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.equal(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${label}[${i}]: native ${got[i]}, reference ${want[i]}`);
  }
}

/** Every ISA this CPU runs, and AVX-512 once more without its VNNI / BF16 paths. */
function everyVariant(body: (label: string) => void): void {
  const k = native!, initial = k.isa;
  try {
    for (const isa of ['generic', 'avx2', 'avx512']) {
      if (!k.setIsa(isa)) continue;
      body(`${isa}${k.extensions ? `+${k.extensions}` : ''}`);
      if (isa === 'avx512' && k.extensions) {
        k.setIsaExtensions(false);
        try { body('avx512 plain'); } finally { k.setIsaExtensions(true); }
      }
    }
  } finally {
    k.setIsa(initial);
  }
}

function weights(N: number, K: number): Float32Array {
  const w = randn(N * K, 0.05);
  w.fill(0, 0, K); // a zero row: scale 0
  if (N > 2) w[2 * K] = 3; // an outlier
  return w;
}

test('int8 and bf16 packing: the native bytes are the reference bytes', { skip: SKIP }, () => {
  for (const [, N, K] of SHAPES) {
    const w = weights(N, K), sz = int8Sizes(N, K);
    const want = { q: new Int8Array(sz.q), s: new Float32Array(sz.scales), ws: new Int32Array(sz.wsum), b: new Uint16Array(bf16Size(N, K)) };
    refKernels.quantizeInt8(want.q, want.s, want.ws, w, N, K);
    refKernels.packBf16(want.b, w, N, K);
    const got = { q: new Int8Array(sz.q).fill(99), s: nans(sz.scales), ws: new Int32Array(sz.wsum).fill(7), b: new Uint16Array(bf16Size(N, K)).fill(3) };
    native!.quantizeInt8(got.q, got.s, got.ws, w, N, K);
    native!.packBf16(got.b, w, N, K);
    sameBits(`q [${N}, ${K}]`, got.q, want.q);
    sameBits(`scales [${N}, ${K}]`, got.s, want.s);
    sameBits(`wsum [${N}, ${K}]`, got.ws, want.ws);
    sameBits(`bf16 [${N}, ${K}]`, got.b, want.b);
    // The stored values: a float16 scale covering the row, |q| ≤ 127, and the row's max at ±127.
    for (let n = 0; n < N; n++) {
      let amax = 0;
      for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(w[n * K + k]));
      const s = want.s[n];
      assert.ok(s * 127 >= Math.fround(amax / 127) * 127 && (amax === 0 ? s === 0 : s > 0), `scale of row ${n}`);
      for (let k = 0; k < K; k++) assert.ok(Math.abs(want.q[int8Index(n, k, K)]) <= 127);
    }
  }
});

test('linearInt8 and linearBf16: the native bits are the reference bits on every ISA', { skip: SKIP }, () => {
  for (const [M, N, K] of SHAPES) {
    const w = weights(N, K), x = randn(M * K), sz = int8Sizes(N, K);
    if (M > 1) x[K + 3] = 40; // an activation outlier in row 1
    const q = new Int8Array(sz.q), s = new Float32Array(sz.scales), ws = new Int32Array(sz.wsum), b = new Uint16Array(bf16Size(N, K));
    refKernels.quantizeInt8(q, s, ws, w, N, K);
    refKernels.packBf16(b, w, N, K);
    const want8 = nans(M * N), want16 = nans(M * N);
    refKernels.linearInt8(want8, x, q, s, ws, M, N, K);
    refKernels.linearBf16(want16, x, b, M, N, K);
    everyVariant((isa) => {
      const y8 = nans(M * N), y16 = nans(M * N);
      native!.linearInt8(y8, x, q, s, ws, M, N, K);
      native!.linearBf16(y16, x, b, M, N, K);
      sameBits(`int8 [${M}, ${N}, ${K}] ${isa}`, y8, want8);
      sameBits(`bf16 [${M}, ${N}, ${K}] ${isa}`, y16, want16);
    });
    // And within the rounding bounds of the float32 product: int8 moves each weight by at most s/2
    // and each activation by d/2 (d = its block's amax/127); bf16 each factor by 2^-9 relative.
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let exact = 0, bound8 = 0, bound16 = 0;
        for (let k = 0; k < K; k++) {
          const wk = w[n * K + k], xk = x[m * K + k], j = Math.floor(k / 32);
          let amax = 0;
          for (let i = j * 32; i < Math.min(K, j * 32 + 32); i++) amax = Math.max(amax, Math.abs(x[m * K + i]));
          exact += wk * xk;
          bound8 += (Math.abs(xk) * s[n] + Math.abs(wk) * (amax / 127) + s[n] * (amax / 127) / 2) / 2;
          bound16 += 2 ** -8 * Math.abs(wk * xk);
        }
        assert.ok(Math.abs(want8[m * N + n] - exact) <= 1.01 * bound8 + 1e-6, `int8 [${m}, ${n}]: ${want8[m * N + n]} vs ${exact}`);
        assert.ok(Math.abs(want16[m * N + n] - exact) <= 1.01 * bound16 + 1e-6, `bf16 [${m}, ${n}]: ${want16[m * N + n]} vs ${exact}`);
      }
    }
  }
});

test('a non-finite activation turns its output row NaN on int8 and bf16 alike', { skip: SKIP }, () => {
  const M = 2, N = 5, K = 40, w = weights(N, K), x = randn(M * K), sz = int8Sizes(N, K);
  x[K + 33] = Infinity;
  const q = new Int8Array(sz.q), s = new Float32Array(sz.scales), ws = new Int32Array(sz.wsum);
  refKernels.quantizeInt8(q, s, ws, w, N, K);
  everyVariant(() => {
    const y = nans(M * N);
    native!.linearInt8(y, x, q, s, ws, M, N, K);
    assert.ok(y.subarray(0, N).every(Number.isFinite) && y.subarray(N).every(Number.isNaN));
  });
});

test('reference helpers: round half to even, float16 scales, one-rounding fma, bfloat16', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -3.5, -1.5, -2.5, 2.4, -2.6].map(roundEven), [0, 2, 2, -4, -2, -2, 2, -3]);
  for (const v of [0, 1e-9, 3e-7, 6.1e-5, 0.0123, 0.33333334, 1, 1000.3, 65504, 1e9]) {
    const h = f16AtLeast(v);
    assert.ok(h >= Math.min(v, 65504), `f16AtLeast(${v}) = ${h}`);
  }
  assert.equal(f16AtLeast(1 + 2 ** -12), 1 + 2 ** -10); // rounds up to the next float16
  // fmaF32 on a float32 tie: a·b = 2^-24 + 2^-66 exactly (a = 16327370·2^-67, b = 538733), so
  // 1 + a·b lies just above the tie between 1 and 1 + 2^-23; a float64 sum drops the 2^-66 and
  // rounds to even (1), one rounding goes up.
  const a = 16327370 * 2 ** -67, b = 538733;
  assert.equal(Math.fround(a), a);
  assert.equal(Math.fround(a * b + 1), 1);
  assert.equal(fmaF32(a, b, 1), Math.fround(1 + 2 ** -23));
  assert.equal(fmaF32(2 ** -24, 1, 1), 1); // an exact tie goes to even
  assert.equal(fmaF32(0.75, 3, -1), 1.25);
  assert.equal(bf16Value(toBf16(1 + 2 ** -8)), 1); // tie to even
  assert.equal(bf16Value(toBf16(1 + 3 * 2 ** -8)), 1 + 2 ** -6);
  assert.equal(toBf16(1e-39), 0); // below the smallest normal
  assert.ok(Number.isNaN(bf16Value(toBf16(NaN))));
});
