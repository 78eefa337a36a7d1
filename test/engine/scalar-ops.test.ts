// 0-d and empty tensors through the broadcasting kernels, on both backends (a 0-d shape once made
// the native binary kernel return without writing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, nativeKernels, refKernels, setKernels } from '../../src/engine/index.js';
import * as op from '../../src/engine/ops/index.js';

for (const backend of [refKernels, nativeKernels()]) {
  test(`0-d and empty tensors (${backend?.name ?? 'native'} backend)`, { skip: backend ? false : 'native addon not built' }, () => {
    setKernels(backend!);
    assert.equal(op.add(Tensor.scalar(1), Tensor.scalar(0.5)).item(), 1.5);
    assert.equal(op.mul(Tensor.scalar(3), 2).item(), 6);
    assert.deepEqual(op.sub(Tensor.from([1, 2]), Tensor.scalar(1)).toArray(), [0, 1]);
    assert.equal(op.where(Tensor.scalar(0), Tensor.scalar(1), Tensor.scalar(2)).item(), 2);
    assert.equal(op.sum(Tensor.scalar(4)).item(), 4);
    const x = Tensor.scalar(3).requireGrad();
    op.mul(x, x).backward();
    assert.equal(x.grad!.item(), 6);
    assert.deepEqual(op.add(Tensor.zeros([0, 3]), Tensor.zeros([3])).shape, [0, 3]);
    assert.equal(op.sum(Tensor.zeros([0])).item(), 0);
  });
}
