// The reward model's ranking loss (InstructGPT, Ouyang et al. 2022, eq. 1): a labeler's ranking of
// K responses to one prompt gives all K(K−1)/2 ordered pairs, and the model is trained so the
// preferred response of each pair scores higher:
//   loss = −1/C(K,2) · Σ_pairs log σ(r(x, y_w) − r(x, y_l))
// The pairs of one prompt stay together in one batch element (each response is scored once, and
// one ranking cannot dominate a batch through its many pairs); elements are averaged.
import { Tensor } from '../../engine/tensor.js';
import { indexSelect, mul, neg, sub, sum } from '../../engine/ops/index.js';
import { logSigmoid } from '../core/ops.js';

/** Pairs over a flat vector of scores: score[winners[i]] should beat score[losers[i]]; weights
 * sum to 1 (1/C(K,2) per element, divided by the number of elements). */
export interface RankingPairs {
  winners: Int32Array;
  losers: Int32Array;
  weights: Float32Array;
}

/** All pairs of each element. `rankings[e]` lists the element's responses best first, as indices
 * into its own K responses, whose scores sit at offset Σ_{e' < e} K_e' of the flat vector. */
export function rankingPairs(rankings: readonly number[][]): RankingPairs {
  const w: number[] = [], l: number[] = [], wt: number[] = [];
  let offset = 0;
  for (const ranking of rankings) {
    const K = ranking.length, n = (K * (K - 1)) / 2;
    for (let a = 0; a < K; a++) {
      for (let b = a + 1; b < K; b++) {
        w.push(offset + ranking[a]);
        l.push(offset + ranking[b]);
        wt.push(1 / (n * rankings.length));
      }
    }
    offset += K;
  }
  return { winners: Int32Array.from(w), losers: Int32Array.from(l), weights: Float32Array.from(wt) };
}

export interface RewardLossMetrics {
  /** Share of pairs ordered correctly (ties count half). */
  accuracy: number;
  /** Mean r_w − r_l over pairs. */
  margin: number;
  /** Mean and spread of the scores, to watch their scale drift. */
  scoreMean: number;
  scoreStd: number;
}

export function rewardPairLoss(scores: Tensor, pairs: RankingPairs): { loss: Tensor; metrics: RewardLossMetrics } {
  const diff = sub(indexSelect(scores, 0, pairs.winners), indexSelect(scores, 0, pairs.losers));
  const loss = neg(sum(mul(logSigmoid(diff), new Tensor(pairs.weights, [pairs.weights.length]))));
  const d = diff.data, s = scores.data;
  let correct = 0, margin = 0, mean = 0, sq = 0;
  for (let i = 0; i < d.length; i++) {
    correct += d[i] > 0 ? 1 : d[i] === 0 ? 0.5 : 0;
    margin += d[i];
  }
  for (let i = 0; i < s.length; i++) mean += s[i] / s.length;
  for (let i = 0; i < s.length; i++) sq += (s[i] - mean) ** 2 / s.length;
  return { loss, metrics: { accuracy: correct / d.length, margin: margin / d.length, scoreMean: mean, scoreStd: Math.sqrt(sq) } };
}
