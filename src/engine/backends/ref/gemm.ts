// Reference GEMM: the textbook triple loop, accumulated in float64 so it can serve as the
// specification the native kernel is checked against.
import type { F32 } from '../../kernels.js';

export function gemm(c: F32, a: F32, b: F32, batch: number, M: number, N: number, K: number,
  transA: boolean, transB: boolean, beta: number, strideA: number, strideB: number, strideC: number): void {
  for (let p = 0; p < batch; p++) {
    const oa = p * strideA, ob = p * strideB, oc = p * strideC;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = transA ? a[oa + k * M + i] : a[oa + i * K + k];
          const bv = transB ? b[ob + j * K + k] : b[ob + k * N + j];
          s += av * bv;
        }
        const idx = oc + i * N + j;
        c[idx] = beta === 0 ? s : s + beta * c[idx];
      }
    }
  }
}
