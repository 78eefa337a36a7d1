// Tape semantics: accumulation across backward calls, detach, noGrad, shared inputs, parameter
// registry; tensor construction and the seeded RNG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, Rng, noGrad, setKernels, refKernels } from '../../src/engine/index.js';
import * as op from '../../src/engine/ops/index.js';
import { Linear, Module, RMSNorm } from '../../src/nn/index.js';

setKernels(refKernels);

test('gradients accumulate across backward calls until zeroed', () => {
  const x = Tensor.from([1, 2, 3]).requireGrad();
  op.sum(op.mul(x, x)).backward();
  assert.deepEqual([...x.grad!.data], [2, 4, 6]);
  op.sum(op.mul(x, x)).backward();
  assert.deepEqual([...x.grad!.data], [4, 8, 12]);
  x.grad = null;
  op.sum(x).backward();
  assert.deepEqual([...x.grad!.data], [1, 1, 1]);
});

test('a tensor used twice receives both contributions', () => {
  const x = Tensor.from([3]).requireGrad();
  const y = op.add(op.mul(x, 2), op.mul(x, x)); // 2x + x² → 2 + 2x
  y.backward();
  assert.equal(x.grad!.data[0], 8);
});

test('detach and noGrad stop the tape', () => {
  const x = Tensor.from([2]).requireGrad();
  const d = op.mul(x.detach(), x); // only the second factor carries gradient
  d.backward();
  assert.equal(x.grad!.data[0], 2);
  const y = noGrad(() => op.mul(x, x));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.node, null);
  assert.throws(() => y.backward(), /does not require grad/);
});

test('backward from a non-scalar needs a gradient', () => {
  const x = Tensor.from([1, 2]).requireGrad();
  const y = op.mul(x, 3);
  assert.throws(() => y.backward(), /pass a gradient/);
  y.backward(Tensor.from([1, 10]));
  assert.deepEqual([...x.grad!.data], [3, 30]);
});

test('modules register parameters with Hugging Face-style dotted names', () => {
  class Block extends Module {
    norm = this.child('input_layernorm', new RMSNorm(4));
    proj = this.child('up_proj', new Linear(4, 3, { bias: false }));
  }
  class Net extends Module {
    layers = [0, 1].map((i) => this.child(`layers.${i}`, new Block()));
  }
  const net = new Net();
  assert.deepEqual([...net.namedParameters('model.').keys()], [
    'model.layers.0.input_layernorm.weight', 'model.layers.0.up_proj.weight',
    'model.layers.1.input_layernorm.weight', 'model.layers.1.up_proj.weight',
  ]);
  assert.equal(net.numParameters(), 2 * (4 + 12));
  assert.ok(net.parameters().every((p) => p.requiresGrad));
});

test('shape errors name the shapes', () => {
  assert.throws(() => op.matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5])), /\[2, 3\] × \[4, 5\] do not match/);
  assert.throws(() => op.add(Tensor.zeros([2, 3]), Tensor.zeros([4])), /do not broadcast/);
  assert.throws(() => op.reshape(Tensor.zeros([2, 3]), [4, 2]), /cannot view/);
  assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), /do not fill/);
  assert.throws(() => op.embedding(Tensor.zeros([4, 2]), Int32Array.from([4])), /outside the table/);
});

test('tensor construction', () => {
  const t = Tensor.from([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
  assert.equal(Tensor.from([7], [], 'i32').dtype, 'i32');
  assert.throws(() => Tensor.from([[1, 2], [3]]), /ragged/);
  const s = op.slice(t, 1);
  assert.equal(s.data.buffer, t.data.buffer, 'leading-axis slices share storage');
  assert.deepEqual(s.toArray(), [[4, 5, 6]]);
  assert.deepEqual(op.concat([t, t], 1).shape, [2, 6]);
});

test('seeded RNG: reproducible, resumable from its state, well distributed', () => {
  const a = new Rng(42), b = new Rng(42);
  const xs = Array.from({ length: 5 }, () => a.nextU32());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.nextU32()));
  a.normal();
  const resumed = new Rng(a.state());
  assert.deepEqual([a.normal(), a.uniform(), a.int(10)], [resumed.normal(), resumed.uniform(), resumed.int(10)]);
  assert.notEqual(new Rng(1).nextU32(), new Rng(2).nextU32());
  const r = new Rng(7), n = 20000;
  let mean = 0, sq = 0;
  for (let i = 0; i < n; i++) { const v = r.normal(); mean += v / n; sq += (v * v) / n; }
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(sq - 1) < 0.05, `normal moments ${mean}, ${sq}`);
  const counts = [0, 0, 0];
  for (let i = 0; i < 9000; i++) counts[r.categorical([1, 2, 0, 6].slice(0, 3))]++;
  assert.equal(counts[2], 0);
  assert.ok(Math.abs(counts[1] / counts[0] - 2) < 0.25, `categorical ratio ${counts}`);
});
