// Group relative policy optimisation (Shao et al. 2024, DeepSeekMath): G responses are sampled for
// each prompt, and each response's advantage is its reward standardised within its group,
//   A_i = (r_i − mean(r_group)) / (std(r_group) + 1e-4)
// (no critic: the group is the baseline), shared by all its tokens. The loss is PPO's clipped
// surrogate plus a KL penalty to the reference with the k3 estimator, per token:
//   L_t = −min(ρ_t·A, clip(ρ_t, 1 − ε, 1 + ε)·A) + β·(π_ref/π − log(π_ref/π) − 1)
// averaged over each response's tokens, then over responses (eq. 3). DAPO's options (Yu et al.
// 2025) change two things here: clip-higher (ε_high above ε_low) and token-level aggregation (one
// mean over every token of the batch); core/pg-loss.ts computes both.
import type { Tensor } from '../../engine/tensor.js';
import { clippedPgLoss, perToken, type ClippedPgInput, type ClippedPgMetrics, type LossAggregation } from '../core/pg-loss.js';

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

/** clippedPgLoss's input (core/pg-loss.ts), with one advantage per response and GRPO's names and
 * defaults for the clip range and the aggregation. */
export interface GrpoLossInput extends Omit<ClippedPgInput, 'advantages' | 'clipLow' | 'clipHigh' | 'aggregation'> {
  /** One advantage per response, [B]. */
  advantages: Float32Array;
  /** ε (ε_low under clip-higher). */
  clipRange: number;
  /** DAPO's ε_high (default: clipRange, the symmetric clip). */
  clipHigh?: number;
  /** 'sequence' (GRPO, default) or 'token' (DAPO). */
  aggregation?: LossAggregation;
}

export type GrpoMetrics = ClippedPgMetrics;

export function grpoLoss(i: GrpoLossInput): { loss: Tensor; metrics: GrpoMetrics } {
  return clippedPgLoss({
    logprobs: i.logprobs, oldLogprobs: i.oldLogprobs, refLogprobs: i.refLogprobs, advantages: perToken(i.advantages, i.R), mask: i.mask,
    B: i.B, R: i.R, clipLow: i.clipRange, clipHigh: i.clipHigh ?? i.clipRange, beta: i.beta, aggregation: i.aggregation ?? 'sequence',
  });
}
