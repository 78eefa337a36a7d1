// The kernel boundary: every numeric loop of the engine, as flat functions over typed arrays and
// integers. Two backends implement it: `ref` (plain TypeScript, the specification) and `native`
// (C through N-API, threaded and vectorised). Ops in src/engine/ops build autograd on top and never
// loop over elements themselves.
//
// Conventions, shared by both backends:
// - Arrays are row-major and contiguous unless strides are passed; a subarray view is fine (the
//   kernel reads the view's own storage, no copies).
// - Outputs are overwritten (never read), except where a kernel says it accumulates. Element-wise
//   and row kernels allow an output to be the very array of an input (in place).
// - NaN propagates as in PyTorch (relu, max, min, clamp included).
// - Shapes are given in the names: `rows × n` means `rows` rows of `n` contiguous elements.

export type F32 = Float32Array;
export type I32 = Int32Array;

/** Element-wise binary functions, broadcasting by strides (0 on a broadcast dimension). */
export const enum BinaryOp { Add = 0, Sub = 1, Mul = 2, Div = 3, Max = 4, Min = 5, Gt = 6, Eq = 7 }
/** Element-wise unary functions; GELU is the tanh approximation (GPT-2's "gelu_new"). */
export const enum UnaryOp { Exp = 0, Log = 1, Sigmoid = 2, Tanh = 3, Silu = 4, Gelu = 5, Relu = 6, Sqrt = 7, Neg = 8, Abs = 9 }

/** Masks and geometry for fused attention. q: [B, Tq, Hq, D]; k, v: [B, kvCapacity, Hkv, D] of
 * which the first Tk rows per batch are used; out: [B, Tq, Hq, D]; lse: [B, Hq, Tq]. Query i sits
 * at key position qOffset + i (qOffset = Tk − Tq when decoding against a KV cache). Key j is
 * visible to query i iff keyMask (if given, shaped [B, Tk]) is nonzero at [b, j], and either j < prefixLen[b]
 * (prefix-LM: the prefix is seen bidirectionally) or, when causal, j ≤ qOffset + i and (window > 0
 * ⇒ qOffset + i − j < window); non-causal attention sees every unmasked key (the window applies to
 * causal attention only). ALiBi adds
 * −slope[h] · |qOffset + i − j| to the score. A query that sees no key outputs zeros and lse −∞. */
export interface AttentionGeometry {
  B: number; Tq: number; Tk: number; kvCapacity: number;
  Hq: number; Hkv: number; D: number;
  scale: number;
  qOffset: number;
  causal: boolean;
  window: number;
  prefixLen: I32 | null;
  keyMask: I32 | null;
  alibiSlopes: F32 | null;
}

export interface Kernels {
  readonly name: 'ref' | 'native';
  /** Instruction set in use: 'typescript' for ref; 'avx512' | 'avx2' | 'generic' for native. */
  readonly isa: string;
  readonly threads: number;

  /** C[p] = op(A[p]) · op(B[p]) + beta · C[p] for p < batch. op(A) is M×K, stored M×K or, when
   * transA, K×M; op(B) is K×N, stored K×N or, when transB, N×K (a Linear weight). Batch strides
   * in elements; 0 repeats the operand. beta = 0 never reads C (NaN there does not leak). */
  gemm(c: F32, a: F32, b: F32, batch: number, M: number, N: number, K: number,
    transA: boolean, transB: boolean, beta: number, strideA: number, strideB: number, strideC: number): void;

  /** out[i] = op(a[offA(i)], b[offB(i)]) for every index i of `shape` (out contiguous), with
   * offX(i) = Σ i_d · xStrides[d]. Gt/Eq give 1 or 0. */
  binary(op: BinaryOp, out: F32, a: F32, b: F32, shape: I32, aStrides: I32, bStrides: I32): void;
  /** out[i] = cond[offC(i)] != 0 ? a[offA(i)] : b[offB(i)], broadcasting as `binary`. */
  where(out: F32, cond: F32, a: F32, b: F32, shape: I32, condStrides: I32, aStrides: I32, bStrides: I32): void;
  /** out[i] = f(x[i]) for i < n. */
  unary(op: UnaryOp, out: F32, x: F32, n: number): void;
  /** dx[i] = dy[i] · f'(x[i]). Exp, Sigmoid, Tanh and Sqrt read y = f(x) instead of x; the others
   * read x (Neg reads neither). */
  unaryBackward(op: UnaryOp, dx: F32, x: F32, y: F32, dy: F32, n: number): void;
  /** out[i] = x[i] · scale + shift. */
  affine(out: F32, x: F32, n: number, scale: number, shift: number): void;
  /** out[i] = min(max(x[i], lo), hi). */
  clamp(out: F32, x: F32, n: number, lo: number, hi: number): void;
  /** dx[i] = lo ≤ x[i] ≤ hi ? dy[i] : 0. */
  clampBackward(dx: F32, x: F32, dy: F32, n: number, lo: number, hi: number): void;
  /** y[i] += alpha · x[i] (gradient accumulation). */
  axpy(y: F32, x: F32, n: number, alpha: number): void;
  /** out[i] = x[offX(i)] for every index i of `shape` (transpose, permute, strided slice). */
  copyStrided(out: F32, x: F32, shape: I32, xStrides: I32): void;
  /** ACCUMULATES: out[offOut(i)] += x[i] for every index i of `shape` (x contiguous). With 0
   * strides on some dimensions this sums them away: reductions and broadcast gradients. */
  sumInto(out: F32, x: F32, shape: I32, outStrides: I32): void;
  /** Σ x[i]² in float64 (gradient norms). */
  sumSquares(x: F32, n: number): number;
  /** Number of NaN or ±Inf elements. */
  countNonFinite(x: F32, n: number): number;

