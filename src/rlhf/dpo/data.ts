// DPO pairs: a preference record is one pair; a ranking gives its best and worst responses. Each
// pair carries the reference's sequence log-probabilities, computed once before training (the
// reference is the starting policy, so no second model is held while training).
import { noGrad } from '../../engine/autograd.js';
import type { Rng } from '../../engine/rng.js';
import { slice } from '../../engine/ops/index.js';
import type { Tensor } from '../../engine/tensor.js';
import type { CausalLM } from '../../models/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { joinBatch, responseLogprobs, sequenceLogprobs, type SequenceBatch } from '../core/batch.js';
import { loadRankings } from '../reward/data.js';

export interface DpoPair {
  prompt: number[];
  chosen: number[];
  rejected: number[];
  /** Reference log-probs of chosen and rejected (sums, or per-token means for IPO). */
  refChosen: number;
  refRejected: number;
}

export async function loadPairs(file: string, tok: Tokenizer, maxLen: number, limit = 0): Promise<{ pairs: DpoPair[]; dropped: number }> {
  const { examples, dropped } = await loadRankings(file, tok, maxLen);
  const pairs = examples.map((e) => ({ prompt: e.prompt, chosen: e.responses[e.ranking[0]], rejected: e.responses[e.ranking[e.ranking.length - 1]], refChosen: 0, refRejected: 0 }));
  return { pairs: limit > 0 ? pairs.slice(0, limit) : pairs, dropped };
}

/** Chosen responses in rows 0…B−1, rejected in rows B…2B−1. */
export function collatePairs(pairs: readonly DpoPair[], padId: number): SequenceBatch {
  return joinBatch([...pairs.map((p) => p.prompt), ...pairs.map((p) => p.prompt)], [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], padId);
}

/** Sequence log-probs of a collated batch, split into chosen [B] and rejected [B]. */
export function pairLogprobs(model: CausalLM, batch: SequenceBatch, average: boolean, rng?: Rng): { chosen: Tensor; rejected: Tensor } {
  const seq = sequenceLogprobs(responseLogprobs(model, batch, rng).logprobs, batch, average);
  const B = batch.B / 2;
  return { chosen: slice(seq, 0, B), rejected: slice(seq, B, 2 * B) };
}

/** Fills refChosen / refRejected with `model`'s log-probs (eval mode, no tape). */
export function computeReference(model: CausalLM, pairs: DpoPair[], padId: number, average: boolean, chunk = 16): void {
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    for (let i = 0; i < pairs.length; i += chunk) {
      const part = pairs.slice(i, i + chunk);
      const { chosen, rejected } = pairLogprobs(model, collatePairs(part, padId), average);
      part.forEach((p, j) => { p.refChosen = chosen.data[j]; p.refRejected = rejected.data[j]; });
    }
  });
  model.train(wasTraining);
}
