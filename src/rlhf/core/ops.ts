// Two compositions of engine ops the RLHF losses share: log σ(x), and the entropy of the
// categorical distributions given by rows of logits.
import type { Tensor } from '../../engine/tensor.js';
import { abs, exp, log, logSoftmax, minimum, mul, neg, scale, sub, sum } from '../../engine/ops/index.js';

/** log σ(x) = min(x, 0) − log(1 + e^−|x|): stable for large |x|, where log(sigmoid(x)) would
 * round σ to 0 and return −∞. */
export function logSigmoid(x: Tensor): Tensor {
  return sub(minimum(x, 0), log(scale(exp(neg(abs(x))), 1, 1)));
}

/** H = −Σ_v p_v·log p_v for each row of logits [..., V] → [...]. */
export function entropyFromLogits(logits: Tensor): Tensor {
  const logp = logSoftmax(logits);
  return neg(sum(mul(exp(logp), logp), -1));
}
