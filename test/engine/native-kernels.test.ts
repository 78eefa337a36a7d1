// Native kernels against the TypeScript reference (src/engine/backends/ref), every kernel but
// gemm (gemm.test.ts) and attention (native-attention.test.ts): fresh seeded inputs on odd shapes,
// NaN-filled outputs, every ISA the CPU runs. Tolerances: element-wise 1e-5 relative (the vector
// exp/tanh are ~1e-7, libm-free); reductions and norms a little looser, since native sums in
// float32 lanes where the reference sums in float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryOp, UnaryOp, type F32, type Kernels } from '../../src/engine/kernels.js';
import { SKIP, agree, assertDeterministic, nans, native, randInt, randn, uniform, type Tol } from './native-compare.js';

const EW: Tol = { rel: 1e-5, abs: 1e-6 };
const ROW: Tol = { rel: 1e-5, abs: 1e-5 };
const SUM: Tol = { rel: 1e-4, abs: 1e-4 };
const SIZES = [1, 3, 17, 65];
const BIG = 70001; // several thread-pool tasks
const i32 = (xs: number[]) => new Int32Array(xs);
const copy = (x: F32) => x.slice();

test('binary: every op, broadcast and transposed strides', { skip: SKIP }, () => {
  // [shape, aStrides, bStrides, a length, b length]
  const layouts: [number[], number[], number[], number, number][] = [
    [[17], [1], [1], 17, 17],
    [[3, 17], [17, 1], [0, 1], 51, 17], // row vector
    [[3, 17], [17, 1], [1, 0], 51, 3], // column vector
    [[65, 3], [1, 65], [3, 1], 195, 195], // a transposed
    [[3, 1, 17], [17, 17, 1], [0, 0, 0], 51, 1], // scalar b
    [[1, 3, 5, 7], [0, 1, 3, 15], [0, 35, 7, 1], 105, 105],
    [[BIG], [1], [1], BIG, BIG],
  ];
  for (const op of [BinaryOp.Add, BinaryOp.Sub, BinaryOp.Mul, BinaryOp.Div, BinaryOp.Max, BinaryOp.Min, BinaryOp.Gt, BinaryOp.Eq]) {
    for (const [shape, as, bs, na, nb] of layouts) {
      const a = randn(na), b = op === BinaryOp.Div ? uniform(nb, 0.5, 2) : randn(nb);
      if (op === BinaryOp.Eq || op === BinaryOp.Gt) for (let i = 0; i < Math.min(na, nb); i += 2) b[i] = a[i];
      const n = shape.reduce((p, d) => p * d, 1);
      agree(`binary op ${op} shape [${shape}]`, (k) => {
        const out = nans(n);
        k.binary(op, out, a, b, i32(shape), i32(as), i32(bs));
        return { out };
      }, EW);
    }
  }
});

test('where and copyStrided: broadcast condition, transposes, permutes, strided slices', { skip: SKIP }, () => {
  const cond = uniform(65, 0, 1).map((x) => (x < 0.5 ? 0 : 1)), a = randn(17 * 65), b = randn(17);
  agree('where [17, 65]: row condition, full a, column b', (k) => {
    const out = nans(17 * 65);
    k.where(out, cond, a, b, i32([17, 65]), i32([0, 1]), i32([65, 1]), i32([1, 0]));
    return { out };
  }, EW);
  const c = uniform(17 * 65, 0, 1).map((x) => (x < 0.3 ? 0 : 1));
  agree('where [65, 17]: transposed condition and a, scalar b', (k) => {
    const out = nans(17 * 65);
    k.where(out, c, a, b, i32([65, 17]), i32([1, 65]), i32([1, 65]), i32([0, 0]));
    return { out };
  }, EW);
  const x = randn(700 * 300);
  const cases: [number[], number[]][] = [
    [[65, 17], [1, 65]], // transpose of [17, 65]
    [[3, 65, 17], [17 * 65, 1, 65]], // batched transpose of the last two dimensions
    [[700, 300], [1, 700]], // transpose over several tiles and tasks
    [[65, 3, 17], [1, 17 * 65, 65]], // permute of [3, 17, 65]
    [[3, 9, 33], [17 * 65, 130, 2]], // every other row and column
    [[1], [0]],
    [[3, 17, 65], [17 * 65, 65, 1]], // plain copy
  ];
  for (const [shape, xs] of cases) {
    const n = shape.reduce((p, d) => p * d, 1);
    agree(`copyStrided [${shape}] strides [${xs}]`, (k) => {
      const out = nans(n);
      k.copyStrided(out, x, i32(shape), i32(xs));
      return { out };
    }, EW);
  }
});

