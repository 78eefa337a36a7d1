// Row scatter-add, the adjoint of a row gather: out[ids[r]] += src[r]. Mixture-of-experts layers
// use it to sum each expert's outputs back into the token positions they were routed from.
import { kernels } from '../backend.js';
import { record } from '../autograd.js';
import { Tensor, zerosLike } from '../tensor.js';

/** src [n, ...rest], ids (int32, n of them, each in [0, rows)) → [rows, ...rest], zero where no
 * id points. Its gradient gathers the output gradient's rows back: dsrc[r] = g[ids[r]]. */
export function scatterAddRows(src: Tensor, ids: Int32Array, rows: number): Tensor {
  if (src.ndim < 1 || src.shape[0] !== ids.length) {
    throw new RangeError(`scatterAddRows: ${ids.length} ids for src [${src.shape.join(', ')}]${src.at()}`);
  }
  const C = src.size / (ids.length || 1);
  const out = zerosLike(src, [rows, ...src.shape.slice(1)]);
  // The embedding kernels are exactly gather (forward) and scatter-add (backward) of rows.
  if (ids.length) kernels().embeddingBackward(out.f, src.f, ids, ids.length, C);
  return record(out, 'scatterAddRows', [src], (g) => {
    const dsrc = zerosLike(src);
    if (ids.length) kernels().embeddingForward(dsrc.f, g.f, ids, ids.length, C);
    return [dsrc];
  });
}
