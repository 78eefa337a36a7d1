// Reference SwiGLU, rotary embedding, embedding gather/scatter and the fused AdamW step.
import type { F32, I32 } from '../../kernels.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function swigluForward(out: F32, gate: F32, up: F32, n: number): void {
  for (let i = 0; i < n; i++) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
}

export function swigluBackward(dgate: F32, dup: F32, dout: F32, gate: F32, up: F32, n: number): void {
  for (let i = 0; i < n; i++) {
    const s = sigmoid(gate[i]);
    dup[i] = dout[i] * gate[i] * s;
    dgate[i] = dout[i] * up[i] * s * (1 + gate[i] * (1 - s));
  }
}

export function rope(out: F32, x: F32, cos: F32, sin: F32, pos: I32, rows: number, H: number, D: number, inverse: boolean): void {
  const half = D >> 1, sign = inverse ? -1 : 1, maxPos = cos.length / half;
  for (let r = 0; r < rows; r++) {
    if (!(pos[r] >= 0 && pos[r] < maxPos)) throw new RangeError(`rope: position ${pos[r]} at row ${r} is outside the tables [0, ${maxPos})`);
    const t = pos[r] * half;
    for (let h = 0; h < H; h++) {
      const o = (r * H + h) * D;
      for (let i = 0; i < half; i++) {
        const c = cos[t + i], s = sign * sin[t + i];
        const x1 = x[o + i], x2 = x[o + i + half];
        out[o + i] = x1 * c - x2 * s;
        out[o + i + half] = x2 * c + x1 * s;
      }
    }
  }
}

function checkId(id: number, rowsInTable: number, r: number): void {
  if (!(id >= 0 && id < rowsInTable)) throw new RangeError(`embedding: id ${id} at position ${r} is outside the table [0, ${rowsInTable})`);
}

export function embeddingForward(out: F32, table: F32, ids: I32, n: number, C: number): void {
  const V = Math.floor(table.length / C);
  for (let r = 0; r < n; r++) {
    checkId(ids[r], V, r);
    out.set(table.subarray(ids[r] * C, ids[r] * C + C), r * C);
  }
}

export function embeddingBackward(dtable: F32, dout: F32, ids: I32, n: number, C: number): void {
  const V = Math.floor(dtable.length / C);
  for (let r = 0; r < n; r++) {
    checkId(ids[r], V, r);
    const o = ids[r] * C;
    for (let c = 0; c < C; c++) dtable[o + c] += dout[r * C + c];
  }
}

export function adamw(p: F32, g: F32, m: F32, v: F32, n: number, lr: number, beta1: number, beta2: number,
  eps: number, weightDecay: number, bc1: number, bc2: number): void {
  const decay = 1 - lr * weightDecay;
  for (let i = 0; i < n; i++) {
    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
    p[i] = p[i] * decay - lr * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + eps);
  }
}
