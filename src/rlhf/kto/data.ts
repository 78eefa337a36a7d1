// KTO's data: unpaired examples, one response to one prompt labelled desirable or undesirable (TRL's
// unpaired format, {"prompt", "completion", "label"}; prompt and completion as strings or
// messages), tokenized in the policy's layout. Each example also carries a completion written for
// another prompt, for the batch's KL estimate z0: TRL's _get_kl_dataset rotates the completions by
// one within consecutive chunks of a batch's size, once, before training, so the reference's
// log-probs of both can be computed once too (the reference is the starting policy, as in DPO).
import { noGrad } from '../../engine/autograd.js';
import type { Rng } from '../../engine/rng.js';
import type { Tensor } from '../../engine/tensor.js';
import { loadDataset, type UnpairedRecord } from '../../data/formats.js';
import type { CausalLM } from '../../models/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { joinBatch, responseLogprobs, sequenceLogprobs, type SequenceBatch } from '../core/batch.js';
import { encodePrompt, encodeResponse, endOfTurnId } from '../core/prompts.js';
import { mismatchedOrder } from './loss.js';

export interface KtoExample {
  prompt: number[];
  completion: number[];
  desirable: boolean;
  /** Another example's completion, for the KL estimate (cut to fit maxLen after this prompt). */
  klCompletion: number[];
  /** Reference sequence log-probs of completion and klCompletion after this prompt. */
  ref: number;
  refKl: number;
}

export interface UnpairedData {
  examples: KtoExample[];
  /** Examples longer than maxLen, left out. */
  dropped: number;
  desirable: number;
  undesirable: number;
}

/** Unpaired examples from a JSONL file, with their KL completions assigned in chunks of `chunk`. */
export async function loadUnpaired(file: string, tok: Tokenizer, maxLen: number, chunk: number, limit = 0): Promise<UnpairedData> {
  const { records } = await loadDataset(file, 'unpaired');
  const eot = endOfTurnId(tok);
  const examples: KtoExample[] = [];
  let dropped = 0;
  for (const r of records as UnpairedRecord[]) {
    const prompt = encodePrompt(tok, r.prompt), completion = encodeResponse(tok, r.completion, eot);
    if (prompt.length + completion.length > maxLen) { dropped++; continue; }
    examples.push({ prompt, completion, desirable: r.label, klCompletion: [], ref: 0, refKl: 0 });
    if (limit > 0 && examples.length === limit) break;
  }
  if (!examples.length) throw new Error(`${file}: no example fits in ${maxLen} tokens`);
  assignKlCompletions(examples, chunk, maxLen);
  const desirable = examples.filter((e) => e.desirable).length;
  return { examples, dropped, desirable, undesirable: examples.length - desirable };
}

/** Within each consecutive chunk, example i takes example i − 1's completion (the first the last's);
 * a chunk of one pairs an example with itself, as TRL's does. */
export function assignKlCompletions(examples: KtoExample[], chunk: number, maxLen: number): void {
  for (let start = 0; start < examples.length; start += chunk) {
    const part = examples.slice(start, start + chunk);
    const order = mismatchedOrder(part.length);
    part.forEach((e, i) => { e.klCompletion = part[order[i]].completion.slice(0, Math.max(1, maxLen - e.prompt.length)); });
  }
}

/** The examples' completions after their prompts, and their KL completions after the same prompts. */
export function collateKto(examples: readonly KtoExample[], padId: number): { completions: SequenceBatch; kl: SequenceBatch } {
  const prompts = examples.map((e) => e.prompt);
  return { completions: joinBatch(prompts, examples.map((e) => e.completion), padId), kl: joinBatch(prompts, examples.map((e) => e.klCompletion), padId) };
}

/** Sequence log-probs Σ_t log π(y_t) of a batch's responses, [B] (with the tape when grad is on). */
export function batchLogprobs(model: CausalLM, batch: SequenceBatch, rng?: Rng): Tensor {
  return sequenceLogprobs(responseLogprobs(model, batch, rng).logprobs, batch);
}

/** Fills ref / refKl with `model`'s log-probs (eval mode, no tape). */
export function computeKtoReference(model: CausalLM, examples: KtoExample[], padId: number, chunk = 16): void {
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    for (let i = 0; i < examples.length; i += chunk) {
      const part = examples.slice(i, i + chunk);
      const { completions, kl } = collateKto(part, padId);
      const c = batchLogprobs(model, completions), k = batchLogprobs(model, kl);
      part.forEach((e, j) => { e.ref = c.data[j]; e.refKl = k.data[j]; });
    }
  });
  model.train(wasTraining);
}
