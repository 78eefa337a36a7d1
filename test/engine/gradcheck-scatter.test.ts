// scatterAddRows against central finite differences (float64, reference kernels), with repeated
// and missing target rows, plus its forward on a hand-checked case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, Rng, noGrad, setKernels, refKernels } from '../../src/engine/index.js';
import * as op from '../../src/engine/ops/index.js';

setKernels(refKernels);

const H = 1e-6;
// (read through a call: TypeScript would keep x.grad narrowed to the null assigned below)
const gradOf = (t: Tensor): Tensor | null => t.grad;

/** Checks d(sum(f(x) ⊙ w))/dx against finite differences for every element of x. */
function gradcheck(name: string, x: Tensor, f: (x: Tensor) => Tensor, { rtol = 1e-5, atol = 1e-7 } = {}): void {
  x.requireGrad();
  x.grad = null;
  const out = f(x);
  const w = Tensor.randn(out.shape, new Rng(99), 1, 'f64');
  const project = (): number => {
    const o = noGrad(() => f(x));
    let s = 0;
    for (let i = 0; i < o.size; i++) s += o.data[i] * w.data[i];
    return s;
  };
  op.sum(op.mul(out, w)).backward();
  const grad = gradOf(x);
  assert.ok(grad, `${name}: no gradient`);
  for (let i = 0; i < x.size; i++) {
    const saved = x.data[i];
    x.data[i] = saved + H;
    const up = project();
    x.data[i] = saved - H;
    const down = project();
    x.data[i] = saved;
    const numeric = (up - down) / (2 * H), analytic = grad.data[i];
    assert.ok(Math.abs(analytic - numeric) <= atol + rtol * Math.max(1, Math.abs(numeric)),
      `${name}: element ${i}: analytic ${analytic} vs numeric ${numeric}`);
  }
}

test('scatterAddRows forward sums rows into their targets', () => {
  const src = Tensor.from([[1, 2], [3, 4], [5, 6]]);
  const out = op.scatterAddRows(src, Int32Array.from([2, 0, 2]), 4);
  assert.deepEqual(out.toArray(), [[3, 4], [0, 0], [6, 8], [0, 0]]);
});

test('scatterAddRows gradient', () => {
  const rng = new Rng(7);
  gradcheck('scatterAddRows 2-D', Tensor.randn([5, 3], rng, 1, 'f64'), (x) => op.scatterAddRows(x, Int32Array.from([1, 3, 1, 0, 3]), 6));
  gradcheck('scatterAddRows 3-D', Tensor.randn([4, 2, 3], rng, 1, 'f64'), (x) => op.scatterAddRows(x, Int32Array.from([2, 2, 0, 1]), 3));
});

test('scatterAddRows rejects ids outside the output', () => {
  assert.throws(() => op.scatterAddRows(Tensor.zeros([2, 3]), Int32Array.from([0, 5]), 4), /outside/);
  assert.throws(() => op.scatterAddRows(Tensor.zeros([2, 3]), Int32Array.from([0]), 4), /1 ids/);
});
