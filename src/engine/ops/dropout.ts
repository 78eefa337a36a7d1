// Inverted dropout: zero each element with probability p and scale survivors by 1/(1−p). The mask
// comes from the seeded TypeScript RNG, so every backend drops the same elements.
import { kernels } from '../backend.js';
import { BinaryOp } from '../kernels.js';
import { record } from '../autograd.js';
import type { Rng } from '../rng.js';
import { Tensor, zerosLike } from '../tensor.js';
import { contiguousStrides } from './broadcast.js';

export function dropout(x: Tensor, p: number, rng: Rng, training = true): Tensor {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const mask = zerosLike(x);
  const keep = 1 / (1 - p);
  for (let i = 0; i < mask.size; i++) mask.data[i] = rng.uniform() < p ? 0 : keep;
  const shape = Int32Array.from(x.shape), strides = Int32Array.from(contiguousStrides(x.shape));
  const apply = (src: Tensor): Tensor => {
    const out = zerosLike(x);
    kernels().binary(BinaryOp.Mul, out.f, src.f, mask.f, shape, strides, strides);
    return out;
  };
  return record(apply(x), 'dropout', [x], (g) => [apply(g)]);
}
