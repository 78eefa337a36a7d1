// Rotary position embedding (RoPE), Hugging Face's rotate-half convention: the first and second
// halves of each head are the two coordinates of D/2 rotating pairs.
import { kernels } from '../backend.js';
import { record } from '../autograd.js';
import { Tensor, zerosLike } from '../tensor.js';

/** cos/sin tables [maxPos, D/2], computed in float32 the way transformers does
 * (inv_freq = 1 / theta^(2i/D); angle = pos · inv_freq), so logits match PyTorch closely. */
export interface RopeTables { cos: Float32Array; sin: Float32Array; maxPos: number; headDim: number; theta: number }

export function ropeTables(maxPos: number, headDim: number, theta = 10000): RopeTables {
  if (headDim % 2 !== 0) throw new RangeError(`rope: head dimension ${headDim} must be even`);
  const half = headDim / 2, f = Math.fround;
  const cos = new Float32Array(maxPos * half), sin = new Float32Array(maxPos * half);
  for (let i = 0; i < half; i++) {
    const invFreq = f(1 / f(Math.pow(theta, f(f(2 * i) / headDim))));
    for (let p = 0; p < maxPos; p++) {
      const angle = f(p * invFreq);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin, maxPos, headDim, theta };
}

/** Rotates x [B, T, H, D] by the positions pos (int32, one per (b, t) row, B·T of them). */
export function rope(x: Tensor, tables: RopeTables, pos: Int32Array): Tensor {
  const D = x.shape[x.ndim - 1], H = x.shape[x.ndim - 2], rows = x.size / (H * D);
  if (D !== tables.headDim) throw new RangeError(`rope: head dimension ${D} but tables for ${tables.headDim}`);
  if (pos.length !== rows) throw new RangeError(`rope: ${pos.length} positions for ${rows} rows`);
  for (const p of pos) if (!(p >= 0 && p < tables.maxPos)) throw new RangeError(`rope: position ${p} outside [0, ${tables.maxPos})`);
  const out = zerosLike(x);
  kernels().rope(out.f, x.f, tables.cos, tables.sin, pos, rows, H, D, false);
  return record(out, 'rope', [x], (g) => {
    const dx = zerosLike(x);
    kernels().rope(dx.f, g.f, tables.cos, tables.sin, pos, rows, H, D, true);
    return [dx];
  });
}