  /** Row-wise softmax over rows × n. */
  softmax(out: F32, x: F32, rows: number, n: number): void;
  /** dx = y ⊙ (dy − Σ dy ⊙ y), rows × n, y = softmax(x). */
  softmaxBackward(dx: F32, y: F32, dy: F32, rows: number, n: number): void;
  logSoftmax(out: F32, x: F32, rows: number, n: number): void;
  /** dx = dy − exp(y) · Σ dy, y = logSoftmax(x). */
  logSoftmaxBackward(dx: F32, y: F32, dy: F32, rows: number, n: number): void;

  /** Per-row cross-entropy from logits (rows × V) without a probability buffer:
   * lse[r] = log Σ exp(logits[r]); loss[r] = lse[r] − logits[r, t[r]], or 0 (lse still written)
   * when t[r] == ignoreIndex. Throws if a target is outside [0, V) and not ignored. */
  crossEntropyForward(loss: F32, lse: F32, logits: F32, targets: I32, rows: number, V: number, ignoreIndex: number): void;
  /** dlogits[r] = rowScale[r] · (softmax(logits[r]) − onehot(t[r])); zero rows where ignored. */
  crossEntropyBackward(dlogits: F32, logits: F32, lse: F32, targets: I32, rowScale: F32, rows: number, V: number, ignoreIndex: number): void;

  /** y = x · rstd · w with rstd[r] = 1 / sqrt(mean(x[r]²) + eps); rows × C. */
  rmsnormForward(y: F32, rstd: F32, x: F32, w: F32, rows: number, C: number, eps: number): void;
  /** Writes dx (rows × C) and dw (C, summed over rows). */
  rmsnormBackward(dx: F32, dw: F32, dy: F32, x: F32, w: F32, rstd: F32, rows: number, C: number): void;
  /** y = (x − mean) · rstd · w + b, with biased variance. */
  layernormForward(y: F32, mean: F32, rstd: F32, x: F32, w: F32, b: F32, rows: number, C: number, eps: number): void;
  /** Writes dx, dw and db. */
  layernormBackward(dx: F32, dw: F32, db: F32, dy: F32, x: F32, w: F32, mean: F32, rstd: F32, rows: number, C: number): void;

  /** out = silu(gate) ⊙ up. */
  swigluForward(out: F32, gate: F32, up: F32, n: number): void;
  swigluBackward(dgate: F32, dup: F32, dout: F32, gate: F32, up: F32, n: number): void;

  /** Rotary embedding, Hugging Face rotate-half convention, on x: rows × H × D (rows = B·T).
   * Row r uses angle table row pos[r] of cos/sin (each maxPos × D/2): for i < D/2,
   * out[i] = x[i]·c − x[i+D/2]·s and out[i+D/2] = x[i+D/2]·c + x[i]·s. `inverse` rotates by −angle
   * (the backward pass). out may alias x. Throws on a position outside the tables. */
  rope(out: F32, x: F32, cos: F32, sin: F32, pos: I32, rows: number, H: number, D: number, inverse: boolean): void;

  /** out[r] = table[ids[r]] for r < n; rows of C. Throws on an id outside the table. */
  embeddingForward(out: F32, table: F32, ids: I32, n: number, C: number): void;
  /** ACCUMULATES: dtable[ids[r]] += dout[r]. */
  embeddingBackward(dtable: F32, dout: F32, ids: I32, n: number, C: number): void;

  /** Fused attention (see AttentionGeometry); writes out and lse. */
  attentionForward(out: F32, lse: F32, q: F32, k: F32, v: F32, g: AttentionGeometry): void;
  /** Writes dq (like q) and dk, dv (like k, v: all kvCapacity rows, zero past Tk), recomputing
   * the probabilities from lse. */
  attentionBackward(dq: F32, dk: F32, dv: F32, dout: F32, q: F32, k: F32, v: F32, out: F32, lse: F32, g: AttentionGeometry): void;

  /** One AdamW step in place (PyTorch semantics): p −= lr·wd·p; m = β1·m + (1−β1)·g;
   * v = β2·v + (1−β2)·g²; p −= lr · (m / bc1) / (sqrt(v / bc2) + eps), bc = 1 − β^t. */
  adamw(p: F32, g: F32, m: F32, v: F32, n: number, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, bc1: number, bc2: number): void;
}
