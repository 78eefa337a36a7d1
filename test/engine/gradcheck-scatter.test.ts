// scatterAddRows against central finite differences (float64, reference kernels), with repeated
// and missing target rows, plus its forward on a hand-checked case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, Rng, setKernels, refKernels } from '../../src/engine/index.js';
import * as op from '../../src/engine/ops/index.js';
import { gradcheck } from './gradcheck-util.js';

setKernels(refKernels);

test('scatterAddRows forward sums rows into their targets', () => {
  const src = Tensor.from([[1, 2], [3, 4], [5, 6]]);
  const out = op.scatterAddRows(src, Int32Array.from([2, 0, 2]), 4);
  assert.deepEqual(out.toArray(), [[3, 4], [0, 0], [6, 8], [0, 0]]);
});

test('scatterAddRows gradient', () => {
  const rng = new Rng(7);
  gradcheck('scatterAddRows 2-D', [Tensor.randn([5, 3], rng, 1, 'f64')], (x) => op.scatterAddRows(x, Int32Array.from([1, 3, 1, 0, 3]), 6));
  gradcheck('scatterAddRows 3-D', [Tensor.randn([4, 2, 3], rng, 1, 'f64')], (x) => op.scatterAddRows(x, Int32Array.from([2, 2, 0, 1]), 3));
});

test('scatterAddRows rejects ids outside the output', () => {
  assert.throws(() => op.scatterAddRows(Tensor.zeros([2, 3]), Int32Array.from([0, 5]), 4), /outside/);
  assert.throws(() => op.scatterAddRows(Tensor.zeros([2, 3]), Int32Array.from([0]), 4), /1 ids/);
});
