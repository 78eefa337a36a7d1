// The causal language model: the decoder body plus an LM head (its own [V, C] matrix, or the token
// embedding reused when tied). Forward gives logits [B, T, V]; generation, saving and vocabulary
// resizing are thin entries into their own modules.
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { crossEntropy, linear, reshape, sliceAxis } from '../engine/ops/index.js';
import { Linear, Module } from '../nn/index.js';
import type { ModelConfig } from './config.js';
import { DecoderModel, toBatch, type ForwardOptions } from './decoder.js';
import { generate, type GenerateOptions, type GenerateOutput } from './generate.js';
import { saveModel, type SaveOptions } from './checkpoint.js';
import type { GenerationConfig } from './hf-config.js';
import { expertLoadMetrics } from './moe.js';

export interface CausalLMOutput {
  /** [B, T, V] */
  logits: Tensor;
  /** Final hidden states [B, T, C]. */
  hidden: Tensor;
  /** MoE load-balancing loss, already scaled by routerAuxLossCoef: add it to the training loss.
   * Null for dense models. */
  auxLoss: Tensor | null;
}

export class CausalLM extends Module {
  readonly model: DecoderModel;
  readonly lm_head: Linear | null;
  /** Defaults for generate() and the special ids of generation_config.json. */
  generationConfig: GenerationConfig = {};

  /** Random weights from `seed` (normal(0, 0.02); residual projections scaled as in GPT-2). */
  constructor(readonly config: ModelConfig, { seed = 0 } = {}) {
    super();
    const rng = new Rng(seed);
    this.model = this.child('model', new DecoderModel(config, rng));
    this.lm_head = config.tieEmbeddings ? null : this.child('lm_head', new Linear(config.hiddenSize, config.vocabSize, { bias: false, rng }));
  }

  /** The [V, C] matrix that maps hidden states to logits. */
  get headWeight(): Tensor {
    return this.lm_head ? this.lm_head.weight : this.model.embed_tokens.weight;
  }

  /** inputIds [B][T] (or int32 [B, T]) → logits, hidden states and the MoE auxiliary loss. */
  call(inputIds: number[][] | Tensor, opts: ForwardOptions = {}): CausalLMOutput {
    const { hidden, auxLoss } = this.model.forward(toBatch(inputIds), opts);
    return { logits: linear(hidden, this.headWeight), hidden, auxLoss };
  }

  /** inputIds [B][T] → logits [B, T, V]. */
  forward(inputIds: number[][] | Tensor, opts: ForwardOptions = {}): Tensor {
    return this.call(inputIds, opts).logits;
  }

  /** MoE models: expert usage of the training-mode forwards since the last call, as flat metrics
   * (see expertLoadMetrics); empty for dense models. */
  expertMetrics(): Record<string, number> {
    return expertLoadMetrics(this.model.expertUsage?.take() ?? null);
  }

  /** Continues each prompt; see generate.ts for the options. */
  generate(promptIds: number[][], opts: GenerateOptions = {}): Promise<GenerateOutput> {
    return generate(this, promptIds, opts);
  }

  /** Writes config.json, generation_config.json and model.safetensors (Hugging Face layout). */
  save(dir: string, opts: SaveOptions = {}): void {
    saveModel(this, dir, opts);
  }
}

/** Mean next-token cross-entropy: logits [B, T, V] at positions 0..T−2 predict ids 1..T−1;
 * targets that are pads (mask 0) are skipped. The loss Hugging Face computes with labels = ids. */
export function nextTokenLoss(logits: Tensor, inputIds: number[][] | Tensor, attentionMask?: number[][] | Int32Array | null): Tensor {
  const { ids, B, T } = toBatch(inputIds);
  const V = logits.shape[2];
  const mask = attentionMask ? (attentionMask instanceof Int32Array ? attentionMask : Int32Array.from(attentionMask.flat())) : null;
  const targets = new Int32Array(B * (T - 1));
  for (let b = 0; b < B; b++) {
    for (let t = 1; t < T; t++) targets[b * (T - 1) + t - 1] = mask && !mask[b * T + t] ? -100 : ids[b * T + t];
  }
  return crossEntropy(reshape(sliceAxis(logits, 1, 0, T - 1), [B * (T - 1), V]), targets);
}
