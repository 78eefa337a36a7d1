// Reference row-wise softmax, log-softmax and the fused cross-entropy (which keeps only the
// per-row log-sum-exp, never a probability buffer).
import type { F32, I32 } from '../../kernels.js';

/** log Σ exp(x[o..o+n)), stable. */
function logSumExp(x: F32, o: number, n: number): number {
  let m = -Infinity;
  for (let j = 0; j < n; j++) if (x[o + j] > m) m = x[o + j];
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let j = 0; j < n; j++) s += Math.exp(x[o + j] - m);
  return m + Math.log(s);
}

export function softmax(out: F32, x: F32, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n, lse = logSumExp(x, o, n);
    for (let j = 0; j < n; j++) out[o + j] = Math.exp(x[o + j] - lse);
  }
}

export function softmaxBackward(dx: F32, y: F32, dy: F32, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let dot = 0;
    for (let j = 0; j < n; j++) dot += dy[o + j] * y[o + j];
    for (let j = 0; j < n; j++) dx[o + j] = y[o + j] * (dy[o + j] - dot);
  }
}

export function logSoftmax(out: F32, x: F32, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n, lse = logSumExp(x, o, n);
    for (let j = 0; j < n; j++) out[o + j] = x[o + j] - lse;
  }
}

export function logSoftmaxBackward(dx: F32, y: F32, dy: F32, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += dy[o + j];
    for (let j = 0; j < n; j++) dx[o + j] = dy[o + j] - Math.exp(y[o + j]) * sum;
  }
}

function checkTarget(t: number, V: number, r: number): void {
  if (!(t >= 0 && t < V)) throw new RangeError(`crossEntropy: target ${t} at row ${r} is outside the vocabulary [0, ${V})`);
}

export function crossEntropyForward(loss: F32, lse: F32, logits: F32, targets: I32, rows: number, V: number, ignoreIndex: number): void {
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    lse[r] = logSumExp(logits, r * V, V);
    if (t === ignoreIndex) { loss[r] = 0; continue; }
    checkTarget(t, V, r);
    loss[r] = lse[r] - logits[r * V + t];
  }
}

export function crossEntropyBackward(dlogits: F32, logits: F32, lse: F32, targets: I32, rowScale: F32, rows: number, V: number, ignoreIndex: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * V, t = targets[r];
    if (t === ignoreIndex) { dlogits.fill(0, o, o + V); continue; }
    checkTarget(t, V, r);
    const s = rowScale[r];
    for (let j = 0; j < V; j++) dlogits[o + j] = s * Math.exp(logits[o + j] - lse[r]);
    dlogits[o + t] -= s;
  }
}
