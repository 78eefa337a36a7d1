// PPO's two losses (Schulman et al. 2017), over the response tokens of a minibatch flattened to
// [N] with a 0/1 mask, averaged over real tokens.
//
// Policy, the clipped surrogate (eq. 7), with ρ = π(y)/π_old(y):
//   L = max(−A·ρ, −A·clip(ρ, 1 − ε, 1 + ε)) − c_H·H
// Value, clipped around the rollout's values as in OpenAI baselines (value clip ε_v):
//   L_V = ½·max((V − R)², (V_old + clip(V − V_old, −ε_v, ε_v) − R)²)
import { Tensor } from '../../engine/tensor.js';
import { add, clamp, exp, greater, maximum, mul, scale, square, sub, sum } from '../../engine/ops/index.js';

const vec = (x: Float32Array): Tensor => new Tensor(x, [x.length]);

/** Σ x·mask / Σ mask as a tensor. */
function maskedMeanT(x: Tensor, mask: Float32Array, count: number): Tensor {
  return scale(sum(mul(x, vec(mask))), 1 / Math.max(count, 1));
}

const countOf = (mask: Float32Array): number => mask.reduce((n, m) => n + m, 0);

export interface PolicyLossInput {
  /** log π(y_t) under the policy being trained, with the tape: [N]. */
  logprobs: Tensor;
  /** log π_old(y_t) at sampling time: [N]. */
  oldLogprobs: Float32Array;
  advantages: Float32Array;
  mask: Float32Array;
  /** ε. */
  clipRange: number;
  /** Per-token entropy [N] (with the tape when entropyCoef > 0). */
  entropy: Tensor;
  entropyCoef: number;
}

export interface PolicyLossMetrics {
  policyLoss: number;
  /** Share of tokens where the clipped term is the active one. */
  clipFrac: number;
  /** ½·E[(log ρ)²], a cheap estimate of KL(π_old ‖ π) over the update (as TRL logs it). */
  approxKl: number;
  entropy: number;
}

export function ppoPolicyLoss(i: PolicyLossInput): { loss: Tensor; metrics: PolicyLossMetrics } {
  const n = countOf(i.mask);
  const negAdv = vec(i.advantages.map((a) => -a));
  const ratio = exp(sub(i.logprobs, vec(i.oldLogprobs)));
  const unclipped = mul(ratio, negAdv);
  const clipped = mul(clamp(ratio, 1 - i.clipRange, 1 + i.clipRange), negAdv);
  const perToken = maximum(unclipped, clipped);
  // The bonus joins per token, so the loss is one masked mean (and stays a rank-1 computation).
  const loss = maskedMeanT(i.entropyCoef > 0 ? sub(perToken, scale(i.entropy, i.entropyCoef)) : perToken, i.mask, n);

  const active = greater(clipped, unclipped).data;
  let clipFrac = 0, approxKl = 0, policyLoss = 0, entropy = 0;
  for (let t = 0; t < i.mask.length; t++) {
    if (!i.mask[t]) continue;
    clipFrac += active[t];
    approxKl += 0.5 * (i.logprobs.data[t] - i.oldLogprobs[t]) ** 2;
    policyLoss += perToken.data[t];
    entropy += i.entropy.data[t];
  }
  const per = (x: number): number => x / Math.max(n, 1);
  return { loss, metrics: { policyLoss: per(policyLoss), clipFrac: per(clipFrac), approxKl: per(approxKl), entropy: per(entropy) } };
}

export interface ValueLossInput {
  /** V(s_t) under the critic being trained, with the tape: [N]. */
  values: Tensor;
  oldValues: Float32Array;
  returns: Float32Array;
  mask: Float32Array;
  /** ε_v. */
  clipRange: number;
}

export interface ValueLossMetrics {
  valueLoss: number;
  /** Share of tokens where the clipped error is the larger one. */
  valueClipFrac: number;
}

export function ppoValueLoss(i: ValueLossInput): { loss: Tensor; metrics: ValueLossMetrics } {
  const n = countOf(i.mask);
  const old = vec(i.oldValues), ret = vec(i.returns);
  const clippedValues = add(old, clamp(sub(i.values, old), -i.clipRange, i.clipRange));
  const unclippedErr = square(sub(i.values, ret));
  const clippedErr = square(sub(clippedValues, ret));
  const loss = scale(maskedMeanT(maximum(unclippedErr, clippedErr), i.mask, n), 0.5);
  const active = greater(clippedErr, unclippedErr).data;
  let frac = 0;
  for (let t = 0; t < i.mask.length; t++) if (i.mask[t]) frac += active[t];
  return { loss, metrics: { valueLoss: loss.item(), valueClipFrac: frac / Math.max(n, 1) } };
}
