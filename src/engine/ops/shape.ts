// Shape ops: views where the storage allows it (reshape, leading-axis slices), strided copies
// otherwise (permute, slices along inner axes, concat, index-select).
import { kernels } from '../backend.js';
import { record } from '../autograd.js';
import { Tensor, sizeOf, zerosLike, type Shape } from '../tensor.js';
import { axisOf, broadcastShapes, broadcastStrides, contiguousStrides, sameShape } from './broadcast.js';
import { sumTo } from './elementwise.js';

/** Same storage, new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const infer = s.indexOf(-1);
  if (infer >= 0) s[infer] = x.size / sizeOf(s.filter((_, i) => i !== infer));
  if (sizeOf(s) !== x.size || !s.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`reshape: cannot view [${x.shape.join(', ')}] as [${shape.join(', ')}]${x.at()}`);
  }
  const out = new Tensor(x.data, s);
  return record(out, 'reshape', [x], (g) => [new Tensor(g.data, x.shape)]);
}

/** Rows [start, end) of the first axis, as a view of the same storage. */
export function slice(x: Tensor, start: number, end: number = x.shape[0]): Tensor {
  if (x.ndim === 0 || !(start >= 0 && end <= x.shape[0] && start <= end)) {
    throw new RangeError(`slice: [${start}, ${end}) outside the first axis of [${x.shape.join(', ')}]${x.at()}`);
  }
  const row = x.size / x.shape[0] || 0;
  const out = new Tensor(x.data.subarray(start * row, end * row), [end - start, ...x.shape.slice(1)]);
  return record(out, 'slice', [x], (g) => {
    const dx = zerosLike(x);
    dx.data.set(g.data, start * row);
    return [dx];
  });
}

/** out = x viewed through `strides` and copied contiguous. */
function strided(x: Tensor, shape: Shape, strides: ArrayLike<number>, offset = 0): Tensor {
  const out = zerosLike(x, shape);
  if (out.size) kernels().copyStrided(out.f, x.f.subarray(offset), Int32Array.from(shape), Int32Array.from(strides));
  return out;
}

/** Elements [start, end) along `axis` (a copy unless axis is 0). */
export function sliceAxis(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = axisOf(axis, x.ndim, 'sliceAxis');
  if (a === 0) return slice(x, start, end);
  if (!(start >= 0 && end <= x.shape[a] && start <= end)) {
    throw new RangeError(`sliceAxis: [${start}, ${end}) outside axis ${a} of [${x.shape.join(', ')}]${x.at()}`);
  }
  const shape = [...x.shape];
  shape[a] = end - start;
  const strides = contiguousStrides(x.shape);
  const out = strided(x, shape, strides, start * strides[a]);
  return record(out, 'sliceAxis', [x], (g) => {
    const dx = zerosLike(x);
    // scatter g into the slice: sumInto with dx's strides, starting at the slice offset
    kernels().sumInto(dx.f.subarray(start * strides[a]), g.f, Int32Array.from(shape), Int32Array.from(strides));
    return [dx];
  });
}

/** Reorders dimensions: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: number[]): Tensor {
  if (perm.length !== x.ndim || [...perm].sort().some((p, i) => p !== i)) {
    throw new RangeError(`permute: [${perm.join(', ')}] is not a permutation of ${x.ndim} axes`);
  }
  const xs = contiguousStrides(x.shape);
  const out = strided(x, perm.map((p) => x.shape[p]), perm.map((p) => xs[p]));
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return record(out, 'permute', [x], (g) => {
    const gs = contiguousStrides(g.shape);
    return [strided(g, x.shape, inverse.map((p) => gs[p]))];
  });
}

export function transpose(x: Tensor, a0 = -2, a1 = -1): Tensor {
  const perm = [...Array(x.ndim).keys()];
  const i = axisOf(a0, x.ndim, 'transpose'), j = axisOf(a1, x.ndim, 'transpose');
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return permute(x, perm);
}

/** Repeats x along broadcast dimensions to `shape` (a copy). */
export function expand(x: Tensor, shape: Shape): Tensor {
  const s = broadcastShapes(x.shape, shape, 'expand');
  if (!sameShape(s, shape)) throw new RangeError(`expand: [${x.shape.join(', ')}] cannot expand to [${shape.join(', ')}]`);
  const out = strided(x, shape, broadcastStrides(x.shape, shape));
  return record(out, 'expand', [x], (g) => [sumTo(g, x.shape)]);
}

/** Joins tensors along `axis`; all other dimensions must match. */
export function concat(xs: Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError('concat: no tensors');
  const a = axisOf(axis, xs[0].ndim, 'concat');
  for (const x of xs) {
    if (x.ndim !== xs[0].ndim || x.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw new RangeError(`concat: shapes ${xs.map((t) => `[${t.shape.join(', ')}]`).join(' ')} differ off axis ${a}`);
    }
  }
  const outer = sizeOf(xs[0].shape.slice(0, a)), inner = sizeOf(xs[0].shape.slice(a + 1));
  const total = xs.reduce((n, x) => n + x.shape[a], 0);
  const shape = [...xs[0].shape];
  shape[a] = total;
  const out = zerosLike(xs[0], shape);
  let at = 0;
  const offsets = xs.map((x) => {
    const o = at;
    const block = x.shape[a] * inner;
    for (let r = 0; r < outer; r++) out.data.set(x.data.subarray(r * block, (r + 1) * block), r * total * inner + o * inner);
    at += x.shape[a];
    return o;
  });
  return record(out, 'concat', xs, (g) => xs.map((x, i) => (x.requiresGrad ? sliceAxis(g.detach(), a, offsets[i], offsets[i] + x.shape[a]) : null)));
}

/** Rows of x chosen by `ids` along `axis` (ids: int32). Gradients scatter-add back. */
export function indexSelect(x: Tensor, axis: number, ids: Int32Array): Tensor {
  const a = axisOf(axis, x.ndim, 'indexSelect');
  const n = x.shape[a], outer = sizeOf(x.shape.slice(0, a)), inner = sizeOf(x.shape.slice(a + 1));
  for (const id of ids) if (!(id >= 0 && id < n)) throw new RangeError(`indexSelect: index ${id} outside [0, ${n})${x.at()}`);
  const shape = [...x.shape];
  shape[a] = ids.length;
  const out = zerosLike(x, shape);
  for (let o = 0; o < outer; o++) {
    ids.forEach((id, r) => {
      const src = (o * n + id) * inner;
      out.data.set(x.data.subarray(src, src + inner), (o * ids.length + r) * inner);
    });
  }
  return record(out, 'indexSelect', [x], (g) => {
    const dx = zerosLike(x);
    const k = kernels();
    for (let o = 0; o < outer; o++) {
      ids.forEach((id, r) => {
        const dst = (o * n + id) * inner, src = (o * ids.length + r) * inner;
        k.axpy(dx.f.subarray(dst, dst + inner), g.f.subarray(src, src + inner), inner, 1);
      });
    }
    return [dx];
  });
}
