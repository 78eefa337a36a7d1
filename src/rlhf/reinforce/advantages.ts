// REINFORCE++ (Hu 2025): PPO's machinery without the critic. Each response token's reward is the
// KL penalty to the SFT reference, and the last token also gets the response's score
// (InstructGPT's per-token form, ppo/rewards.ts):
//   r_t = −β·KL_t + [t = last]·score,   KL_t = log π_old(y_t) − log π_ref(y_t)   (k1)
// The advantage of a token is its return, the discounted sum of the rewards from t on,
//   G_t = Σ_{s ≥ t} γ^{s−t} · r_s
// normalised over every token of the global batch (not per prompt, which is what keeps it stable
// where GRPO's per-group standardisation overfits easy prompts, Hu 2025 §3):
//   A_t = (G_t − mean_batch(G)) / std_batch(G)
// and the policy takes PPO's clipped surrogate on A_t (core/pg-loss.ts).
// The "baseline" variant (OpenRLHF's reinforce_baseline) first subtracts the mean score of each
// prompt's k samples from each score, for runs that sample several responses per prompt.
import { whiten, type SumAcross } from '../core/masked.js';
import { tokenRewards } from '../ppo/rewards.js';

export interface ReinforcePpOptions {
  /** β of the per-token KL penalty folded into the reward. */
  beta: number;
  /** γ of the return (1: every later reward counts in full). */
  gamma: number;
  /** Samples per prompt, consecutive in the batch: > 1 with `groupBaseline` subtracts each group's
   * mean score first. */
  k: number;
  groupBaseline: boolean;
  /** Under data parallelism, adds partial sums over the ranks, so the normalisation is over the
   * whole batch, every rank's share of it (default: this process's alone). */
  across?: SumAcross;
}

/** Scores [B] minus the mean score of their group of k (consecutive). */
export function groupCentered(scores: ArrayLike<number>, k: number): Float32Array {
  if (!(Number.isInteger(k) && k >= 1) || scores.length % k !== 0) throw new RangeError(`groupCentered: ${scores.length} scores do not split into groups of ${k}`);
  const out = new Float32Array(scores.length);
  for (let g = 0; g < scores.length; g += k) {
    let mean = 0;
    for (let i = g; i < g + k; i++) mean += scores[i] / k;
    for (let i = g; i < g + k; i++) out[i] = scores[i] - mean;
  }
  return out;
}

/** Discounted returns G_t per row of a padded [B, R] reward array (0 on padding). */
export function discountedReturns(rewards: ArrayLike<number>, mask: ArrayLike<number>, B: number, R: number, gamma: number): Float32Array {
  const out = new Float32Array(B * R);
  for (let b = 0; b < B; b++) {
    let next = 0;
    for (let t = R - 1; t >= 0; t--) {
      const i = b * R + t;
      if (!mask[i]) { next = 0; continue; }
      next = rewards[i] + gamma * next;
      out[i] = next;
    }
  }
  return out;
}

/** Scores [B] and per-token KL [B·R] → REINFORCE++ advantages [B·R] (0 on padding), with the
 * per-token rewards and returns they came from. */
export function reinforcePpAdvantages(scores: ArrayLike<number>, kl: ArrayLike<number>, mask: Float32Array, B: number, R: number, o: ReinforcePpOptions): { advantages: Float32Array; returns: Float32Array; rewards: Float32Array } {
  if (scores.length !== B || kl.length !== B * R || mask.length !== B * R) throw new RangeError(`reinforcePpAdvantages: ${scores.length} scores, ${kl.length} KL and ${mask.length} mask values for [${B}, ${R}]`);
  const s = o.groupBaseline && o.k > 1 ? groupCentered(scores, o.k) : scores;
  const rewards = tokenRewards(s, kl, mask, B, R, o.beta);
  const returns = discountedReturns(rewards, mask, B, R, o.gamma);
  return { advantages: whiten(returns, mask, true, o.across), returns, rewards };
}
