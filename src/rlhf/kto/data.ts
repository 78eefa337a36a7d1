// KTO's data: unpaired examples, one response to one prompt labelled desirable or undesirable (TRL's
// unpaired format, {"prompt", "completion", "label"}; prompt and completion as strings or
// messages), tokenized in the policy's layout. Each example also carries a completion written for
// another prompt, for the batch's KL estimate z0: TRL's _get_kl_dataset rotates the completions by
// one within consecutive chunks of a batch's size, once, before training, so the reference's
// log-probs of both can be computed once too (the reference is the starting policy, as in DPO).
import { noGrad } from '../../engine/autograd.js';
import type { Rng } from '../../engine/rng.js';
import { slice } from '../../engine/ops/index.js';
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

/** Completions in rows 0…B−1, KL completions in rows B…2B−1 (each after its own prompt). */
export function collateKto(examples: readonly KtoExample[], padId: number): SequenceBatch {
  const prompts = examples.map((e) => e.prompt);
  return joinBatch([...prompts, ...prompts], [...examples.map((e) => e.completion), ...examples.map((e) => e.klCompletion)], padId);
}

/** Sequence log-probs of a collated batch: the completions [B] and the KL completions [B]. */
export function ktoLogprobs(model: CausalLM, batch: SequenceBatch, rng?: Rng): { completion: Tensor; kl: Tensor } {
  const seq = sequenceLogprobs(responseLogprobs(model, batch, rng).logprobs, batch);
  const B = batch.B / 2;
  return { completion: slice(seq, 0, B), kl: slice(seq, B, 2 * B) };
}

/** Fills ref / refKl with `model`'s log-probs (eval mode, no tape). */
export function computeKtoReference(model: CausalLM, examples: KtoExample[], padId: number, chunk = 16): void {
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    for (let i = 0; i < examples.length; i += chunk) {
      const part = examples.slice(i, i + chunk);
      const { completion, kl } = ktoLogprobs(model, collateKto(part, padId));
      part.forEach((e, j) => { e.ref = completion.data[j]; e.refKl = kl.data[j]; });
    }
  });
  model.train(wasTraining);
}
