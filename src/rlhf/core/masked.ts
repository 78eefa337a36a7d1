// Statistics over the real tokens of a padded [B, R] batch of responses (mask 1 = a response token,
// 0 = padding after it ended), as TRL's masked_mean / masked_var / masked_whiten: PPO's advantages
// and value targets live in this layout, and every mean counts tokens, not sequences. Under data
// parallelism each rank holds part of the batch: `across` adds the partial sums over the ranks, so
// the statistics are the whole batch's.

/** Adds partial sums over the data-parallel ranks (allReduceNumbers); one process: as they are. */
export type SumAcross = (partial: number[]) => number[];
const alone: SumAcross = (partial) => partial;

/** Σ x·m / Σ m (0 when the mask is empty). */
export function maskedMean(x: ArrayLike<number>, mask: ArrayLike<number>, across = alone): number {
  let s = 0, n = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i] * mask[i];
    n += mask[i];
  }
  [s, n] = across([s, n]);
  return n > 0 ? s / n : 0;
}

/** Variance over the masked tokens, with Bessel's correction (n − 1) as torch.var. */
export function maskedVar(x: ArrayLike<number>, mask: ArrayLike<number>, across = alone): number {
  const mean = maskedMean(x, mask, across);
  let ss = 0, n = 0;
  for (let i = 0; i < x.length; i++) {
    ss += mask[i] * (x[i] - mean) ** 2;
    n += mask[i];
  }
  [ss, n] = across([ss, n]);
  return n > 1 ? ss / (n - 1) : 0;
}

/** (x − mean) / sqrt(var + 1e-8) over the masked tokens, padding left at 0. With shiftMean false
 * the mean is added back (only the scale changes), as TRL's whiten(shift_mean=False). */
export function whiten(x: ArrayLike<number>, mask: ArrayLike<number>, shiftMean = true, across = alone): Float32Array {
  const mean = maskedMean(x, mask, across);
  const inv = 1 / Math.sqrt(maskedVar(x, mask, across) + 1e-8);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) if (mask[i]) out[i] = (x[i] - mean) * inv + (shiftMean ? 0 : mean);
  return out;
}

/** 1 − Var(target − prediction) / Var(target) over the masked tokens: 1 is a perfect value
 * function, 0 no better than a constant, negative worse (OpenAI baselines' explained_variance). */
export function explainedVariance(prediction: ArrayLike<number>, target: ArrayLike<number>, mask: ArrayLike<number>): number {
  const resid = Float32Array.from(target, (t, i) => t - prediction[i]);
  const v = maskedVar(target, mask);
  return v > 0 ? 1 - maskedVar(resid, mask) / v : NaN;
}
