// Statistics for comparing two policies on the same held-out prompts, as a reviewer would want
// them: the win rate (a tie counts half), the decisive win rate (ties left out), and the paired mean
// difference of the judge's scores with a percentile-bootstrap confidence interval (Efron &
// Tibshirani 1993, ch. 13), resampling prompts with replacement from a seeded generator so the same
// inputs always give the same interval. Also the frontier share: how much of what best-of-N reaches
// at a policy's KL the policy itself reached.
import { Rng } from '../engine/rng.js';

export interface BootstrapOptions {
  /** Resamples drawn (default 2000). */
  resamples?: number;
  /** Two-sided coverage of the interval (default 0.95). */
  level?: number;
  seed?: number;
}

export interface PairedComparison {
  n: number;
  wins: number;
  ties: number;
  losses: number;
  /** (wins + ties / 2) / n. */
  winRate: number;
  /** wins / (wins + losses); 0.5 when every prompt ties. */
  decisiveWinRate: number;
  /** Mean of policy − baseline score over the prompts. */
  meanDiff: number;
  /** Percentile-bootstrap interval of meanDiff. */
  meanDiffCi: [number, number];
}

/** The q-quantile of ascending `sorted` by linear interpolation between order statistics (NumPy's
 * default, Hyndman & Fan type 7). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile: no values');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const h = (n - 1) * q, lo = Math.floor(h), hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Percentile-bootstrap confidence interval of the mean of `values`. */
export function bootstrapMeanCi(values: ArrayLike<number>, o: BootstrapOptions = {}): [number, number] {
  const n = values.length, resamples = o.resamples ?? 2000, level = o.level ?? 0.95;
  if (n === 0) throw new RangeError('bootstrapMeanCi: no values');
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`bootstrapMeanCi: resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrapMeanCi: level must be in (0, 1), got ${level}`);
  const rng = new Rng(o.seed ?? 0);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(n)];
    means[r] = s / n;
  }
  means.sort();
  const tail = (1 - level) / 2;
  return [quantile(means, tail), quantile(means, 1 - tail)];
}

/** Policy against baseline, prompt by prompt: `policy[i]` and `baseline[i]` are the judge's scores
 * of the two responses to prompt i. */
export function comparePaired(policy: ArrayLike<number>, baseline: ArrayLike<number>, o: BootstrapOptions = {}): PairedComparison {
  const n = policy.length;
  if (n !== baseline.length) throw new RangeError(`comparePaired: ${n} policy scores for ${baseline.length} baseline scores`);
  if (n === 0) throw new RangeError('comparePaired: no prompts');
  let wins = 0, ties = 0, sum = 0;
  const diff = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    diff[i] = policy[i] - baseline[i];
    if (!Number.isFinite(diff[i])) throw new RangeError(`comparePaired: score ${i} is not finite (${policy[i]} vs ${baseline[i]})`);
    if (diff[i] > 0) wins++;
    else if (diff[i] === 0) ties++;
    sum += diff[i];
  }
  const losses = n - wins - ties;
  return {
    n, wins, ties, losses, winRate: (wins + ties / 2) / n, decisiveWinRate: wins + losses > 0 ? wins / (wins + losses) : 0.5,
    meanDiff: sum / n, meanDiffCi: bootstrapMeanCi(diff, o),
  };
}

/** A point of a best-of-N frontier: its KL from the starting policy (nats) and its gold gain over
 * that policy. */
export interface FrontierPoint { kl: number; gain: number }

/** The frontier's gain at `kl`, linearly interpolated between its points (sorted by KL, starting
 * from N = 1 at KL 0 and gain 0); past its last point the frontier is taken as flat, so a policy
 * beyond it is credited against the best-of-N reached, not an extrapolation. */
export function frontierGainAt(frontier: FrontierPoint[], kl: number): number {
  if (!frontier.length) throw new RangeError('frontierGainAt: empty frontier');
  const pts = [...frontier].sort((a, b) => a.kl - b.kl);
  if (kl <= pts[0].kl) return pts[0].gain;
  for (let i = 1; i < pts.length; i++) {
    if (kl <= pts[i].kl) {
      const a = pts[i - 1], b = pts[i], t = (kl - a.kl) / (b.kl - a.kl);
      return a.gain + t * (b.gain - a.gain);
    }
  }
  return pts[pts.length - 1].gain;
}

/** The policy's gold gain over the starting policy divided by the frontier's gain at the policy's
 * KL: 1 means the policy reached what best-of-N reaches at that KL. Null when the frontier gains
 * nothing there (the share is undefined). */
export function frontierShare(frontier: FrontierPoint[], kl: number, gain: number): number | null {
  const reach = frontierGainAt(frontier, Math.max(0, kl));
  return reach > 0 ? gain / reach : null;
}

/** Area under the ROC curve of `scores` for telling positives (`labels[i]` true) from negatives:
 * the probability that a random positive scores above a random negative, a tie counting half (the
 * Mann–Whitney U statistic over n₊·n₋; Hanley & McNeil 1982). Computed from ranks with tied
 * scores given their mean rank, O(n log n). Null when either class is empty. */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number | null {
  const n = scores.length;
  if (n !== labels.length) throw new RangeError(`auroc: ${n} scores for ${labels.length} labels`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0, rankSum = 0;
  for (let i = 0; i < n;) {
    if (!Number.isFinite(scores[order[i]])) throw new RangeError(`auroc: score ${order[i]} is not finite (${scores[order[i]]})`);
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const meanRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (labels[order[k]]) { pos++; rankSum += meanRank; }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
