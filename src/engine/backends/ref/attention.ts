// Reference fused attention: one query row at a time, softmax over the visible keys, lse saved so
// backward recomputes the probabilities (the flash-attention recipe without the tiling).
import type { AttentionGeometry, F32 } from '../../kernels.js';

/** Whether query i of batch b sees key j, and its ALiBi bias (see AttentionGeometry). */
export function visible(g: AttentionGeometry, b: number, i: number, j: number): boolean {
  if (g.keyMask && g.keyMask[b * g.Tk + j] === 0) return false;
  if (g.prefixLen && j < g.prefixLen[b]) return true;
  if (!g.causal) return true;
  const qpos = g.qOffset + i;
  return j <= qpos && (g.window <= 0 || qpos - j < g.window);
}

function score(g: AttentionGeometry, q: F32, k: F32, b: number, h: number, i: number, j: number): number {
  const { Tq, Hq, Hkv, D, kvCapacity } = g;
  const qo = ((b * Tq + i) * Hq + h) * D;
  const ko = ((b * kvCapacity + j) * Hkv + Math.floor(h / (Hq / Hkv))) * D;
  let s = 0;
  for (let d = 0; d < D; d++) s += q[qo + d] * k[ko + d];
  s *= g.scale;
  if (g.alibiSlopes) s -= g.alibiSlopes[h] * Math.abs(g.qOffset + i - j);
  return s;
}

export function attentionForward(out: F32, lse: F32, q: F32, k: F32, v: F32, g: AttentionGeometry): void {
  const { B, Tq, Tk, Hq, Hkv, D, kvCapacity } = g;
  const s = new Float64Array(Tk);
  for (let b = 0; b < B; b++) for (let h = 0; h < Hq; h++) for (let i = 0; i < Tq; i++) {
    let m = -Infinity;
    for (let j = 0; j < Tk; j++) {
      s[j] = visible(g, b, i, j) ? score(g, q, k, b, h, i, j) : -Infinity;
      if (s[j] > m) m = s[j];
    }
    const oo = ((b * Tq + i) * Hq + h) * D;
    out.fill(0, oo, oo + D);
    if (m === -Infinity) { lse[(b * Hq + h) * Tq + i] = -Infinity; continue; }
    let sum = 0;
    for (let j = 0; j < Tk; j++) sum += Math.exp(s[j] - m);
    const l = m + Math.log(sum);
    lse[(b * Hq + h) * Tq + i] = l;
    const acc = new Float64Array(D);
    for (let j = 0; j < Tk; j++) {
      if (s[j] === -Infinity) continue;
      const p = Math.exp(s[j] - l), vo = ((b * kvCapacity + j) * Hkv + Math.floor(h / (Hq / Hkv))) * D;
      for (let d = 0; d < D; d++) acc[d] += p * v[vo + d];
    }
    for (let d = 0; d < D; d++) out[oo + d] = acc[d];
  }
}

// With p = softmax(s), o = Σ p·v:  dv_j += p_j·do;  ds_j = p_j·(do·v_j − do·o);
// dq += scale·Σ ds_j·k_j;  dk_j += scale·ds_j·q.
export function attentionBackward(dq: F32, dk: F32, dv: F32, dout: F32, q: F32, k: F32, v: F32, out: F32, lse: F32, g: AttentionGeometry): void {
  const { B, Tq, Tk, Hq, Hkv, D, kvCapacity } = g;
  const dqAcc = new Float64Array(dq.length), dkAcc = new Float64Array(dk.length), dvAcc = new Float64Array(dv.length);
  for (let b = 0; b < B; b++) for (let h = 0; h < Hq; h++) for (let i = 0; i < Tq; i++) {
    const l = lse[(b * Hq + h) * Tq + i];
    if (l === -Infinity) continue;
    const qo = ((b * Tq + i) * Hq + h) * D;
    let di = 0;
    for (let d = 0; d < D; d++) di += dout[qo + d] * out[qo + d];
    for (let j = 0; j < Tk; j++) {
      if (!visible(g, b, i, j)) continue;
      const p = Math.exp(score(g, q, k, b, h, i, j) - l);
      const ko = ((b * kvCapacity + j) * Hkv + Math.floor(h / (Hq / Hkv))) * D;
      let dp = 0;
      for (let d = 0; d < D; d++) {
        dvAcc[ko + d] += p * dout[qo + d];
        dp += dout[qo + d] * v[ko + d];
      }
      const ds = p * (dp - di) * g.scale;
      for (let d = 0; d < D; d++) {
        dqAcc[qo + d] += ds * k[ko + d];
        dkAcc[ko + d] += ds * q[qo + d];
      }
    }
  }
  dq.set(dqAcc);
  dk.set(dkAcc);
  dv.set(dvAcc);
}
