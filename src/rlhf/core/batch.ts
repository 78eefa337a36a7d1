// Prompt + response batches, the layout every RLHF method scores: prompts left-padded to width P
// (so every response starts at column P, as generate() lays them out), responses right-padded to
// width R, one attention mask over both.
//
//   row 0   pad pad  p p p p | r r r r <|im_end|>
//   row 1   p   p    p p p p | r r pad pad pad
//           ────── P ─────── | ─────── R ───────
//
// The logits at column P − 1 + t predict response token t, and the value of the state before
// token t is read there too; so log-probs and values come back as [B, R] with responseMask.
import type { Rng } from '../../engine/rng.js';
import { Tensor } from '../../engine/tensor.js';
import { indexSelect, linear, mul, reshape, sliceAxis, sum, tokenLogprobs } from '../../engine/ops/index.js';
import type { CausalLM, ScalarHeadModel } from '../../models/index.js';
import { lastTokenIndex } from '../../models/index.js';

export interface SequenceBatch {
  /** [B, P + R] */
  ids: Int32Array;
  /** [B, P + R]: 1 token, 0 pad. */
  mask: Int32Array;
  B: number;
  /** Prompt width (left-padded). */
  P: number;
  /** Response width (right-padded). */
  R: number;
  /** [B, R]: 1 for a response token, 0 for padding after it. */
  responseMask: Float32Array;
  /** Response token ids per row (unpadded). */
  responses: number[][];
}

export function joinBatch(prompts: number[][], responses: number[][], padId: number): SequenceBatch {
  const B = prompts.length;
  if (B === 0 || responses.length !== B) throw new RangeError(`joinBatch: ${B} prompts and ${responses.length} responses`);
  if (prompts.some((p) => p.length === 0) || responses.some((r) => r.length === 0)) throw new RangeError('joinBatch: every prompt and response needs at least one token');
  const P = Math.max(...prompts.map((p) => p.length)), R = Math.max(...responses.map((r) => r.length)), T = P + R;
  const ids = new Int32Array(B * T).fill(padId), mask = new Int32Array(B * T), responseMask = new Float32Array(B * R);
  for (let b = 0; b < B; b++) {
    const p = prompts[b], r = responses[b];
    ids.set(p, b * T + P - p.length);
    ids.set(r, b * T + P);
    mask.fill(1, b * T + P - p.length, b * T + P + r.length);
    responseMask.fill(1, b * R, b * R + r.length);
  }
  return { ids, mask, B, P, R, responseMask, responses };
}

/** Rows of a batch, keeping its widths P and R (so per-token arrays slice by row). */
export function selectRows(batch: SequenceBatch, rows: readonly number[]): SequenceBatch {
  const T = batch.P + batch.R;
  return {
    ids: takeRows(batch.ids, rows, T),
    mask: takeRows(batch.mask, rows, T),
    B: rows.length, P: batch.P, R: batch.R,
    responseMask: takeRows(batch.responseMask, rows, batch.R),
    responses: rows.map((r) => batch.responses[r]),
  };
}

/** Rows of a row-major [B, width] array. */
export function takeRows<A extends Int32Array | Float32Array>(x: A, rows: readonly number[], width: number): A {
  const out = new (x.constructor as new (n: number) => A)(rows.length * width);
  rows.forEach((r, i) => out.set(x.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

/** The hidden states that predict the response tokens: columns P − 1 … P + R − 2, [B, R, C]. */
function responseHidden(hidden: Tensor, batch: SequenceBatch): Tensor {
  return sliceAxis(hidden, 1, batch.P - 1, batch.P + batch.R - 1);
}

export interface ResponseLogits {
  /** [B·R, V]: the rows that predict response tokens (the LM head runs on these only). */
  logits: Tensor;
  /** log π(response token) [B·R], 0 on padding. */
  logprobs: Tensor;
}

/** Log-probabilities of each response token under `model` (with the tape, when grad is on). */
export function responseLogprobs(model: CausalLM, batch: SequenceBatch, rng?: Rng): ResponseLogits {
  const { B, R } = batch;
  const { hidden } = model.model.forward({ ids: batch.ids, B, T: batch.P + R }, { attentionMask: batch.mask, rng });
  const h = responseHidden(hidden, batch);
  const logits = reshape(linear(h, model.headWeight), [B * R, model.config.vocabSize]);
  const targets = new Int32Array(B * R).fill(-100);
  batch.responses.forEach((r, b) => targets.set(r, b * R));
  return { logits, logprobs: tokenLogprobs(logits, targets) };
}

/** Σ_t log π(response token t) per row [B] (DPO's sequence log-probabilities), or the mean over
 * the row's tokens with `average` (IPO). */
export function sequenceLogprobs(tokenLogp: Tensor, batch: SequenceBatch, average = false): Tensor {
  const sums = sum(reshape(tokenLogp, [batch.B, batch.R]), 1);
  return average ? mul(sums, Tensor.from(batch.responses.map((r) => 1 / r.length))) : sums;
}

/** The critic's value of each state before a response token, [B, R] (padding included; mask it). */
export function responseValues(critic: ScalarHeadModel, batch: SequenceBatch, rng?: Rng): Tensor {
  const { B, R } = batch;
  const v = critic.values(new Tensor(batch.ids, [B, batch.P + R]), { attentionMask: batch.mask, rng });
  return sliceAxis(v, 1, batch.P - 1, batch.P + R - 1);
}

/** The reward model's score of each whole sequence, read at its last real token: [B]. */
export function sequenceScores(rm: ScalarHeadModel, batch: SequenceBatch, rng?: Rng): Tensor {
  const { B, R } = batch;
  const T = batch.P + R;
  const v = rm.values(new Tensor(batch.ids, [B, T]), { attentionMask: batch.mask, rng });
  return indexSelect(reshape(v, [B * T]), 0, lastTokenIndex(batch.mask, B, T));
}
