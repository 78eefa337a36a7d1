// The fused decoder's specification: one cached forward of a pre-norm decoder written as the
// sequence of kernel calls the model's op-by-op forward makes (src/models/decoder.ts, attention.ts,
// mlp.ts), on any backend's kernels. The native decoderForward (native/decoder.c) runs the same
// sequence in C; with float32 weights and the native kernels the two give the same bits, which
// test/models/fast-decode.test.ts checks.
import { UnaryOp, type DecoderHandle, type DecoderSpec, type DecoderStep, type F32, type InferenceLinear, type Kernels } from '../../kernels.js';
import { unpackBf16Row, unpackInt8Row } from './quant.js';

/** y [M, N] = x [M, K] · Wᵀ + bias, as linear() does: the GEMM (or the packed layer), then the
 * bias added as its own element-wise op. */
export function inferenceLinear(k: Kernels, y: F32, x: F32, w: InferenceLinear, M: number): void {
  const { N, K } = w;
  if (w.dtype === 'f32') k.gemm(y, x, w.w, 1, M, N, K, false, true, 0, 0, 0, 0);
  else if (w.dtype === 'int8') k.linearInt8(y, x, w.w, w.scales, w.wsum, M, N, K);
  else k.linearBf16(y, x, w.w, M, N, K);
  if (w.bias) for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) y[m * N + n] = Math.fround(y[m * N + n] + w.bias[n]);
}

/** Row `id` of a weight stored like a Linear [V, C] (the token table). */
export function inferenceRow(out: F32, w: InferenceLinear, id: number): void {
  if (w.dtype === 'f32') out.set(w.w.subarray(id * w.K, (id + 1) * w.K));
  else if (w.dtype === 'int8') unpackInt8Row(out, w.w, w.scales, id, w.K);
  else unpackBf16Row(out, w.w, id, w.K);
}

const addInto = (x: F32, y: F32): void => { for (let i = 0; i < x.length; i++) x[i] = Math.fround(x[i] + y[i]); };

function norm(k: Kernels, spec: DecoderSpec, y: F32, x: F32, w: F32, b: F32 | null, rows: number): void {
  if (spec.norm === 'rms') k.rmsnormForward(y, new Float32Array(rows), x, w, rows, spec.C, spec.eps);
  else k.layernormForward(y, new Float32Array(rows), new Float32Array(rows), x, w, b!, rows, spec.C, spec.eps);
}

/** decoderForward's reference: `k` supplies every kernel (the reference or the native backend). */
export function decoderForward(k: Kernels, h: DecoderHandle, s: DecoderStep): void {
  const spec = h.spec, { C, Hq, Hkv, D, F, V } = spec, { B, T } = s, M = B * T;
  const wq = Hq * D, wk = Hkv * D;
  const x = new Float32Array(M * C), xn = new Float32Array(M * C);
  for (let m = 0; m < M; m++) {
    const row = x.subarray(m * C, (m + 1) * C);
    inferenceRow(row, spec.embed, s.ids[m]);
    if (spec.positions) addInto(row, spec.positions.subarray(s.pos[m] * C, (s.pos[m] + 1) * C));
  }
  const q = new Float32Array(M * wq), kx = new Float32Array(M * wk), vx = new Float32Array(M * wk);
  const att = new Float32Array(M * wq), lse = new Float32Array(B * Hq * T), o = new Float32Array(M * C);
  const h1 = new Float32Array(M * F), h2 = new Float32Array(M * F);
  spec.layers.forEach((layer, l) => {
    norm(k, spec, xn, x, layer.norm1, layer.norm1Bias, M);
    inferenceLinear(k, q, xn, layer.q, M);
    inferenceLinear(k, kx, xn, layer.k, M);
    inferenceLinear(k, vx, xn, layer.v, M);
    if (s.cos && s.sin) {
      k.rope(q, q, s.cos, s.sin, s.pos, M, Hq, D, false);
      k.rope(kx, kx, s.cos, s.sin, s.pos, M, Hkv, D, false);
    }
    // This call's keys and values go into cache columns [start, start + T) of each row.
    for (let b = 0; b < B; b++) {
      const dst = (b * s.capacity + s.start) * wk;
      s.cacheK[l].set(kx.subarray(b * T * wk, (b + 1) * T * wk), dst);
      s.cacheV[l].set(vx.subarray(b * T * wk, (b + 1) * T * wk), dst);
    }
    k.attentionForward(att, lse, q, s.cacheK[l], s.cacheV[l], {
      B, Tq: T, Tk: s.start + T, kvCapacity: s.capacity, Hq, Hkv, D, scale: s.scale, qOffset: s.start, causal: true,
      window: s.window, prefixLen: s.prefixLen, keyMask: s.keyMask, alibiSlopes: s.alibi,
    });
    inferenceLinear(k, o, att, layer.o, M);
    addInto(x, o);
    norm(k, spec, xn, x, layer.norm2, layer.norm2Bias, M);
    if (layer.gate) {
      inferenceLinear(k, h1, xn, layer.gate, M);
      inferenceLinear(k, h2, xn, layer.up, M);
      k.swigluForward(h1, h1, h2, M * F);
    } else {
      inferenceLinear(k, h1, xn, layer.up, M);
      k.unary(UnaryOp.Gelu, h1, h1, M * F);
    }
    inferenceLinear(k, o, h1, layer.down, M);
    addInto(x, o);
  });
  const R = s.allPositions ? M : B, rows = new Float32Array(R * C), normed = new Float32Array(R * C);
  for (let r = 0; r < R; r++) {
    const m = s.allPositions ? r : r * T + T - 1;
    rows.set(x.subarray(m * C, (m + 1) * C), r * C);
  }
  norm(k, spec, normed, rows, spec.finalNorm, spec.finalNormBias, R);
  inferenceLinear(k, s.logits.subarray(0, R * V), normed, spec.head, R);
}
