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

/** The controller's horizon for a run of `runSamples` rollout samples drawn `perRollout` at a time:
 * `horizon` when set, else (0) a tenth of the run, and never under one rollout.
 * Why: each rollout of n samples multiplies β by (1 + e·n/H) with |e| ≤ 0.2, so over a run of N
 * samples β can move by at most a factor exp(±0.2·N/H). Ziegler et al.'s H = 10000 was sized for
 * runs of a million samples; on a run of a few thousand it pins β within a few percent of where it
 * started. H = N/10 lets β move by up to e^±2 (about 7×) and settles a small error within a few
 * tenths of the run; H ≥ n keeps any one update within ±20%. */
export function klHorizon(horizon: number, runSamples: number, perRollout: number): number {
  return horizon > 0 ? horizon : Math.max(runSamples / 10, perRollout);
}

/** Ziegler et al. (2019), eq. 2: e = clip(KL / target − 1, −0.2, 0.2), β ← β·(1 + e·n / horizon),
 * where KL is the current mean KL per response and n the samples just drawn. */
export function adaptiveKlUpdate(beta: number, kl: number, samples: number, { target, horizon }: KlControllerConfig): number {
  if (target <= 0) return beta;
  const error = Math.min(0.2, Math.max(-0.2, kl / target - 1));
  return beta * (1 + (error * samples) / horizon);
}
