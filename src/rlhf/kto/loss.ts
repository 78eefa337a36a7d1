// Kahneman-Tversky optimisation (Ethayarajh et al. 2024): learning from unpaired labels, each
// response marked desirable or undesirable on its own. With the implicit reward
// r = log π(y|x) − log π_ref(y|x) and a reference point z0 (eq. 7):
//   desirable     ℓ = λ_D · (1 − σ(β·(r − z0)))
//   undesirable   ℓ = λ_U · (1 − σ(β·(z0 − r)))
//   L = mean over the batch's examples of ℓ
// z0 estimates KL(π ‖ π_ref) from the batch itself, as TRL's KTOTrainer does: each prompt is
// paired with another example's completion (y' for x), and
//   z0 = max(0, mean(log π(y'|x) − log π_ref(y'|x)))
// taken without gradient (the paper: z0 is not backpropagated through). The value function is
// saturating, so confident examples stop pulling; λ_D·n_D / (λ_U·n_U) in [1, 4/3] is the paper's
// advice for balancing the two kinds (§4.2).
import { Tensor } from '../../engine/tensor.js';
import { mean, mul, scale, sigmoid, sub } from '../../engine/ops/index.js';

export interface KtoLossOptions {
  beta: number;
  /** λ_D, λ_U. */
  desirableWeight: number;
  undesirableWeight: number;
}

export interface KtoMetrics {
  /** z0, the batch's KL estimate. */
  kl: number;
  /** Mean implicit reward β·r of the desirable and undesirable examples (NaN if there are none). */
  rewardDesirable: number;
  rewardUndesirable: number;
  /** Share of examples on the right side of z0 (r > z0 for desirable, r < z0 for undesirable). */
  accuracy: number;
}

/** z0 = max(0, mean(log π − log π_ref)) over the mismatched (x, y') pairs. */
export function ktoReferencePoint(policyKl: ArrayLike<number>, refKl: ArrayLike<number>, across?: (partial: number[]) => number[]): number {
  if (policyKl.length !== refKl.length || policyKl.length === 0) throw new RangeError(`ktoReferencePoint: ${policyKl.length} policy and ${refKl.length} reference log-probs`);
  let s = 0;
  for (let i = 0; i < policyKl.length; i++) s += policyKl[i] - refKl[i];
  // Data-parallel ranks each hold part of the batch: z0 is the whole batch's (TRL gathers it too).
  const [sum, n] = across ? across([s, policyKl.length]) : [s, policyKl.length];
  return Math.max(0, sum / n);
}

/** Completions rotated by one within the batch (example i gets example i − 1's, the first gets the
 * last's), TRL's _get_kl_dataset way of pairing each prompt with a response not written for it. */
export function mismatchedOrder(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i - 1 + n) % n);
}

/** policy: sequence log-probs [B] with the tape; ref: [B]; desirable[b] is example b's label. */
export function ktoLoss(policy: Tensor, ref: Float32Array, desirable: readonly boolean[], z0: number, o: KtoLossOptions): { loss: Tensor; metrics: KtoMetrics } {
  const B = ref.length;
  if (policy.size !== B || desirable.length !== B) throw new RangeError(`ktoLoss: ${policy.size} policy log-probs, ${B} reference, ${desirable.length} labels`);
  // Desirable: 1 − σ(β(r − z0)); undesirable: 1 − σ(β(z0 − r)) = 1 − σ(−β(r − z0)). Both are
  // 1 − σ(s·β·(r − z0)) with sign s = ±1, weighted by λ.
  const sign = Float32Array.from(desirable, (d) => (d ? 1 : -1));
  const weight = Float32Array.from(desirable, (d) => (d ? o.desirableWeight : o.undesirableWeight));
  const r = sub(policy, new Tensor(ref, [B]));
  const z = mul(scale(r, o.beta, -o.beta * z0), new Tensor(sign, [B]));
  const loss = mean(mul(scale(sigmoid(z), -1, 1), new Tensor(weight, [B])));
  let rd = 0, nd = 0, ru = 0, nu = 0, right = 0;
  for (let b = 0; b < B; b++) {
    const v = r.data[b];
    if (desirable[b]) { rd += o.beta * v; nd++; } else { ru += o.beta * v; nu++; }
    if (desirable[b] ? v > z0 : v < z0) right++;
  }
  return { loss, metrics: { kl: z0, rewardDesirable: nd ? rd / nd : NaN, rewardUndesirable: nu ? ru / nu : NaN, accuracy: right / B } };
}
