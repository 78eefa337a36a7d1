// Matrix products: matmul (batched, either operand transposed) and linear (x·Wᵀ + b, the layout of
// a PyTorch/Hugging Face Linear weight, [out, in]).
import { kernels } from '../backend.js';
import { record } from '../autograd.js';
import { Tensor, sizeOf, zerosLike } from '../tensor.js';
import { add } from './elementwise.js';
import { reshape } from './shape.js';

export interface MatmulOptions { transA?: boolean; transB?: boolean }

interface Operand { rows: number; cols: number; batch: number }

function describe(t: Tensor, name: string): Operand {
  if (t.ndim < 2) throw new RangeError(`matmul: ${name} must have at least 2 dimensions, got [${t.shape.join(', ')}]${t.at()}`);
  return { rows: t.shape[t.ndim - 2], cols: t.shape[t.ndim - 1], batch: sizeOf(t.shape.slice(0, -2)) };
}

/** C[p] = op(A[p])·op(B[p]) over batches; a batch of 1 (or a 2-D operand) broadcasts; when it is
 * B, the gradient for B sums over A's batches. */
function gemmBatched(c: Tensor, a: Tensor, b: Tensor, batch: number, M: number, N: number, K: number,
  transA: boolean, transB: boolean, aBatched: boolean, bBatched: boolean, accumulateOverBatch: boolean): void {
  const k = kernels();
  if (!accumulateOverBatch) {
    k.gemm(c.f, a.f, b.f, batch, M, N, K, transA, transB, 0, aBatched ? M * K : 0, bBatched ? K * N : 0, M * N);
    return;
  }
  // c is shared by every batch (a broadcast operand's gradient): sum the products into it.
  for (let p = 0; p < batch; p++) {
    k.gemm(c.f, a.f.subarray(aBatched ? p * M * K : 0), b.f.subarray(bBatched ? p * K * N : 0), 1, M, N, K, transA, transB, p === 0 ? 0 : 1, 0, 0, 0);
  }
}

export function matmul(a: Tensor, b: Tensor, { transA = false, transB = false }: MatmulOptions = {}): Tensor {
  const A = describe(a, 'A'), B = describe(b, 'B');
  const [M, K] = transA ? [A.cols, A.rows] : [A.rows, A.cols];
  const [K2, N] = transB ? [B.cols, B.rows] : [B.rows, B.cols];
  if (K !== K2 || (A.batch !== B.batch && A.batch !== 1 && B.batch !== 1)) {
    throw new RangeError(`matmul: [${a.shape.join(', ')}]${transA ? 'ᵀ' : ''} × [${b.shape.join(', ')}]${transB ? 'ᵀ' : ''} do not match${a.at() || b.at()}`);
  }
  // A 2-D right operand and an untransposed batched left one: fold the batch into rows (one GEMM).
  if (B.batch === 1 && b.ndim === 2 && A.batch > 1 && !transA) {
    const out = matmul(reshape(a, [A.batch * M, K]), b, { transB });
    return reshape(out, [...a.shape.slice(0, -2), M, N]);
  }
  const batch = Math.max(A.batch, B.batch);
  const lead = (A.batch >= B.batch ? a : b).shape.slice(0, -2);
  const aB = A.batch > 1 || batch === 1, bB = B.batch > 1 || batch === 1;
  const out = zerosLike(a, [...lead, M, N]);
  gemmBatched(out, a, b, batch, M, N, K, transA, transB, aB, bB, false);
  return record(out, 'matmul', [a, b], (g) => {
    let da: Tensor | null = null, db: Tensor | null = null;
    if (a.requiresGrad) {
      da = zerosLike(a);
      // op(A) = A:  dA = dC·op(B)ᵀ;   op(A) = Aᵀ:  dA = op(B)·dCᵀ
      if (!transA) gemmBatched(da, g, b, batch, M, K, N, false, !transB, true, bB, !aB);
      else gemmBatched(da, b, g, batch, K, M, N, transB, true, bB, true, !aB);
    }
    if (b.requiresGrad) {
      db = zerosLike(b);
      // op(B) = B:  dB = op(A)ᵀ·dC;   op(B) = Bᵀ:  dB = dCᵀ·op(A)
      if (!transB) gemmBatched(db, a, g, batch, K, N, M, !transA, false, aB, true, !bB);
      else gemmBatched(db, g, a, batch, N, K, M, true, transA, true, aB, !bB);
    }
    return [da, db];
  });
}

/** y = x·Wᵀ + bias for x [..., in], W [out, in], bias [out]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const y = matmul(x.ndim === 1 ? reshape(x, [1, x.shape[0]]) : x, weight, { transB: true });
  const shaped = x.ndim === 1 ? reshape(y, [weight.shape[0]]) : y;
  return bias ? add(shaped, bias) : shaped;
}
