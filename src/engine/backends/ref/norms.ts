// Reference RMSNorm (LLaMA) and LayerNorm (GPT-2); forward saves rstd (and mean) for backward.
import type { F32 } from '../../kernels.js';

export function rmsnormForward(y: F32, rstd: F32, x: F32, w: F32, rows: number, C: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[o + c] * x[o + c];
    const rs = 1 / Math.sqrt(ss / C + eps);
    rstd[r] = rs;
    for (let c = 0; c < C; c++) y[o + c] = x[o + c] * rs * w[c];
  }
}

// y = w·x̂ with x̂ = x·rstd  ⇒  dx = rstd·(w·dy − x̂·mean(w·dy·x̂)), dw = Σ_rows dy·x̂
export function rmsnormBackward(dx: F32, dw: F32, dy: F32, x: F32, w: F32, rstd: F32, rows: number, C: number): void {
  const acc = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    const o = r * C, rs = rstd[r];
    let dot = 0;
    for (let c = 0; c < C; c++) dot += dy[o + c] * w[c] * x[o + c] * rs;
    dot /= C;
    for (let c = 0; c < C; c++) {
      const xhat = x[o + c] * rs;
      dx[o + c] = rs * (dy[o + c] * w[c] - xhat * dot);
      acc[c] += dy[o + c] * xhat;
    }
  }
  for (let c = 0; c < C; c++) dw[c] = acc[c];
}

export function layernormForward(y: F32, mean: F32, rstd: F32, x: F32, w: F32, b: F32, rows: number, C: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    let m = 0;
    for (let c = 0; c < C; c++) m += x[o + c];
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[o + c] - m) ** 2;
    const rs = 1 / Math.sqrt(v / C + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let c = 0; c < C; c++) y[o + c] = (x[o + c] - m) * rs * w[c] + b[c];
  }
}

// x̂ = (x − mean)·rstd, g = w·dy  ⇒  dx = rstd·(g − mean(g) − x̂·mean(g·x̂))
export function layernormBackward(dx: F32, dw: F32, db: F32, dy: F32, x: F32, w: F32, mean: F32, rstd: F32, rows: number, C: number): void {
  const accW = new Float64Array(C), accB = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    const o = r * C, m = mean[r], rs = rstd[r];
    let gMean = 0, gxMean = 0;
    for (let c = 0; c < C; c++) {
      const g = w[c] * dy[o + c];
      gMean += g;
      gxMean += g * (x[o + c] - m) * rs;
    }
    gMean /= C;
    gxMean /= C;
    for (let c = 0; c < C; c++) {
      const xhat = (x[o + c] - m) * rs;
      dx[o + c] = rs * (w[c] * dy[o + c] - gMean - xhat * gxMean);
      accW[c] += dy[o + c] * xhat;
      accB[c] += dy[o + c];
    }
  }
  for (let c = 0; c < C; c++) { dw[c] = accW[c]; db[c] = accB[c]; }
}
