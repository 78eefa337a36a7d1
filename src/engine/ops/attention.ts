// Fused scaled-dot-product attention over [B, T, H, D] tensors (the layout q/k/v projections
// produce, so no transposes): MHA, GQA and MQA by the ratio of query to key/value heads, with
// causal, sliding-window, prefix-LM and key-padding masks and an optional ALiBi bias.
import { kernels } from '../backend.js';
import { record } from '../autograd.js';
import type { AttentionGeometry } from '../kernels.js';
import { Tensor, zerosLike } from '../tensor.js';

export interface AttentionOptions {
  /** Causal mask (default true). */
  causal?: boolean;
  /** Sliding window: a query sees at most the last `window` keys (0 = unlimited). */
  window?: number;
  /** Prefix-LM: per batch element, keys before prefixLen[b] are seen by every query. */
  prefixLen?: Int32Array | null;
  /** Key padding, [B, Tk]: 0 marks a pad key no query may attend to. */
  keyMask?: Int32Array | null;
  /** ALiBi slopes, one per query head. */
  alibiSlopes?: Float32Array | null;
  /** Score scale (default 1/sqrt(D)). */
  scale?: number;
  /** Keys actually filled when k/v are a pre-allocated KV cache of capacity k.shape[1]. */
  kvLength?: number;
  /** Position of the first query among the keys (default kvLength − Tq: queries are the last rows). */
  qOffset?: number;
}

/** q [B, Tq, Hq, D], k and v [B, Tkv, Hkv, D] → [B, Tq, Hq, D]. */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  if (q.ndim !== 4 || k.ndim !== 4 || v.ndim !== 4) throw new RangeError('attention: q, k, v must be [B, T, H, D]');
  const [B, Tq, Hq, D] = q.shape;
  const [Bk, kvCapacity, Hkv, Dk] = k.shape;
  if (Bk !== B || Dk !== D || v.shape.some((d, i) => d !== k.shape[i]) || Hq % Hkv !== 0) {
    throw new RangeError(`attention: q [${q.shape.join(', ')}], k [${k.shape.join(', ')}], v [${v.shape.join(', ')}] are incompatible`);
  }
  const Tk = opts.kvLength ?? kvCapacity;
  if (Tk > kvCapacity) throw new RangeError(`attention: kvLength ${Tk} exceeds the ${kvCapacity} key rows`);
  if (opts.keyMask && opts.keyMask.length !== B * Tk) throw new RangeError(`attention: keyMask has ${opts.keyMask.length} entries, expected B·Tk = ${B * Tk}`);
  if (opts.prefixLen && opts.prefixLen.length !== B) throw new RangeError(`attention: prefixLen needs one entry per batch element`);
  if (opts.alibiSlopes && opts.alibiSlopes.length !== Hq) throw new RangeError(`attention: alibiSlopes needs one slope per query head`);
  const g: AttentionGeometry = {
    B, Tq, Tk, kvCapacity, Hq, Hkv, D,
    scale: opts.scale ?? 1 / Math.sqrt(D),
    qOffset: opts.qOffset ?? Tk - Tq,
    causal: opts.causal ?? true,
    window: opts.window ?? 0,
    prefixLen: opts.prefixLen ?? null,
    keyMask: opts.keyMask ?? null,
    alibiSlopes: opts.alibiSlopes ?? null,
  };
  const out = zerosLike(q), lse = zerosLike(q, [B, Hq, Tq]);
  kernels().attentionForward(out.f, lse.f, q.f, k.f, v.f, g);
  return record(out, 'attention', [q, k, v], (dout) => {
    const dq = zerosLike(q), dk = zerosLike(k), dv = zerosLike(v);
    kernels().attentionBackward(dq.f, dk.f, dv.f, dout.f, q.f, k.f, v.f, out.f, lse.f, g);
    return [dq, dk, dv];
  });
}

/** ALiBi slopes for n heads (Press et al.; the geometric sequence BLOOM and MPT use). */
export function alibiSlopes(nHeads: number): Float32Array {
  const closest = 2 ** Math.floor(Math.log2(nHeads));
  const base = 2 ** (-8 / closest);
  const slopes = Array.from({ length: closest }, (_, i) => base ** (i + 1));
  if (closest < nHeads) {
    const extraBase = 2 ** (-4 / closest);
    for (let i = 0; i < nHeads - closest; i++) slopes.push(extraBase ** (2 * i + 1));
  }
  return Float32Array.from(slopes);
}
