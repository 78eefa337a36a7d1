// Simple preference optimisation (Meng et al. 2024): DPO without the reference model, whose implicit
// reward is the length-normalised log-probability of a response, β·(1/|y|)·log π(y|x), and which asks
// the chosen response to win by at least a target margin γ (eq. 6):
//   L = −(1 − ε)·log σ(β·(ā_w − ā_l) − γ) − ε·log σ(−(β·(ā_w − ā_l) − γ))
//   ā = (1/|y|)·Σ_t log π(y_t)
// ε > 0 is label smoothing, as in TRL's CPOTrainer (loss_type="simpo"). The paper's defaults sit
// around β 2–2.5 with γ/β 0.5; normalising by length is what stops it rewarding long responses.
import { Tensor } from '../../engine/tensor.js';
import { add, mean, mul, neg, scale, sub } from '../../engine/ops/index.js';
import { logSigmoid } from '../core/ops.js';

export interface SimpoLossOptions {
  beta: number;
  /** γ, the target reward margin (in reward units: the margin β·(ā_w − ā_l) should exceed). */
  gamma: number;
  labelSmoothing: number;
}

export interface SimpoMetrics {
  /** Mean rewards β·ā of chosen and rejected responses, and their margin. */
  rewardChosen: number;
  rewardRejected: number;
  margin: number;
  /** Share of pairs whose chosen response has the larger reward. */
  rewardAccuracy: number;
}

/** chosen, rejected: Σ_t log π per response [B] with the tape; the lengths are their token counts. */
export function simpoLoss(chosen: Tensor, rejected: Tensor, chosenLengths: readonly number[], rejectedLengths: readonly number[], o: SimpoLossOptions): { loss: Tensor; metrics: SimpoMetrics } {
  const B = chosenLengths.length;
  if (chosen.size !== B || rejected.size !== B || rejectedLengths.length !== B) throw new RangeError(`simpoLoss: ${chosen.size} chosen and ${rejected.size} rejected log-probs for ${B} / ${rejectedLengths.length} lengths`);
  const avgC = mul(chosen, Tensor.from(chosenLengths.map((n) => 1 / n))), avgR = mul(rejected, Tensor.from(rejectedLengths.map((n) => 1 / n)));
  const z = scale(sub(avgC, avgR), o.beta, -o.gamma);
  const agree = scale(logSigmoid(z), 1 - o.labelSmoothing);
  const loss = neg(mean(o.labelSmoothing > 0 ? add(agree, scale(logSigmoid(neg(z)), o.labelSmoothing)) : agree));
  let rc = 0, rr = 0, acc = 0;
  for (let b = 0; b < B; b++) {
    const c = o.beta * avgC.data[b], r = o.beta * avgR.data[b];
    rc += c / B;
    rr += r / B;
    acc += (c > r ? 1 : 0) / B;
  }
  return { loss, metrics: { rewardChosen: rc, rewardRejected: rr, margin: rc - rr, rewardAccuracy: acc } };
}
