// REINFORCE leave-one-out (RLOO; Kool et al. 2019, for RLHF Ahmadian et al. 2024): k responses are
// sampled for each prompt, and each response's baseline is the mean reward of the other k − 1:
//   A_i = r_i − 1/(k − 1) · Σ_{j≠i} r_j  =  k/(k − 1) · (r_i − mean(r))
// an unbiased baseline with no critic to train. The whole response is one action, so the reward
// carries the KL penalty at sequence level, as TRL's RLOOTrainer and the paper do:
//   r_i = score_i − β · Σ_t (log π_old(y_t) − log π_ref(y_t))
// and every token of response i shares A_i in the clipped loss of core/pg-loss.ts.

/** Rewards [prompts·k], grouped consecutively → leave-one-out advantages [prompts·k]. */
export function rlooAdvantages(rewards: ArrayLike<number>, k: number): Float32Array {
  if (!(Number.isInteger(k) && k >= 2) || rewards.length % k !== 0) throw new RangeError(`rlooAdvantages: ${rewards.length} rewards do not split into groups of k = ${k} (k ≥ 2)`);
  const out = new Float32Array(rewards.length);
  for (let g = 0; g < rewards.length; g += k) {
    let total = 0;
    for (let i = g; i < g + k; i++) total += rewards[i];
    for (let i = g; i < g + k; i++) out[i] = rewards[i] - (total - rewards[i]) / (k - 1);
  }
  return out;
}

/** score_b − β·Σ_t mask·(log π_old − log π_ref) per response: [B] from per-token [B·R] arrays.
 * Also returns the per-response KL sums (nats). */
export function klPenalizedRewards(scores: ArrayLike<number>, logprobs: ArrayLike<number>, refLogprobs: ArrayLike<number>, mask: ArrayLike<number>, R: number, beta: number): { rewards: Float32Array; kl: Float32Array } {
  const B = scores.length;
  if (logprobs.length !== B * R || refLogprobs.length !== B * R || mask.length !== B * R) {
    throw new RangeError(`klPenalizedRewards: ${B} scores need [${B}, ${R}] log-probs, got ${logprobs.length}, ${refLogprobs.length}, mask ${mask.length}`);
  }
  const rewards = new Float32Array(B), kl = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let t = b * R; t < (b + 1) * R; t++) s += mask[t] * (logprobs[t] - refLogprobs[t]);
    kl[b] = s;
    rewards[b] = scores[b] - beta * s;
  }
  return { rewards, kl };
}
