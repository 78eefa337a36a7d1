// Generalised advantage estimation (Schulman et al. 2016) over padded responses [B, R]:
//   δ_t = r_t + γ·V(s_{t+1}) − V(s_t)          (V past the last real token is 0: the episode ends)
//   A_t = δ_t + γ·λ·A_{t+1}
//   returns_t = A_t + V(s_t)                   (the value function's regression target)
// Each row is one episode whose last real token carries the terminal reward.

export interface GaeResult {
  /** [B, R], 0 on padding. */
  advantages: Float32Array;
  /** [B, R], 0 on padding. */
  returns: Float32Array;
}

export function gae(rewards: ArrayLike<number>, values: ArrayLike<number>, mask: ArrayLike<number>, B: number, R: number, gamma: number, lambda: number): GaeResult {
  if (rewards.length !== B * R || values.length !== B * R || mask.length !== B * R) {
    throw new RangeError(`gae: rewards ${rewards.length}, values ${values.length}, mask ${mask.length} for [${B}, ${R}]`);
  }
  const advantages = new Float32Array(B * R), returns = new Float32Array(B * R);
  for (let b = 0; b < B; b++) {
    let nextValue = 0, nextAdv = 0;
    for (let t = R - 1; t >= 0; t--) {
      const i = b * R + t;
      if (!mask[i]) { nextValue = 0; nextAdv = 0; continue; }
      const delta = rewards[i] + gamma * nextValue - values[i];
      nextAdv = delta + gamma * lambda * nextAdv;
      advantages[i] = nextAdv;
      returns[i] = nextAdv + values[i];
      nextValue = values[i];
    }
  }
  return { advantages, returns };
}
