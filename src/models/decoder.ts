// The decoder body: token (and learned or sinusoidal position) embeddings, N pre-norm blocks of
// attention then feed-forward, and the final norm. Parameters carry LLaMA's Hugging Face names
// (`model.layers.3.mlp.up_proj.weight`) whatever the family; checkpoint.ts maps GPT-2's.
import { Rng } from '../engine/rng.js';
import { Tensor } from '../engine/tensor.js';
import { add, checkpoint, dropout, embedding, scale } from '../engine/ops/index.js';
import { gradEnabled } from '../engine/autograd.js';
import { Embedding, LayerNorm, Module, RMSNorm } from '../nn/index.js';
import type { ModelConfig } from './config.js';
import { Attention, type LayerContext } from './attention.js';
import { GatedMlp, GeluMlp } from './mlp.js';
import { ExpertUsage, SparseMoe, loadBalancingLoss, type RouterStats } from './moe.js';
import { PositionTables, positionIds } from './positions.js';
import type { KVStore } from './kv-cache.js';

type Norm = RMSNorm | LayerNorm;

function makeNorm(cfg: ModelConfig): Norm {
  return cfg.norm === 'rms' ? new RMSNorm(cfg.hiddenSize, cfg.normEps) : new LayerNorm(cfg.hiddenSize, cfg.normEps);
}

export class DecoderLayer extends Module {
  readonly input_layernorm: Norm;
  readonly self_attn: Attention;
  readonly post_attention_layernorm: Norm;
  /** The dense MLP, or null for MoE layers. */
  readonly mlp: GatedMlp | GeluMlp | null;
  readonly block_sparse_moe: SparseMoe | null;

  constructor(readonly cfg: ModelConfig, rng: Rng) {
    super();
    this.input_layernorm = this.child('input_layernorm', makeNorm(cfg));
    this.self_attn = this.child('self_attn', new Attention(cfg, rng));
    this.post_attention_layernorm = this.child('post_attention_layernorm', makeNorm(cfg));
    this.mlp = cfg.ffn === 'moe' ? null : this.child('mlp', cfg.ffn === 'swiglu' ? new GatedMlp(cfg, rng) : new GeluMlp(cfg, rng));
    this.block_sparse_moe = cfg.ffn === 'moe' ? this.child('block_sparse_moe', new SparseMoe(cfg, rng)) : null;
  }

  /** x [B, T, C] → [B, T, C]; MoE layers append their router statistics to `router`. */
  forward(x: Tensor, ctx: LayerContext, layer: number, router: RouterStats[]): Tensor {
    const drop = (t: Tensor): Tensor => (ctx.dropoutRng ? dropout(t, this.cfg.dropout, ctx.dropoutRng) : t);
    const h = add(x, drop(this.self_attn.forward(this.input_layernorm.forward(x), ctx, layer)));
    const normed = this.post_attention_layernorm.forward(h);
    let ffn: Tensor;
    if (this.block_sparse_moe) {
      const r = this.block_sparse_moe.forward(normed);
      router.push(r.router);
      ffn = r.out;
    } else ffn = this.mlp!.forward(normed);
    return add(h, drop(ffn));
  }
}

/** Token ids of a batch: int32 [B·T] with its shape. */
export interface TokenBatch { ids: Int32Array; B: number; T: number }

/** Options of one forward call. */
export interface ForwardOptions {
  /** [B, T] or flat [B·T]: 1 for tokens, 0 for padding (pads are never attended to, and position
   * ids count real tokens only, so left and right padding both work). */
  attentionMask?: number[][] | Int32Array | null;
  /** Prefix-LM models: per row, how many leading positions are attended bidirectionally. */
  prefixLen?: number[] | Int32Array | null;
  /** Append to (and attend over) this KV cache; inference only (under noGrad, no dropout). */
  cache?: KVStore | null;
  /** RNG for dropout (default: the model's own, seeded at construction); dropout runs only in
   * training mode. */
  rng?: Rng;
  /** MoE models: count this call's routing here (by default only training-mode forwards are
   * counted, into the model's own `expertUsage`). */
  expertUsage?: ExpertUsage;
}

export interface DecoderOutput {
  /** Final-norm hidden states [B, T, C]. */
  hidden: Tensor;
  /** MoE load-balancing loss scaled by routerAuxLossCoef (null for dense models). */
  auxLoss: Tensor | null;
}

/** Rectangular number[][] (or an int32 Tensor [B, T]) → a TokenBatch. */
export function toBatch(inputIds: number[][] | Tensor): TokenBatch {
  if (inputIds instanceof Tensor) {
    if (inputIds.ndim !== 2) throw new RangeError(`inputIds must be [B, T], got [${inputIds.shape.join(', ')}]`);
    return { ids: inputIds.dtype === 'i32' ? inputIds.i : Int32Array.from(inputIds.data), B: inputIds.shape[0], T: inputIds.shape[1] };
  }
  const B = inputIds.length, T = B ? inputIds[0].length : 0;
  if (!B || !T) throw new RangeError('inputIds: empty batch');
  const ids = new Int32Array(B * T);
  inputIds.forEach((row, b) => {
    if (row.length !== T) throw new RangeError(`inputIds: row ${b} has ${row.length} tokens, row 0 has ${T} (pad the batch and pass attentionMask)`);
    ids.set(row, b * T);
  });
  return { ids, B, T };
}

