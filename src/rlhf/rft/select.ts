// Rejection sampling's selection step (RAFT, Dong et al. 2023; ReST, Gulcehre et al. 2023; Llama 2's
// rejection-sampling fine-tuning, Touvron et al. 2023): sample n responses per prompt, score them
// with a reward model or function, keep the best of each prompt — and with a threshold (ReST's
// improve step), only when the best clears it — then fine-tune on the kept ones with the SFT loss.

/** For each prompt's n candidates (consecutive in `scores`), the index within the prompt of the
 * highest score (the first on ties), or −1 when even that is below `minScore`. */
export function selectBest(scores: ArrayLike<number>, n: number, minScore = -Infinity): number[] {
  if (!(Number.isInteger(n) && n >= 1) || scores.length % n !== 0) throw new RangeError(`selectBest: ${scores.length} scores do not split into groups of n = ${n}`);
  const out: number[] = [];
  for (let g = 0; g < scores.length; g += n) {
    let best = 0;
    for (let j = 1; j < n; j++) if (scores[g + j] > scores[g + best]) best = j;
    out.push(scores[g + best] >= minScore ? best : -1);
  }
  return out;
}
