// Group relative policy optimisation (Shao et al. 2024, DeepSeekMath): G responses are sampled for
// each prompt, and each response's advantage is its reward standardised within its group,
//   A_i = (r_i − mean(r_group)) / (std(r_group) + 1e-4)
// (no critic: the group is the baseline), shared by all its tokens. The loss is PPO's clipped
// surrogate plus a KL penalty to the reference with the k3 estimator, per token:
//   L_t = −min(ρ_t·A, clip(ρ_t, 1 − ε, 1 + ε)·A) + β·(π_ref/π − log(π_ref/π) − 1)
// averaged over each response's tokens, then over responses (eq. 3).
import { Tensor } from '../../engine/tensor.js';
import { add, clamp, exp, minimum, mul, neg, scale, sub, sum } from '../../engine/ops/index.js';

/** Rewards [groups·G], grouped consecutively → advantages [groups·G]. Std is the sample std
 * (n − 1), as torch.std in TRL. */
export function groupAdvantages(rewards: ArrayLike<number>, G: number): Float32Array {
  if (G < 2 || rewards.length % G !== 0) throw new RangeError(`groupAdvantages: ${rewards.length} rewards do not split into groups of ${G} (G ≥ 2)`);
  const out = new Float32Array(rewards.length);
  for (let g = 0; g < rewards.length; g += G) {
    let mean = 0, ss = 0;
    for (let i = g; i < g + G; i++) mean += rewards[i] / G;
    for (let i = g; i < g + G; i++) ss += (rewards[i] - mean) ** 2;
    const std = Math.sqrt(ss / (G - 1));
    for (let i = g; i < g + G; i++) out[i] = (rewards[i] - mean) / (std + 1e-4);
  }
  return out;
}

export interface GrpoLossInput {
  /** log π of each response token with the tape, [B·R]. */
  logprobs: Tensor;
  oldLogprobs: Float32Array;
  /** log π_ref per token (null when β = 0). */
  refLogprobs: Float32Array | null;
  /** One advantage per response, [B]. */
  advantages: Float32Array;
  /** [B·R] 0/1. */
  mask: Float32Array;
  B: number;
  R: number;
  clipRange: number;
  beta: number;
}

export interface GrpoMetrics {
  /** The loss, KL term included. */
  loss: number;
  /** Mean per-token k3 KL to the reference. */
  kl: number;
  clipFrac: number;
}

export function grpoLoss(i: GrpoLossInput): { loss: Tensor; metrics: GrpoMetrics } {
  const { B, R, mask } = i;
  // Per-token weights 1/(|o_b|·B): a mean over each response, then over responses.
  const weight = new Float32Array(B * R), adv = new Float32Array(B * R);
  let tokens = 0;
  for (let b = 0; b < B; b++) {
    let len = 0;
    for (let t = 0; t < R; t++) len += mask[b * R + t];
    for (let t = 0; t < R; t++) {
      weight[b * R + t] = len ? mask[b * R + t] / (len * B) : 0;
      adv[b * R + t] = i.advantages[b];
    }
    tokens += len;
  }
  const A = new Tensor(adv, [B * R]);
  const ratio = exp(sub(i.logprobs, new Tensor(i.oldLogprobs, [B * R])));
  const surrogate = minimum(mul(ratio, A), mul(clamp(ratio, 1 - i.clipRange, 1 + i.clipRange), A));
  let perToken = neg(surrogate);
  let klMean = 0;
  if (i.beta > 0 && i.refLogprobs) {
    const d = sub(new Tensor(i.refLogprobs, [B * R]), i.logprobs); // log(π_ref/π)
    const k3 = scale(sub(exp(d), d), 1, -1);
    perToken = add(perToken, scale(k3, i.beta));
    for (let t = 0; t < mask.length; t++) klMean += (mask[t] * k3.data[t]) / Math.max(tokens, 1);
  }
  const loss = sum(mul(perToken, new Tensor(weight, [B * R])));
  let clipped = 0;
  for (let t = 0; t < mask.length; t++) {
    if (!mask[t]) continue;
    const r = ratio.data[t];
    if ((adv[t] > 0 && r > 1 + i.clipRange) || (adv[t] < 0 && r < 1 - i.clipRange)) clipped++;
  }
  return { loss, metrics: { loss: loss.item(), kl: klMean, clipFrac: clipped / Math.max(tokens, 1) } };
}
