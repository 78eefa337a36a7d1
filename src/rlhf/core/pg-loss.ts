// The clipped policy-gradient loss of the critic-free methods (GRPO, RLOO, REINFORCE++), per
// response token t of a padded [B, R] batch, with ρ_t = π(y_t)/π_old(y_t) and an advantage A_t:
//   ℓ_t = −min(ρ_t·A_t, clip(ρ_t, 1 − ε_low, 1 + ε_high)·A_t) + β·k3_t
//   k3_t = π_ref/π − log(π_ref/π) − 1          (the KL penalty to the reference; β = 0: none)
// PPO's surrogate (Schulman et al. 2017, eq. 7) with DAPO's decoupled clip range (Yu et al. 2025,
// "clip-higher": ε_high > ε_low leaves low-probability tokens room to rise). The tokens' losses are
// aggregated one of two ways:
//   sequence   L = 1/B · Σ_b 1/|o_b| · Σ_t ℓ_bt     each response weighs the same (GRPO, eq. 3)
//   token      L = 1/Σ_b|o_b| · Σ_b Σ_t ℓ_bt        each token weighs the same (DAPO eq. 8), so a
//                                                  long response's tokens are not diluted
import { Tensor } from '../../engine/tensor.js';
import { add, clamp, exp, minimum, mul, neg, scale, sub, sum } from '../../engine/ops/index.js';

export type LossAggregation = 'sequence' | 'token';

export interface ClippedPgInput {
  /** log π of each response token with the tape, [B·R]. */
  logprobs: Tensor;
  /** log π_old at sampling time, [B·R]. */
  oldLogprobs: Float32Array;
  /** log π_ref per token (null when β = 0). */
  refLogprobs: Float32Array | null;
  /** A_t per token, [B·R] (a sequence-level advantage repeated over its tokens). */
  advantages: Float32Array;
  /** [B·R] 0/1. */
  mask: Float32Array;
  B: number;
  R: number;
  clipLow: number;
  clipHigh: number;
  beta: number;
  aggregation: LossAggregation;
}

export interface ClippedPgMetrics {
  /** The loss, KL term included. */
  loss: number;
  /** Mean per-token k3 KL to the reference (0 without one). */
  kl: number;
  /** Share of tokens whose ratio left the clip range in the direction that zeroes the gradient. */
  clipFrac: number;
}

/** Per-token weights of the aggregation: 1/(|o_b|·B) or 1/Σ|o|; 0 on padding. */
export function aggregationWeights(mask: ArrayLike<number>, B: number, R: number, aggregation: LossAggregation): Float32Array {
  const weight = new Float32Array(B * R);
  let tokens = 0;
  for (let i = 0; i < B * R; i++) tokens += mask[i];
  for (let b = 0; b < B; b++) {
    let len = 0;
    for (let t = 0; t < R; t++) len += mask[b * R + t];
    const w = aggregation === 'token' ? 1 / Math.max(tokens, 1) : len ? 1 / (len * B) : 0;
    for (let t = 0; t < R; t++) weight[b * R + t] = mask[b * R + t] * w;
  }
  return weight;
}

export function clippedPgLoss(i: ClippedPgInput): { loss: Tensor; metrics: ClippedPgMetrics } {
  const { B, R, mask } = i;
  const N = B * R;
  if (i.logprobs.size !== N || i.oldLogprobs.length !== N || i.advantages.length !== N || mask.length !== N) {
    throw new RangeError(`clippedPgLoss: logprobs ${i.logprobs.size}, old ${i.oldLogprobs.length}, advantages ${i.advantages.length}, mask ${mask.length} for [${B}, ${R}]`);
  }
  const A = new Tensor(i.advantages, [N]);
  const ratio = exp(sub(i.logprobs, new Tensor(i.oldLogprobs, [N])));
  let perToken = neg(minimum(mul(ratio, A), mul(clamp(ratio, 1 - i.clipLow, 1 + i.clipHigh), A)));
  let tokens = 0;
  for (let t = 0; t < N; t++) tokens += mask[t];
  let klMean = 0;
  if (i.beta > 0 && i.refLogprobs) {
    const d = sub(new Tensor(i.refLogprobs, [N]), i.logprobs); // log(π_ref/π)
    const k3 = scale(sub(exp(d), d), 1, -1);
    perToken = add(perToken, scale(k3, i.beta));
    for (let t = 0; t < N; t++) klMean += (mask[t] * k3.data[t]) / Math.max(tokens, 1);
  }
  const loss = sum(mul(perToken, new Tensor(aggregationWeights(mask, B, R, i.aggregation), [N])));
  let clipped = 0;
  for (let t = 0; t < N; t++) {
    if (!mask[t]) continue;
    const r = ratio.data[t], a = i.advantages[t];
    if ((a > 0 && r > 1 + i.clipHigh) || (a < 0 && r < 1 - i.clipLow)) clipped++;
  }
  return { loss, metrics: { loss: loss.item(), kl: klMean, clipFrac: clipped / Math.max(tokens, 1) } };
}

/** One advantage per response [B] → the same value on each of its R token slots, [B·R]. */
export function perToken(sequenceValues: ArrayLike<number>, R: number): Float32Array {
  const out = new Float32Array(sequenceValues.length * R);
  for (let b = 0; b < sequenceValues.length; b++) out.fill(sequenceValues[b], b * R, (b + 1) * R);
  return out;
}
