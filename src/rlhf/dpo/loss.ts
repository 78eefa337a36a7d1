// Direct preference optimisation (Rafailov et al. 2023) and its variants, from sequence
// log-probabilities of the chosen and rejected responses under the policy (with the tape) and the
// frozen reference (numbers computed once). With h = (log π(y_w) − log π(y_l)) − (log π_ref(y_w) −
// log π_ref(y_l)):
//   sigmoid  −(1 − ε)·log σ(β·h) − ε·log σ(−β·h)     DPO eq. 7; ε > 0 is conservative DPO (cDPO,
//                                                     Mitchell 2023: labels flipped with prob. ε)
//   ipo      (h − 1/(2β))²                            IPO (Azar et al. 2023), on per-token mean
//                                                     log-probs as TRL computes it
// β·(log π − log π_ref) is each response's implicit reward. With rpoAlpha α > 0 (RPO, Pang et al.
// 2024; TRL's rpo_alpha) the loss adds α·NLL, the chosen responses' negative log-likelihood per
// token over the batch: −Σ_b log π(y_w,b) / Σ_b |y_w,b|.
import { Tensor } from '../../engine/tensor.js';
import { add, mean, mul, neg, scale, square, sub, sum } from '../../engine/ops/index.js';
import { logSigmoid } from '../core/ops.js';

export type DpoLossType = 'sigmoid' | 'ipo';

export interface DpoLossOptions {
  beta: number;
  type: DpoLossType;
  /** ε of conservative DPO (sigmoid loss only). */
  labelSmoothing: number;
  /** RPO's α and the chosen responses' token counts it needs (α 0 or absent = plain DPO). */
  rpoAlpha?: number;
  chosenLengths?: readonly number[];
}

export interface DpoMetrics {
  /** Mean implicit rewards β·(log π − log π_ref) of chosen and rejected responses. */
  rewardChosen: number;
  rewardRejected: number;
  /** Share of pairs whose chosen response has the larger implicit reward. */
  rewardAccuracy: number;
  margin: number;
  /** The chosen responses' NLL per token (with rpoAlpha > 0). */
  nll?: number;
}

/** −Σ_b log π(y_w,b) / Σ_b |y_w,b|: policyChosen holds sequence sums, or per-token means when
 * `perToken` (IPO), which count once per token. */
export function chosenNll(policyChosen: Tensor, lengths: readonly number[], perToken: boolean): Tensor {
  const total = lengths.reduce((a, b) => a + b, 0);
  if (lengths.length !== policyChosen.size || total <= 0) throw new Error(`chosenNll: ${lengths.length} lengths summing to ${total} for ${policyChosen.size} responses`);
  return sum(mul(policyChosen, new Tensor(Float32Array.from(lengths, (n) => -(perToken ? n : 1) / total), [lengths.length])));
}

/** policyChosen, policyRejected: [B] with the tape; refChosen, refRejected: [B]. */
export function dpoLoss(policyChosen: Tensor, policyRejected: Tensor, refChosen: Float32Array, refRejected: Float32Array, o: DpoLossOptions): { loss: Tensor; metrics: DpoMetrics } {
  const B = refChosen.length;
  const refMargin = Float32Array.from(refChosen, (c, i) => c - refRejected[i]);
  const h = sub(sub(policyChosen, policyRejected), new Tensor(refMargin, [B]));
  let loss: Tensor;
  if (o.type === 'ipo') loss = mean(square(scale(h, 1, -1 / (2 * o.beta))));
  else {
    const z = scale(h, o.beta);
    const agree = scale(logSigmoid(z), 1 - o.labelSmoothing);
    loss = neg(mean(o.labelSmoothing > 0 ? add(agree, scale(logSigmoid(neg(z)), o.labelSmoothing)) : agree));
  }
  let nll: number | undefined;
  if ((o.rpoAlpha ?? 0) > 0) {
    const term = chosenNll(policyChosen, o.chosenLengths ?? [], o.type === 'ipo');
    nll = term.item();
    loss = add(loss, scale(term, o.rpoAlpha!));
  }
  let rc = 0, rr = 0, acc = 0;
  for (let i = 0; i < B; i++) {
    const c = o.beta * (policyChosen.data[i] - refChosen[i]), r = o.beta * (policyRejected.data[i] - refRejected[i]);
    rc += c / B;
    rr += r / B;
    acc += (c > r ? 1 : 0) / B;
  }
  return { loss, metrics: { rewardChosen: rc, rewardRejected: rr, rewardAccuracy: acc, margin: rc - rr, ...(nll === undefined ? {} : { nll }) } };
}