test('sumInto: reductions over any dimensions, accumulating into out', { skip: SKIP }, () => {
  // [shape, outStrides, out length]
  const cases: [number[], number[], number][] = [
    [[65, 17], [0, 1], 17], // bias gradient: sum over rows
    [[65, 17], [1, 0], 65], // row sums
    [[17, 65], [0, 0], 1], // total
    [[3, 17, 5], [0, 5, 1], 85],
    [[3, 17, 5], [1, 0, 3], 15],
    [[4, 5], [1, 1], 8], // overlapping outputs: summed serially
    [[600, 129], [0, 1], 129],
    [[BIG], [1], BIG],
  ];
  for (const [shape, os, m] of cases) {
    const n = shape.reduce((p, d) => p * d, 1), x = randn(n), out0 = randn(m);
    agree(`sumInto [${shape}] outStrides [${os}]`, (k) => {
      const out = copy(out0);
      k.sumInto(out, x, i32(shape), i32(os));
      return { out };
    }, SUM);
  }
});

const UNARY_DOMAIN: Record<number, [number, number]> = {
  [UnaryOp.Exp]: [-30, 30], [UnaryOp.Log]: [1e-3, 50], [UnaryOp.Sqrt]: [1e-3, 50],
};

test('unary and unaryBackward: every op', { skip: SKIP }, () => {
  for (const op of [UnaryOp.Exp, UnaryOp.Log, UnaryOp.Sigmoid, UnaryOp.Tanh, UnaryOp.Silu, UnaryOp.Gelu, UnaryOp.Relu, UnaryOp.Sqrt, UnaryOp.Neg, UnaryOp.Abs]) {
    for (const n of [...SIZES, BIG]) {
      const [lo, hi] = UNARY_DOMAIN[op] ?? [-8, 8];
      const x = uniform(n, lo, hi), dy = randn(n);
      agree(`unary ${op} n ${n}`, (k) => {
        const out = nans(n);
        k.unary(op, out, x, n);
        return { out };
      }, EW);
      const y = nans(n);
      native!.unary(op, y, x, n);
      // gelu' crosses zero near x = −0.75: relative error is meaningless there
      agree(`unaryBackward ${op} n ${n}`, (k) => {
        const dx = nans(n);
        k.unaryBackward(op, dx, x, y, dy, n);
        return { dx };
      }, { rel: 1e-5, abs: 1e-5 });
    }
  }
});

test('affine, clamp, clampBackward, axpy, swiglu', { skip: SKIP }, () => {
  for (const n of [...SIZES, BIG]) {
    const x = randn(n), y0 = randn(n), dy = randn(n), up = randn(n);
    x[0] = -0.5; // exactly on the clamp bound
    agree(`affine ${n}`, (k) => { const out = nans(n); k.affine(out, x, n, 1.7, -0.3); return { out }; }, EW);
    for (const [lo, hi] of [[-0.5, 0.75], [1, -1]]) {
      agree(`clamp ${n} [${lo}, ${hi}]`, (k) => { const out = nans(n); k.clamp(out, x, n, lo, hi); return { out }; }, EW);
      agree(`clampBackward ${n} [${lo}, ${hi}]`, (k) => { const dx = nans(n); k.clampBackward(dx, x, dy, n, lo, hi); return { dx }; }, EW);
    }
    agree(`axpy ${n}`, (k) => { const y = copy(y0); k.axpy(y, x, n, -0.37); return { y }; }, EW);
    agree(`swigluForward ${n}`, (k) => { const out = nans(n); k.swigluForward(out, x, up, n); return { out }; }, EW);
    agree(`swigluBackward ${n}`, (k) => {
      const dgate = nans(n), dup = nans(n);
      k.swigluBackward(dgate, dup, dy, x, up, n);
      return { dgate, dup };
    }, { rel: 1e-5, abs: 1e-6 });
  }
});

test('sumSquares and countNonFinite', { skip: SKIP }, () => {
  for (const n of [...SIZES, 200003]) {
    const x = randn(n, 3);
    agree(`sumSquares ${n}`, (k) => ({ s: k.sumSquares(x, n) }), { rel: 1e-12, abs: 0 });
    const y = copy(x);
    for (let i = 0; i < n; i += 7) y[i] = [NaN, Infinity, -Infinity][i % 3];
    agree(`countNonFinite ${n}`, (k) => ({ c: k.countNonFinite(y, n) }), { rel: 0, abs: 0 });
  }
});

