// Softmax, log-softmax, fused cross-entropy and per-token log-probabilities, all over the last
// axis. Cross-entropy keeps only a per-row log-sum-exp; its backward writes the one [rows, V]
// gradient buffer — the only vocabulary-sized buffer besides the logits themselves.
import { kernels } from '../backend.js';
import { record } from '../autograd.js';
import { Tensor, zerosLike } from '../tensor.js';

function rowsOf(x: Tensor): [number, number] {
  const n = x.shape[x.ndim - 1];
  return [x.size / n, n];
}

export function softmax(x: Tensor): Tensor {
  const [rows, n] = rowsOf(x);
  const y = zerosLike(x);
  kernels().softmax(y.f, x.f, rows, n);
  return record(y, 'softmax', [x], (g) => {
    const dx = zerosLike(x);
    kernels().softmaxBackward(dx.f, y.f, g.f, rows, n);
    return [dx];
  });
}

export function logSoftmax(x: Tensor): Tensor {
  const [rows, n] = rowsOf(x);
  const y = zerosLike(x);
  kernels().logSoftmax(y.f, x.f, rows, n);
  return record(y, 'logSoftmax', [x], (g) => {
    const dx = zerosLike(x);
    kernels().logSoftmaxBackward(dx.f, y.f, g.f, rows, n);
    return [dx];
  });
}

export interface CrossEntropyOptions {
  /** Targets equal to this contribute nothing (PyTorch's default, -100). */
  ignoreIndex?: number;
  /** Per-token weights, shaped like the targets (no gradient). */
  weights?: Float32Array | null;
  /** 'mean' divides by the weight of the counted tokens (their number when unweighted). */
  reduction?: 'mean' | 'sum' | 'none';
}

function checkTargets(logits: Tensor, targets: Int32Array): [number, number] {
  const [rows, V] = rowsOf(logits);
  if (targets.length !== rows) throw new RangeError(`crossEntropy: ${targets.length} targets for ${rows} rows of logits [${logits.shape.join(', ')}]`);
  return [rows, V];
}

/** Cross-entropy of logits [..., V] against int32 targets [...]. */
export function crossEntropy(logits: Tensor, targets: Int32Array, { ignoreIndex = -100, weights = null, reduction = 'mean' }: CrossEntropyOptions = {}): Tensor {
  const [rows, V] = checkTargets(logits, targets);
  if (weights && weights.length !== rows) throw new RangeError(`crossEntropy: ${weights.length} weights for ${rows} targets`);
  const losses = zerosLike(logits, [rows]).f, lse = zerosLike(logits, [rows]).f;
  kernels().crossEntropyForward(losses, lse, logits.f, targets, rows, V, ignoreIndex);
  const w = (r: number): number => (targets[r] === ignoreIndex ? 0 : weights ? weights[r] : 1);
  let denom = 1;
  if (reduction === 'mean') {
    denom = 0;
    for (let r = 0; r < rows; r++) denom += w(r);
  }
  let out: Tensor;
  if (reduction === 'none') {
    out = zerosLike(logits, logits.shape.slice(0, -1));
    for (let r = 0; r < rows; r++) out.data[r] = losses[r] * w(r);
  } else {
    let total = 0;
    for (let r = 0; r < rows; r++) total += losses[r] * w(r);
    // A batch with nothing to count has loss 0 (not NaN) and no gradient.
    out = Tensor.scalar(denom > 0 ? total / denom : 0, logits.dtype);
  }
  return record(out, 'crossEntropy', [logits], (g) => {
    const rowScale = zerosLike(logits, [rows]).f;
    for (let r = 0; r < rows; r++) rowScale[r] = denom > 0 ? (reduction === 'none' ? g.data[r] : g.data[0] / denom) * w(r) : 0;
    const dlogits = zerosLike(logits);
    kernels().crossEntropyBackward(dlogits.f, logits.f, lse, targets, rowScale, rows, V, ignoreIndex);
    return [dlogits];
  });
}

/** log p(target) for each row of logits [..., V]: the per-token log-probabilities PPO and DPO
 * need, shape [...]. Rows whose target is ignoreIndex get 0. */
export function tokenLogprobs(logits: Tensor, targets: Int32Array, ignoreIndex = -100): Tensor {
  const [rows, V] = checkTargets(logits, targets);
  const losses = zerosLike(logits, [rows]).f, lse = zerosLike(logits, [rows]).f;
  kernels().crossEntropyForward(losses, lse, logits.f, targets, rows, V, ignoreIndex);
  const out = zerosLike(logits, logits.shape.slice(0, -1));
  for (let r = 0; r < rows; r++) out.data[r] = -losses[r];
  return record(out, 'tokenLogprobs', [logits], (g) => {
    const rowScale = zerosLike(logits, [rows]).f;
    for (let r = 0; r < rows; r++) rowScale[r] = -g.data[r];
    const dlogits = zerosLike(logits);
    kernels().crossEntropyBackward(dlogits.f, logits.f, lse, targets, rowScale, rows, V, ignoreIndex);
    return [dlogits];
  });
}
