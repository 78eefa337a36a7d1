// The fused decoder: a whole cached forward (prefill or one decode step, any batch) as one call
// into the engine's decoderForward, on the model's float32 weights read in place or on int8 /
// bfloat16 copies packed once. It replaces DecoderModel.forward + lastLogits for generation (which
// is what generate(), the server's scheduler and the RLHF rollouts run) and keeps its bookkeeping
// exactly: the same position ids, RoPE tables, key masks, prefix lengths and cache updates. The
// op-by-op forward stays the specification; with float32 weights on the native backend the two give
// the same bits (test/models/fast-decode.test.ts), so switching paths never changes a greedy token.
import { kernels } from '../engine/backend.js';
import type { DecoderHandle, DecoderLayerWeights, DecoderSpec, DecoderStep, InferenceLinear, WeightDtype } from '../engine/kernels.js';
import type { Tensor } from '../engine/tensor.js';
import type { Linear } from '../nn/index.js';
import type { CausalLM } from './causal-lm.js';
import type { ModelConfig } from './config.js';
import { positionIds } from './positions.js';
import type { KVStore } from './kv-cache.js';
import { packLinear } from './quantize.js';

/** Why the fused decoder cannot run a config (the op-by-op forward runs it), or null. */
export function fusedDecodeUnsupported(cfg: ModelConfig): string | null {
  if (cfg.ffn === 'moe') return 'mixture-of-experts layers (the fused decoder has dense MLPs only)';
  return null;
}

function linearOf(l: Linear, dtype: WeightDtype, cache: Map<Tensor, InferenceLinear>): InferenceLinear {
  const { N, K } = { N: l.weight.shape[0], K: l.weight.shape[1] };
  const bias = l.bias ? l.bias.f : null;
  const packed = cache.get(l.weight) ?? packLinear(l.weight.f, N, K, dtype);
  cache.set(l.weight, packed);
  return { ...packed, bias };
}

/** The model's weights as a DecoderSpec: float32 arrays are the live parameters (plus, with
 * packF32, a packed copy the native decoder makes for multi-row products); int8 and bf16 are
 * packed copies made here. */
export function decoderSpec(model: CausalLM, dtype: WeightDtype, packF32 = true): DecoderSpec {
  const cfg = model.config, body = model.model;
  const why = fusedDecodeUnsupported(cfg);
  if (why) throw new Error(`fused decoder: ${why} are not supported`);
  const packed = new Map<Tensor, InferenceLinear>();
  const embedW = body.embed_tokens.weight;
  const embed = packed.get(embedW) ?? { ...packLinear(embedW.f, cfg.vocabSize, cfg.hiddenSize, dtype), bias: null };
  packed.set(embedW, embed);
  const headW = model.headWeight;
  const head = packed.get(headW) ?? { ...packLinear(headW.f, cfg.vocabSize, cfg.hiddenSize, dtype), bias: null };
  const layers = body.layers.map((layer): DecoderLayerWeights => {
    const attn = layer.self_attn, mlp = layer.mlp!;
    const n1 = layer.input_layernorm, n2 = layer.post_attention_layernorm;
    return {
      norm1: n1.weight.f, norm1Bias: 'bias' in n1 ? n1.bias.f : null,
      norm2: n2.weight.f, norm2Bias: 'bias' in n2 ? n2.bias.f : null,
      q: linearOf(attn.q_proj, dtype, packed), k: linearOf(attn.k_proj, dtype, packed),
      v: linearOf(attn.v_proj, dtype, packed), o: linearOf(attn.o_proj, dtype, packed),
      gate: 'gate_proj' in mlp ? linearOf(mlp.gate_proj, dtype, packed) : null,
      up: linearOf(mlp.up_proj, dtype, packed), down: linearOf(mlp.down_proj, dtype, packed),
    };
  });
  const positions = body.embed_positions ? body.embed_positions.weight.f : body.tables.sinusoidal ? body.tables.sinusoidal.f : null;
  return {
    C: cfg.hiddenSize, Hq: cfg.numHeads, Hkv: cfg.numKvHeads, D: cfg.headDim, F: cfg.intermediateSize, V: cfg.vocabSize,
    norm: cfg.norm, eps: body.norm.eps, embed, positions, layers,
    finalNorm: body.norm.weight.f, finalNormBias: 'bias' in body.norm ? body.norm.bias.f : null, head, packF32,
  };
}

/** A model bound to the fused decoder, in one weight storage. Its weights are a snapshot: make one
 * per generation call for a model that is training, or keep one for a served model. */
export class FusedDecoder {
  readonly handle: DecoderHandle;

  constructor(readonly model: CausalLM, readonly dtype: WeightDtype = 'f32', { packF32 = true } = {}) {
    this.handle = kernels().decoderCreate(decoderSpec(model, dtype, packF32));
  }

  /**
   * One cached forward of ids [B·T] (mask [B·T]: 1 real, 0 pad, or null), appending to `cache`:
   * logits [B, V] of each row's last position (all B·T positions with allPositions). The same
   * bookkeeping as DecoderModel.forward: position ids count each row's real tokens, pads are never
   * attended to, and the cache advances by T.
   */
  forward(ids: Int32Array, B: number, T: number, cache: KVStore, opts: StepOptions = {}): Float32Array {
    const step = this.step(ids, B, T, cache, opts);
    kernels().decoderForward(this.handle, step);
    cache.advance(step.mask, T);
    return step.logits;
  }

  /** The engine call forward() makes (without running it or advancing the cache). */
  step(ids: Int32Array, B: number, T: number, cache: KVStore, opts: StepOptions = {}): DecoderStep & { mask: Int32Array | null } {
    const body = this.model.model, cfg = this.model.config;
    const mask = opts.mask && opts.mask.some((m) => m === 0) ? opts.mask : null;
    const pos = positionIds(mask, B, T, cache.seen);
    body.tables.check(pos);
    const rope = body.tables.rope;
    return {
      ids, pos, B, T, cacheK: cache.k.map((t) => t.f), cacheV: cache.v.map((t) => t.f), capacity: cache.k[0].shape[1], start: cache.length,
      keyMask: cache.keyMask(mask, T), prefixLen: cfg.attention === 'prefix-lm' ? opts.prefixLen ?? null : null,
      window: cfg.slidingWindow, scale: 1 / Math.sqrt(cfg.headDim),
      cos: rope ? rope.cos : null, sin: rope ? rope.sin : null, alibi: body.tables.alibi,
      logits: new Float32Array((opts.allPositions ? B * T : B) * cfg.vocabSize), allPositions: opts.allPositions ?? false, mask,
    };
  }
}

export interface StepOptions {
  /** [B·T]: 1 for a token, 0 for a pad (left padding). */
  mask?: Int32Array | null;
  /** Prefix-LM models: per row, the positions attended bidirectionally. */
  prefixLen?: Int32Array | null;
  /** Logits of every position, not only each row's last. */
  allPositions?: boolean;
}
