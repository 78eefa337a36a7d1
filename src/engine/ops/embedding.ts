// Embedding lookup: gather rows of a table by token id; the gradient scatter-adds back.
import { kernels } from '../backend.js';
import { record } from '../autograd.js';
import { Tensor, zerosLike, type Shape } from '../tensor.js';

/** table [V, C], ids (int32, any shape `idsShape`) → [...idsShape, C]. */
export function embedding(table: Tensor, ids: Int32Array, idsShape: Shape = [ids.length]): Tensor {
  if (table.ndim !== 2) throw new RangeError(`embedding: table must be [V, C], got [${table.shape.join(', ')}]${table.at()}`);
  const C = table.shape[1];
  const out = zerosLike(table, [...idsShape, C]);
  if (out.size !== ids.length * C) throw new RangeError(`embedding: ${ids.length} ids do not fill shape [${idsShape.join(', ')}]`);
  kernels().embeddingForward(out.f, table.f, ids, ids.length, C);
  return record(out, 'embedding', [table], (g) => {
    const dtable = zerosLike(table);
    kernels().embeddingBackward(dtable.f, g.f, ids, ids.length, C);
    return [dtable];
  });
}
