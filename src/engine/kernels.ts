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

/** Storage of an inference weight: float32 (the model's own array), bfloat16 or int8 (packed). */
export type WeightDtype = 'f32' | 'bf16' | 'int8';

/** Packed inference weights (native/kernels.h has the byte layouts): rows come in groups of
 * QGROUP (N rounded up, pad rows zero), so one vector load holds a group's values of a few k.
 * int8: q [Np·Kp] (Kp = K rounded up to QBLOCK), one float16-representable scale per row
 * (≥ max|row| / 127, so Q8_0 files hold it exactly), and wsum [Np·Kp/QBLOCK] (128 · each block's
 * sum of q: the VNNI kernels' offset correction). bf16: w [Np·Kp] (Kp = K rounded up to even). */
export const QGROUP = 16, QBLOCK = 32;
export const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;
export const int8Sizes = (N: number, K: number): { q: number; scales: number; wsum: number } => ({
  q: roundUp(N, QGROUP) * roundUp(K, QBLOCK), scales: roundUp(N, QGROUP), wsum: roundUp(N, QGROUP) * (roundUp(K, QBLOCK) / QBLOCK),
});
export const bf16Size = (N: number, K: number): number => roundUp(N, QGROUP) * roundUp(K, 2);
/** Where W[n][k] of a [N, K] weight sits in the packed int8 array q. */
export const int8Index = (n: number, k: number, K: number): number =>
  ((Math.floor(n / QGROUP) * (roundUp(K, QBLOCK) / 4) + Math.floor(k / 4)) * QGROUP + (n % QGROUP)) * 4 + (k % 4);
/** Where W[n][k] sits in the packed bfloat16 array. */
export const bf16Index = (n: number, k: number, K: number): number =>
  ((Math.floor(n / QGROUP) * (roundUp(K, 2) / 2) + Math.floor(k / 2)) * QGROUP + (n % QGROUP)) * 2 + (k % 2);

/** A Linear weight [N, K] (and bias [N]) as the fused decoder reads it. */
export type InferenceLinear = { N: number; K: number; bias: F32 | null } & (
  | { dtype: 'f32'; w: F32 }
  | { dtype: 'bf16'; w: Uint16Array }
  | { dtype: 'int8'; w: Int8Array; scales: F32; wsum: I32 });

export interface DecoderLayerWeights {
  /** Pre-attention and pre-MLP norms (biases only for LayerNorm). */
  norm1: F32; norm1Bias: F32 | null; norm2: F32; norm2Bias: F32 | null;
  q: InferenceLinear; k: InferenceLinear; v: InferenceLinear; o: InferenceLinear;
  /** SwiGLU: down(silu(gate x) ⊙ up x); GELU (gate null): down(gelu(up x)). */
  gate: InferenceLinear | null; up: InferenceLinear; down: InferenceLinear;
}

/** A pre-norm decoder for decoderForward: C wide, Hq query and Hkv key/value heads of D, MLP F. */
export interface DecoderSpec {
  C: number; Hq: number; Hkv: number; D: number; F: number; V: number;
  norm: 'rms' | 'layer'; eps: number;
  /** Token table [V, C], looked up by row (stored like a Linear weight). */
  embed: InferenceLinear;
  /** Learned or sinusoidal positions [rows, C] added to the embedding, or null. */
  positions: F32 | null;
  layers: DecoderLayerWeights[];
  finalNorm: F32; finalNormBias: F32 | null;
  /** LM head [V, C] (the embed object itself when tied). */
  head: InferenceLinear;
  /** Also keep each float32 weight in the GEMM's packed layout, so products with several rows
   * (prompts, batched steps) skip packing it: one more copy of the weights, and a snapshot (for
   * weights that keep training, make a new decoder). The results are the same bits either way. */
  packF32: boolean;
}

/** What decoderCreate returns: the spec, bound to a backend's state. */
export interface DecoderHandle { readonly spec: DecoderSpec }

/** One cached forward: T new tokens for each of B rows, their keys and values written at cache
 * column `start`; attention as attentionForward with qOffset = start, Tk = start + T. */
export interface DecoderStep {
  ids: I32; pos: I32; B: number; T: number;
  /** Per layer [B, capacity, Hkv, D]. */
  cacheK: F32[]; cacheV: F32[]; capacity: number; start: number;
  keyMask: I32 | null; prefixLen: I32 | null; window: number; scale: number;
  /** RoPE tables [rows, D/2] (pos indexes them), or null; ALiBi slopes [Hq] or null. */
  cos: F32 | null; sin: F32 | null; alibi: F32 | null;
  /** [B, V]: each row's last position; with allPositions [B·T, V]. */
  logits: F32; allPositions: boolean;
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

  /** Packs W [N, K] as int8 (see int8Sizes): s = the smallest float16 ≥ max|row| / 127, q =
   * round-half-even(w / s) in [−127, 127] (0 for a zero row). */
  quantizeInt8(q: Int8Array, scales: F32, wsum: I32, w: F32, N: number, K: number): void;
  /** y [M, N] = x [M, K] · Wᵀ on int8 weights: each row of x is quantised per 32-wide block j
   * (d = amax/127, xq = round-half-even(x · fl(127/amax)); a non-finite value makes d NaN), then
   * y = fl(s[n] · acc), acc = fma(d_j, isum_j, acc) over j in order, isum_j the exact integer dot
   * product of the block. */
  linearInt8(y: F32, x: F32, q: Int8Array, scales: F32, wsum: I32, M: number, N: number, K: number): void;
  /** Packs W [N, K] as bfloat16 (round half to even; below the smallest normal → ±0). */
  packBf16(out: Uint16Array, w: F32, N: number, K: number): void;
  /** y [M, N] = x [M, K] · Wᵀ on bfloat16 weights, x rounded to bfloat16 as the weights: each
   * product is exact in float32 and added by one rounding, k in order, but within each pair
   * (2t, 2t+1) the odd term first (AVX512-BF16's vdpbf16ps order). */
  linearBf16(y: F32, x: F32, w: Uint16Array, M: number, N: number, K: number): void;

  /** Binds a decoder's weights for decoderForward (the arrays are read in place, not copied). */
  decoderCreate(spec: DecoderSpec): DecoderHandle;
  /** A whole cached forward (embedding, every layer, final norm, LM head) in one call: the
   * sequence of kernels of the model's op-by-op forward (src/engine/backends/ref/decoder.ts), and
   * with float32 weights on the native backend the same bits. Writes the cache and the logits. */
  decoderForward(h: DecoderHandle, step: DecoderStep): void;

  /** One AdamW step in place (PyTorch semantics): p −= lr·wd·p; m = β1·m + (1−β1)·g;
   * v = β2·v + (1−β2)·g²; p −= lr · (m / bc1) / (sqrt(v / bc2) + eps), bc = 1 − β^t. */
  adamw(p: F32, g: F32, m: F32, v: F32, n: number, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, bc1: number, bc2: number): void;
}
