// Multi-head self-attention with grouped key/value heads: q/k/v projections, rotary positions,
// then the engine's fused attention over this call's keys or over the KV cache.
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { gradEnabled } from '../engine/autograd.js';
import { attention, reshape, rope, type RopeTables } from '../engine/ops/index.js';
import { Linear, Module } from '../nn/index.js';
import type { ModelConfig } from './config.js';
import type { KVStore } from './kv-cache.js';

/** What every layer of one forward call shares. */
export interface LayerContext {
  B: number;
  T: number;
  /** Position id of each of the B·T tokens. */
  positions: Int32Array;
  rope: RopeTables | null;
  alibi: Float32Array | null;
  /** [B, Tk]: 0 marks a pad key (null = none). */
  keyMask: Int32Array | null;
  /** Prefix-LM: keys before prefixLen[b] are visible to every query of row b. */
  prefixLen: Int32Array | null;
  cache: KVStore | null;
  /** Dropout while training (null = off). */
  dropoutRng: Rng | null;
}

export class Attention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;

  constructor(readonly cfg: ModelConfig, rng: Rng) {
    super();
    const { hiddenSize: C, numHeads: H, numKvHeads: Hkv, headDim: D } = cfg;
    // GPT-2's scaled init: residual projections get std 0.02/sqrt(2·layers).
    const residualStd = 0.02 / Math.sqrt(2 * cfg.numLayers);
    this.q_proj = this.child('q_proj', new Linear(C, H * D, { bias: cfg.qkvBias, rng }));
    this.k_proj = this.child('k_proj', new Linear(C, Hkv * D, { bias: cfg.qkvBias, rng }));
    this.v_proj = this.child('v_proj', new Linear(C, Hkv * D, { bias: cfg.qkvBias, rng }));
    this.o_proj = this.child('o_proj', new Linear(H * D, C, { bias: cfg.outBias, rng, std: residualStd }));
  }

  /** x [B, T, C] → [B, T, C]; with a cache, this call's keys are appended to layer `layer`'s. */
  forward(x: Tensor, ctx: LayerContext, layer: number): Tensor {
    const { B, T } = ctx;
    const { numHeads: H, numKvHeads: Hkv, headDim: D, slidingWindow, attention: kind } = this.cfg;
    let q = reshape(this.q_proj.forward(x), [B, T, H, D]);
    let k = reshape(this.k_proj.forward(x), [B, T, Hkv, D]);
    const v = reshape(this.v_proj.forward(x), [B, T, Hkv, D]);
    if (ctx.rope) {
      q = rope(q, ctx.rope, ctx.positions);
      k = rope(k, ctx.rope, ctx.positions);
    }
    const opts = {
      causal: true, window: slidingWindow, keyMask: ctx.keyMask, alibiSlopes: ctx.alibi,
      prefixLen: kind === 'prefix-lm' ? ctx.prefixLen : null,
    };
    let out: Tensor;
    if (ctx.cache) {
      // The cache is written by copy, so no gradient reaches k and v through it.
      if (gradEnabled() && (k.requiresGrad || v.requiresGrad)) throw new Error('KV-cache forward is inference only: run it under noGrad()');
      const start = ctx.cache.length;
      ctx.cache.write(layer, k, v);
      out = attention(q, ctx.cache.k[layer], ctx.cache.v[layer], { ...opts, kvLength: start + T, qOffset: start });
    } else out = attention(q, k, v, opts);
    return this.o_proj.forward(reshape(out, [B, T, H * D]));
  }
}