test('softmax, logSoftmax and their backwards', { skip: SKIP }, () => {
  for (const [rows, n] of [[1, 1], [3, 17], [17, 65], [65, 3], [5, 1000], [40, 1025]]) {
    const x = randn(rows * n, 3), dy = randn(rows * n);
    x[0] = -Infinity; // a masked logit
    agree(`softmax ${rows}x${n}`, (k) => { const out = nans(rows * n); k.softmax(out, x, rows, n); return { out }; }, EW);
    agree(`logSoftmax ${rows}x${n}`, (k) => { const out = nans(rows * n); k.logSoftmax(out, x, rows, n); return { out }; }, ROW);
    const y = nans(rows * n), ly = nans(rows * n);
    native!.softmax(y, x, rows, n);
    native!.logSoftmax(ly, x, rows, n);
    agree(`softmaxBackward ${rows}x${n}`, (k) => { const dx = nans(rows * n); k.softmaxBackward(dx, y, dy, rows, n); return { dx }; }, ROW);
    agree(`logSoftmaxBackward ${rows}x${n}`, (k) => { const dx = nans(rows * n); k.logSoftmaxBackward(dx, ly, dy, rows, n); return { dx }; }, SUM);
  }
});

test('crossEntropy forward and backward, with ignored rows; bad targets throw', { skip: SKIP }, () => {
  const IGNORE = -100;
  for (const [rows, V] of [[1, 1], [3, 17], [17, 65], [65, 3], [9, 5003]]) {
    const logits = randn(rows * V, 2), scale = uniform(rows, 0.1, 1);
    const targets = new Int32Array(rows).map((_, r) => (r % 4 === 3 ? IGNORE : randInt(V)));
    agree(`crossEntropyForward ${rows}x${V}`, (k) => {
      const loss = nans(rows), lse = nans(rows);
      k.crossEntropyForward(loss, lse, logits, targets, rows, V, IGNORE);
      return { loss, lse };
    }, ROW);
    const lse = nans(rows);
    native!.crossEntropyForward(nans(rows), lse, logits, targets, rows, V, IGNORE);
    agree(`crossEntropyBackward ${rows}x${V}`, (k) => {
      const d = nans(rows * V);
      k.crossEntropyBackward(d, logits, lse, targets, scale, rows, V, IGNORE);
      return { d };
    }, { rel: 1e-5, abs: 1e-7 });
  }
  for (const bad of [3, -1]) {
    assert.throws(() => native!.crossEntropyForward(nans(2), nans(2), randn(6), i32([0, bad]), 2, 3, IGNORE), RangeError);
    assert.throws(() => native!.crossEntropyBackward(nans(6), randn(6), randn(2), i32([bad, 0]), randn(2), 2, 3, IGNORE), RangeError);
  }
  assert.throws(() => native!.crossEntropyForward(nans(2), nans(2), randn(5), i32([0, 1]), 2, 3, IGNORE), /logits has 5 elements, needs 6/);
});

test('rmsnorm and layernorm, forward and backward', { skip: SKIP }, () => {
  for (const [rows, C] of [[1, 1], [3, 17], [17, 65], [65, 3], [600, 64]]) {
    const x = randn(rows * C, 2), w = randn(C), b = randn(C), dy = randn(rows * C);
    agree(`rmsnormForward ${rows}x${C}`, (k) => {
      const y = nans(rows * C), rstd = nans(rows);
      k.rmsnormForward(y, rstd, x, w, rows, C, 1e-5);
      return { y, rstd };
    }, ROW);
    agree(`layernormForward ${rows}x${C}`, (k) => {
      const y = nans(rows * C), mean = nans(rows), rstd = nans(rows);
      k.layernormForward(y, mean, rstd, x, w, b, rows, C, 1e-5);
      return { y, mean, rstd };
    }, { rel: 1e-4, abs: 1e-5 });
    const rstd = nans(rows), mean = nans(rows), lrstd = nans(rows);
    native!.rmsnormForward(nans(rows * C), rstd, x, w, rows, C, 1e-5);
    native!.layernormForward(nans(rows * C), mean, lrstd, x, w, b, rows, C, 1e-5);
    agree(`rmsnormBackward ${rows}x${C}`, (k) => {
      const dx = nans(rows * C), dw = nans(C);
      k.rmsnormBackward(dx, dw, dy, x, w, rstd, rows, C);
      return { dx, dw };
    }, { dx: { rel: 1e-4, abs: 1e-5 }, dw: { rel: 1e-4, abs: 1e-4 } });
    agree(`layernormBackward ${rows}x${C}`, (k) => {
      const dx = nans(rows * C), dw = nans(C), db = nans(C);
      k.layernormBackward(dx, dw, db, dy, x, w, mean, lrstd, rows, C);
      return { dx, dw, db };
    }, { dx: { rel: 1e-4, abs: 1e-4 }, dw: { rel: 1e-4, abs: 1e-4 }, db: { rel: 1e-4, abs: 1e-4 } });
  }
});

