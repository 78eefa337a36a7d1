// Odds-ratio preference optimisation (Hong et al. 2024): SFT and preference alignment in one loss,
// with no reference model. With P(y|x) the geometric mean of the response's token probabilities,
// log P = (1/|y|)·Σ_t log π(y_t), and odds(y) = P/(1 − P):
//   L = L_SFT + λ·L_OR
//   L_SFT = −(Σ_b Σ_t log π(y_w,t)) / Σ_b |y_w|              next-token NLL of the chosen responses
//   L_OR  = −mean_b log σ(log odds(y_w) − log odds(y_l))     (eq. 6–7)
//   log odds(y) = log P − log(1 − P)
// λ = 0.1 is the paper's and TRL's default (TRL calls it beta). The chosen response's "reward" is
// λ·log P (TRL's logging).
import { Tensor } from '../../engine/tensor.js';
import { add, exp, log, mean, mul, neg, scale, sub, sum } from '../../engine/ops/index.js';
import { logSigmoid } from '../core/ops.js';

export interface OrpoMetrics {
  nll: number;
  /** L_OR. */
  oddsRatioLoss: number;
  /** Mean log odds(y_w) − log odds(y_l). */
  logOddsRatio: number;
  /** Share of pairs whose chosen response has the larger odds. */
  accuracy: number;
  rewardChosen: number;
  rewardRejected: number;
}

/** log odds of each row's length-normalised log-probability a: a − log(1 − e^a). */
function logOdds(a: Tensor): Tensor {
  return sub(a, log(scale(exp(a), -1, 1)));
}

/** chosen, rejected: Σ_t log π per response [B] with the tape; the lengths are their token counts. */
export function orpoLoss(chosen: Tensor, rejected: Tensor, chosenLengths: readonly number[], rejectedLengths: readonly number[], lambda: number): { loss: Tensor; metrics: OrpoMetrics } {
  const B = chosenLengths.length;
  if (chosen.size !== B || rejected.size !== B || rejectedLengths.length !== B) throw new RangeError(`orpoLoss: ${chosen.size} chosen and ${rejected.size} rejected log-probs for ${B} / ${rejectedLengths.length} lengths`);
  const tokens = chosenLengths.reduce((a, n) => a + n, 0);
  const nll = scale(sum(chosen), -1 / tokens);
  const avgC = mul(chosen, Tensor.from(chosenLengths.map((n) => 1 / n))), avgR = mul(rejected, Tensor.from(rejectedLengths.map((n) => 1 / n)));
  const ratio = sub(logOdds(avgC), logOdds(avgR));
  const orLoss = neg(mean(logSigmoid(ratio)));
  const loss = add(nll, scale(orLoss, lambda));
  let acc = 0, lor = 0, rc = 0, rr = 0;
  for (let b = 0; b < B; b++) {
    lor += ratio.data[b] / B;
    acc += (ratio.data[b] > 0 ? 1 : 0) / B;
    rc += (lambda * avgC.data[b]) / B;
    rr += (lambda * avgR.data[b]) / B;
  }
  return { loss, metrics: { nll: nll.item(), oddsRatioLoss: orLoss.item(), logOddsRatio: lor, accuracy: acc, rewardChosen: rc, rewardRejected: rr } };
}
