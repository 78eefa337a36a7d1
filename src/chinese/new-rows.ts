// Chinese-LLaMA's first stage: after the vocabulary grew, only the new tokens' vectors train — the
// rows from `from` on of the token embedding and of the (untied) LM head — while every other weight
// stays fixed, so the model learns to read and write the new tokens before anything it knew moves.
//
// The new rows become leaf tensors of their own; the model's forward is pointed at [old rows
// (detached) ; new rows] through an instance-level embedding forward and head getter (the model's
// structure and checkpoint names stay untouched, as LoRA does it), so the optimizer holds moments
// for the new rows only. writeBack() copies them into the model's own tensors; detach() restores
// the model.
import { Tensor } from '../engine/tensor.js';
import { concat, embedding, slice } from '../engine/ops/index.js';
import { loadWeights, type CausalLM } from '../models/index.js';
import { trainLanguageModel, type LmBatch, type TrainResult } from '../train/lm.js';
import type { BatchStream } from '../train/loop.js';
import type { LoopConfig } from '../train/config.js';

export class NewRows {
  /** The new rows of the token embedding [V − from, C] (also the head's when tied). */
  readonly embed: Tensor;
  /** The new rows of an untied LM head. */
  readonly head: Tensor | null;
  private readonly frozen: Tensor[];

  constructor(readonly model: CausalLM, readonly from: number) {
    const V = model.config.vocabSize;
    if (!(from > 0 && from < V)) throw new RangeError(`NewRows: the new rows must start inside the vocabulary (1 ≤ from < ${V}), got ${from}`);
    const rows = (w: Tensor): Tensor => Tensor.from(w.f.slice(from * w.shape[1]), [V - from, w.shape[1]]).requireGrad();
    this.embed = rows(model.model.embed_tokens.weight);
    this.head = model.lm_head ? rows(model.lm_head.weight) : null;
    this.frozen = model.parameters().filter((p) => p.requiresGrad);
    for (const p of this.frozen) p.requiresGrad = false;
    const table = (w: Tensor, fresh: Tensor): Tensor => concat([slice(w, 0, from), fresh], 0);
    const embedTokens = model.model.embed_tokens;
    embedTokens.forward = (ids: Int32Array, shape: readonly number[] = [ids.length]): Tensor => embedding(table(embedTokens.weight, this.embed), ids, shape);
    const head = model.lm_head ? () => table(model.lm_head!.weight, this.head!) : () => table(embedTokens.weight, this.embed);
    Object.defineProperty(model, 'headWeight', { get: head, configurable: true });
  }

  /** What the optimizer trains, by name. */
  parameters(): Map<string, Tensor> {
    const out = new Map([[`model.embed_tokens.weight[${this.from}:]`, this.embed]]);
    if (this.head) out.set(`lm_head.weight[${this.from}:]`, this.head);
    return out;
  }

  /** Copies the trained rows into the model's tensors. */
  writeBack(): void {
    this.model.model.embed_tokens.weight.f.set(this.embed.f, this.from * this.embed.shape[1]);
    if (this.head) this.model.lm_head!.weight.f.set(this.head.f, this.from * this.head.shape[1]);
  }

  /** Copies the model's rows into the trained tensors (after loading a checkpoint into the model). */
  readBack(): void {
    const C = this.embed.shape[1];
    this.embed.f.set(this.model.model.embed_tokens.weight.f.subarray(this.from * C));
    if (this.head) this.head.f.set(this.model.lm_head!.weight.f.subarray(this.from * C));
  }

  /** Writes the rows back and restores the model's own forward and trainable weights. */
  detach(): void {
    this.writeBack();
    delete (this.model.model.embed_tokens as { forward?: unknown }).forward;
    delete (this.model as { headWeight?: unknown }).headWeight;
    for (const p of this.frozen) p.requiresGrad = true;
  }
}

/** Trains only the rows from `from` on with the shared loop (checkpoints hold the whole model), then
 * restores the model with the trained rows in place. */
export async function trainNewRows(model: CausalLM, from: number, run: { runDir: string; openStream(state?: unknown): BatchStream<LmBatch>; evalBatches: LmBatch[]; config: LoopConfig }, quiet: boolean): Promise<TrainResult> {
  const rows = new NewRows(model, from);
  try {
    return (await trainLanguageModel({
      label: 'new embedding rows', runDir: run.runDir, model, trainable: rows.parameters(),
      openStream: run.openStream, evalBatches: run.evalBatches, config: run.config,
      saveWeights: (dir) => { rows.writeBack(); model.save(dir); },
      loadWeights: (dir) => { loadWeights(model, dir); rows.readBack(); },
    }, { quiet })).result;
  } finally {
    rows.detach();
  }
}
