// The KL penalty between the policy and the frozen reference, per sampled token, and the adaptive
// controller that steers its coefficient toward a target KL.
//
// With r = π_ref(y)/π(y) for a token y sampled from π (Schulman, "Approximating KL divergence"):
//   k1 = −log r = log π − log π_ref      unbiased, can be negative per token
//   k3 = (r − 1) − log r                unbiased and never negative, lower variance

export type KlEstimator = 'k1' | 'k3';

/** Per-token KL estimates from log π and log π_ref of the sampled tokens. */
export function klPerToken(logprobs: ArrayLike<number>, refLogprobs: ArrayLike<number>, estimator: KlEstimator): Float32Array {
  const out = new Float32Array(logprobs.length);
  for (let i = 0; i < out.length; i++) {
    const logRatio = refLogprobs[i] - logprobs[i]; // log r
    out[i] = estimator === 'k1' ? -logRatio : Math.expm1(logRatio) - logRatio;
  }
  return out;
}

export interface KlControllerConfig {
  /** Initial (or fixed) coefficient β. */
  init: number;
  /** Adaptive: the KL per response the controller steers toward (0 = fixed β). */
  target: number;
  /** Adaptive: samples over which a proportional error is corrected. */
  horizon: number;
}

/** Ziegler et al. (2019), eq. 2: e = clip(KL / target − 1, −0.2, 0.2), β ← β·(1 + e·n / horizon),
 * where KL is the current mean KL per response and n the samples just drawn. */
export function adaptiveKlUpdate(beta: number, kl: number, samples: number, { target, horizon }: KlControllerConfig): number {
  if (target <= 0) return beta;
  const error = Math.min(0.2, Math.max(-0.2, kl / target - 1));
  return beta * (1 + (error * samples) / horizon);
}