test('rope: forward, inverse, in place; positions outside the table throw', { skip: SKIP }, () => {
  for (const [rows, H, D] of [[1, 1, 2], [3, 3, 34], [17, 2, 64], [65, 1, 6]]) {
    const maxPos = 40, half = D / 2;
    const angles = uniform(maxPos * half, -3, 3);
    const cos = angles.map(Math.cos), sin = angles.map(Math.sin);
    const pos = new Int32Array(rows).map(() => randInt(maxPos)), x = randn(rows * H * D);
    for (const inverse of [false, true]) {
      agree(`rope ${rows}x${H}x${D} inverse ${inverse}`, (k) => {
        const out = nans(rows * H * D), inPlace = copy(x);
        k.rope(out, x, cos, sin, pos, rows, H, D, inverse);
        k.rope(inPlace, inPlace, cos, sin, pos, rows, H, D, inverse);
        return { out, inPlace };
      }, EW);
    }
  }
  assert.throws(() => native!.rope(nans(4), randn(4), randn(4), randn(4), i32([2]), 1, 1, 4, false), /pos 2 at row 0/);
});

test('embedding forward and backward (accumulating, repeated ids); bad ids throw', { skip: SKIP }, () => {
  for (const [V, n, C] of [[1, 3, 1], [17, 65, 17], [5, 65, 300], [50, 2000, 65]]) {
    const table = randn(V * C), ids = new Int32Array(n).map(() => randInt(V)), dout = randn(n * C), dtable0 = randn(V * C);
    agree(`embeddingForward V ${V} n ${n} C ${C}`, (k) => { const out = nans(n * C); k.embeddingForward(out, table, ids, n, C); return { out }; }, EW);
    agree(`embeddingBackward V ${V} n ${n} C ${C}`, (k) => {
      const dtable = copy(dtable0);
      k.embeddingBackward(dtable, dout, ids, n, C);
      return { dtable };
    }, EW);
  }
  assert.throws(() => native!.embeddingForward(nans(4), randn(4), i32([1, 2]), 2, 2), /id 2 at row 1/);
  assert.throws(() => native!.embeddingBackward(randn(8), randn(4), i32([-1, 0]), 2, 2), RangeError);
});

test('adamw: three steps in place', { skip: SKIP }, () => {
  for (const n of [...SIZES, BIG]) {
    const p0 = randn(n), m0 = randn(n, 0.1), v0 = uniform(n, 0, 0.01), grads = [randn(n), randn(n), randn(n)];
    agree(`adamw ${n}`, (k) => {
      const p = copy(p0), m = copy(m0), v = copy(v0);
      grads.forEach((g, i) => {
        const t = i + 1;
        k.adamw(p, g, m, v, n, 1e-3, 0.9, 0.999, 1e-8, 0.1, 1 - 0.9 ** t, 1 - 0.999 ** t);
      });
      return { p, m, v };
    }, EW);
  }
});

test('reductions are deterministic: same bits across runs and thread counts', { skip: SKIP }, () => {
  const rows = 3000, C = 96, V = 40;
  const x = randn(rows * C), w = randn(C), b = randn(C), dy = randn(rows * C), ids = new Int32Array(rows).map(() => randInt(V));
  const rstd = nans(rows), mean = nans(rows), lrstd = nans(rows);
  native!.rmsnormForward(nans(rows * C), rstd, x, w, rows, C, 1e-5);
  native!.layernormForward(nans(rows * C), mean, lrstd, x, w, b, rows, C, 1e-5);
  const runs: [string, (k: Kernels) => Record<string, F32 | number>][] = [
    ['rmsnormBackward', (k) => { const dx = nans(rows * C), dw = nans(C); k.rmsnormBackward(dx, dw, dy, x, w, rstd, rows, C); return { dx, dw }; }],
    ['layernormBackward', (k) => {
      const dx = nans(rows * C), dw = nans(C), db = nans(C);
      k.layernormBackward(dx, dw, db, dy, x, w, mean, lrstd, rows, C);
      return { dx, dw, db };
    }],
    ['sumInto over rows', (k) => { const out = new Float32Array(C); k.sumInto(out, x, i32([rows, C]), i32([0, 1])); return { out }; }],
    ['sumInto over columns', (k) => { const out = new Float32Array(rows); k.sumInto(out, x, i32([rows, C]), i32([1, 0])); return { out }; }],
    ['embeddingBackward', (k) => { const dt = new Float32Array(V * C); k.embeddingBackward(dt, dy, ids, rows, C); return { dt }; }],
    ['sumSquares', (k) => ({ s: k.sumSquares(x, rows * C) })],
  ];
  for (const [name, run] of runs) assertDeterministic(name, run);
});
