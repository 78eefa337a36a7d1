// Scalar heads for reward and value models: one linear map from the final hidden state to a
// number, read at every position (PPO's value function) or at each row's last real token (a
// reward model's score). Stored as Hugging Face's *ForSequenceClassification with num_labels 1.
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { indexSelect, linear, reshape } from '../engine/ops/index.js';
import { Linear, Module } from '../nn/index.js';
import type { ModelConfig } from './config.js';
import { DecoderModel, toBatch, type ForwardOptions, type TokenBatch } from './decoder.js';
import { saveModel, type SaveOptions } from './checkpoint.js';
import type { GenerationConfig } from './hf-config.js';

/** Index of each row's last real token: the last position whose mask is 1 (left or right
 * padding), or T − 1 without a mask. */
export function lastTokenIndex(mask: number[][] | Int32Array | null | undefined, B: number, T: number): Int32Array {
  const flat = mask ? (mask instanceof Int32Array ? mask : Int32Array.from(mask.flat())) : null;
  const idx = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let last = T - 1;
    if (flat) while (last > 0 && !flat[b * T + last]) last--;
    idx[b] = b * T + last;
  }
  return idx;
}

export class ScalarHeadModel extends Module {
  readonly model: DecoderModel;
  readonly score: Linear;
  generationConfig: GenerationConfig = {};

  /** Random weights from `seed`, the head included (normal(0, 0.02), no bias). */
  constructor(readonly config: ModelConfig, { seed = 0 } = {}) {
    super();
    const rng = new Rng(seed);
    this.model = this.child('model', new DecoderModel(config, rng));
    this.score = this.child('score', new Linear(config.hiddenSize, 1, { bias: false, rng }));
  }

  /** One value per position: [B, T]. */
  values(inputIds: number[][] | Tensor, opts: ForwardOptions = {}): Tensor {
    return this.valuesOf(toBatch(inputIds), opts);
  }

  private valuesOf(batch: TokenBatch, opts: ForwardOptions): Tensor {
    const { hidden } = this.model.forward(batch, opts);
    return reshape(linear(hidden, this.score.weight), [batch.B, batch.T]);
  }

  /** One value per row, read at its last real token (per attentionMask): [B]. */
  rewards(inputIds: number[][] | Tensor, opts: ForwardOptions = {}): Tensor {
    const batch = toBatch(inputIds);
    const v = this.valuesOf(batch, opts);
    return indexSelect(reshape(v, [batch.B * batch.T]), 0, lastTokenIndex(opts.attentionMask, batch.B, batch.T));
  }

  save(dir: string, opts: SaveOptions = {}): void {
    saveModel(this, dir, opts, 'scalar');
  }
}
