// PPO's reward signal per response token (InstructGPT eq. 2 in per-token form, as in Ziegler et al.
// and TRL): every token pays −β·KL_t for moving away from the reference, and the last token also
// receives the reward model's score, normalised by its mean and std under the SFT policy, clipped,
// and lowered by a penalty when the response never emitted its end-of-turn token.

export interface ScoreShaping {
  /** The reward model's mean and std under the SFT policy (mean 0, std 1 = raw scores). */
  mean: number;
  std: number;
  /** Normalised scores are clipped to [−clip, clip] (0 = no clipping). */
  clip: number;
  /** Subtracted from the normalised score of a response cut off before its stop token. */
  missingEosPenalty: number;
}

/** Raw reward-model scores [B] → the terminal rewards PPO optimises. */
export function shapeScores(raw: ArrayLike<number>, finished: readonly boolean[], s: ScoreShaping): Float32Array {
  return Float32Array.from({ length: raw.length }, (_, b) => {
    let z = (raw[b] - s.mean) / s.std;
    if (s.clip > 0) z = Math.min(s.clip, Math.max(-s.clip, z));
    return finished[b] ? z : z - s.missingEosPenalty;
  });
}

/** Per-token rewards [B, R]: −β·kl everywhere, plus each row's score at its last real token. */
export function tokenRewards(scores: ArrayLike<number>, kl: ArrayLike<number>, mask: ArrayLike<number>, B: number, R: number, beta: number): Float32Array {
  const out = new Float32Array(B * R);
  for (let b = 0; b < B; b++) {
    let last = -1;
    for (let t = 0; t < R; t++) {
      const i = b * R + t;
      if (!mask[i]) continue;
      out[i] = -beta * kl[i];
      last = i;
    }
    if (last >= 0) out[last] += scores[b];
  }
  return out;
}
