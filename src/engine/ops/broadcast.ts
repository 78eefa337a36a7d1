// Broadcasting as NumPy and PyTorch define it: shapes align on the right; a dimension of 1 (or a
// missing one) repeats. Kernels see it as strides with 0 on repeated dimensions.
import type { Shape } from '../tensor.js';

export function broadcastShapes(a: Shape, b: Shape, op = 'broadcast'): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1, db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${op}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Row-major strides of `shape` as seen from `outShape` (0 where `shape` is broadcast). */
export function broadcastStrides(shape: Shape, outShape: Shape): Int32Array {
  const strides = new Int32Array(outShape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = outShape.length - shape.length + i;
    strides[o] = shape[i] === 1 && outShape[o] !== 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Normalises a possibly negative axis. */
export function axisOf(axis: number, ndim: number, op: string): number {
  const a = axis < 0 ? axis + ndim : axis;
  if (!(a >= 0 && a < ndim)) throw new RangeError(`${op}: axis ${axis} out of range for ${ndim} dimensions`);
  return a;
}