function flatMask(mask: number[][] | Int32Array | null | undefined, B: number, T: number): Int32Array | null {
  if (!mask) return null;
  const flat = mask instanceof Int32Array ? mask : Int32Array.from(mask.flat());
  if (flat.length !== B * T) throw new RangeError(`attentionMask has ${flat.length} entries for a [${B}, ${T}] batch`);
  return flat.some((m) => m === 0) ? flat : null;
}

export class DecoderModel extends Module {
  readonly embed_tokens: Embedding;
  readonly embed_positions: Embedding | null;
  readonly layers: DecoderLayer[];
  readonly norm: Norm;
  readonly tables: PositionTables;
  /** Activation recomputation while training: each layer keeps only its input between forward
   * and backward and runs again in backward (engine/ops/checkpoint.ts); gradients are unchanged. */
  recompute = false;
  /** MoE models: expert usage over training-mode forwards (null for dense models). */
  readonly expertUsage: ExpertUsage | null;
  private readonly dropoutRng: Rng;

  constructor(readonly cfg: ModelConfig, rng: Rng) {
    super();
    this.embed_tokens = this.child('embed_tokens', new Embedding(cfg.vocabSize, cfg.hiddenSize, { rng }));
    this.embed_positions = cfg.positions === 'learned'
      ? this.child('embed_positions', new Embedding(cfg.maxPositions, cfg.hiddenSize, { rng })) : null;
    this.layers = Array.from({ length: cfg.numLayers }, (_, l) => this.child(`layers.${l}`, new DecoderLayer(cfg, rng)));
    this.norm = this.child('norm', makeNorm(cfg));
    this.tables = new PositionTables(cfg);
    this.expertUsage = cfg.ffn === 'moe' ? new ExpertUsage(cfg.numExperts, cfg.expertsPerToken) : null;
    this.dropoutRng = new Rng(rng.nextU32());
  }

  forward(batch: TokenBatch, opts: ForwardOptions = {}): DecoderOutput {
    const { B, T, ids } = batch;
    const cfg = this.cfg, cache = opts.cache ?? null;
    const mask = flatMask(opts.attentionMask, B, T);
    const positions = positionIds(mask, B, T, cache ? cache.seen : null);
    this.tables.check(positions);
    let prefixLen: Int32Array | null = null;
    if (cfg.attention === 'prefix-lm' && opts.prefixLen) {
      prefixLen = Int32Array.from(opts.prefixLen);
      if (prefixLen.length !== B) throw new RangeError(`prefixLen has ${prefixLen.length} entries for batch ${B}`);
    }
    const ctx: LayerContext = {
      B, T, positions, prefixLen, cache,
      rope: this.tables.ropeFor(positions), alibi: this.tables.alibi,
      keyMask: cache ? cache.keyMask(mask, T) : mask,
      // Cached forwards are inference (generation): never dropped out, even in training mode.
      dropoutRng: this.training && cfg.dropout > 0 && !cache ? opts.rng ?? this.dropoutRng : null,
    };
    let x = this.embed_tokens.forward(ids, [B, T]); // [B, T, C]
    if (this.embed_positions) x = add(x, this.embed_positions.forward(positions, [B, T]));
    if (this.tables.sinusoidal) x = add(x, embedding(this.tables.sinusoidal, positions, [B, T]));
    if (ctx.dropoutRng) x = dropout(x, cfg.dropout, ctx.dropoutRng);
    const router: RouterStats[] = [];
    const recompute = this.recompute && this.training && gradEnabled() && !cache;
    if (recompute && cfg.ffn === 'moe') throw new Error('recompute: mixture-of-experts layers are not supported (their load-balancing loss needs the router on the tape)');
    const live = ctx.dropoutRng;
    this.layers.forEach((layer, l) => {
      if (!recompute) { x = layer.forward(x, ctx, l, router); return; }
      // Dropout draws the same numbers in the recomputation: the forward run draws from the live
      // generator (so the layers after, and the next step, continue as without recomputation); the
      // run in backward draws from a copy of the state the layer began with.
      const start = live?.state() ?? null;
      let runs = 0, rng: Rng | null = null;
      x = checkpoint((input) => layer.forward(input, { ...ctx, dropoutRng: rng }, l, router), x, () => {
        rng = runs++ === 0 ? live : start && new Rng(start);
      });
    });
    if (cache) cache.advance(mask, T);
    const usage = opts.expertUsage ?? (this.training && !cache ? this.expertUsage : null);
    if (usage && router.length) usage.add(router, mask);
    // Generation (a cached forward) has no use for the auxiliary loss.
    const auxLoss = router.length && !cache
      ? scale(loadBalancingLoss(router, cfg.numExperts, cfg.expertsPerToken, mask), cfg.routerAuxLossCoef)
      : null;
    return { hidden: this.norm.forward(x), auxLoss };
  }
}
