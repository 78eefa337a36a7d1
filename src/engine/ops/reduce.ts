// Sums and means over one axis or all of them.
import { kernels } from '../backend.js';
import { record } from '../autograd.js';
import { Tensor, zerosLike } from '../tensor.js';
import { axisOf, broadcastStrides } from './broadcast.js';

/** Sum over `axis` (all axes when undefined); keepDim keeps it as size 1. */
export function sum(x: Tensor, axis?: number, keepDim = false): Tensor {
  const reduced = axis === undefined ? x.shape.map(() => 1) : x.shape.map((d, i) => (i === axisOf(axis, x.ndim, 'sum') ? 1 : d));
  const outShape = axis === undefined && !keepDim ? [] : keepDim ? reduced : x.shape.filter((_, i) => i !== axisOf(axis!, x.ndim, 'sum'));
  const out = zerosLike(x, outShape);
  kernels().sumInto(out.f, x.f, Int32Array.from(x.shape), broadcastStrides(reduced, x.shape));
  return record(out, 'sum', [x], (g) => {
    // every input element receives the gradient of the sum it fed
    const dx = zerosLike(x);
    kernels().copyStrided(dx.f, g.f, Int32Array.from(x.shape), broadcastStrides(reduced, x.shape));
    return [dx];
  });
}

export function mean(x: Tensor, axis?: number, keepDim = false): Tensor {
  const n = axis === undefined ? x.size : x.shape[axisOf(axis, x.ndim, 'mean')];
  const s = sum(x, axis, keepDim);
  const out = zerosLike(s);
  kernels().affine(out.f, s.f, s.size, 1 / n, 0);
  return record(out, 'mean', [s], (g) => {
    const ds = zerosLike(s);
    kernels().affine(ds.f, g.f, g.size, 1 / n, 0);
    return [ds];
  });
}
