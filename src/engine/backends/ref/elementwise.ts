// Reference element-wise kernels: broadcasting by strides, unary maps and their derivatives.
import { BinaryOp, UnaryOp, type F32, type I32 } from '../../kernels.js';

/** Calls visit(i, offsets...) for every index of `shape` in row-major order, i being the
 * contiguous position and offsets the positions under each stride vector. */
function forEachIndex(shape: I32, strides: I32[], visit: (i: number, offs: number[]) => void): void {
  const nd = shape.length;
  let total = 1;
  for (let d = 0; d < nd; d++) total *= shape[d];
  if (total === 0) return;
  const idx = new Array<number>(nd).fill(0);
  const offs = strides.map(() => 0);
  for (let i = 0; i < total; i++) {
    visit(i, offs);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      for (let s = 0; s < strides.length; s++) offs[s] += strides[s][d];
      if (idx[d] < shape[d]) break;
      for (let s = 0; s < strides.length; s++) offs[s] -= strides[s][d] * shape[d];
      idx[d] = 0;
    }
  }
}

function binaryFn(op: BinaryOp): (x: number, y: number) => number {
  switch (op) {
    case BinaryOp.Add: return (x, y) => x + y;
    case BinaryOp.Sub: return (x, y) => x - y;
    case BinaryOp.Mul: return (x, y) => x * y;
    case BinaryOp.Div: return (x, y) => x / y;
    // NaN propagates as in torch.maximum/minimum.
    case BinaryOp.Max: return (x, y) => (x !== x || y !== y ? NaN : x > y ? x : y);
    case BinaryOp.Min: return (x, y) => (x !== x || y !== y ? NaN : x < y ? x : y);
    case BinaryOp.Gt: return (x, y) => (x > y ? 1 : 0);
    case BinaryOp.Eq: return (x, y) => (x === y ? 1 : 0);
  }
}

export function binary(op: BinaryOp, out: F32, a: F32, b: F32, shape: I32, aStrides: I32, bStrides: I32): void {
  const f = binaryFn(op);
  forEachIndex(shape, [aStrides, bStrides], (i, [oa, ob]) => { out[i] = f(a[oa], b[ob]); });
}

export function where(out: F32, cond: F32, a: F32, b: F32, shape: I32, condStrides: I32, aStrides: I32, bStrides: I32): void {
  forEachIndex(shape, [condStrides, aStrides, bStrides], (i, [oc, oa, ob]) => { out[i] = cond[oc] !== 0 ? a[oa] : b[ob]; });
}

export function copyStrided(out: F32, x: F32, shape: I32, xStrides: I32): void {
  forEachIndex(shape, [xStrides], (i, [ox]) => { out[i] = x[ox]; });
}

export function sumInto(out: F32, x: F32, shape: I32, outStrides: I32): void {
  forEachIndex(shape, [outStrides], (i, [oo]) => { out[oo] += x[i]; });
}

const GELU_C = Math.sqrt(2 / Math.PI);
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function unaryFn(op: UnaryOp): (x: number) => number {
  switch (op) {
    case UnaryOp.Exp: return Math.exp;
    case UnaryOp.Log: return Math.log;
    case UnaryOp.Sigmoid: return sigmoid;
    case UnaryOp.Tanh: return Math.tanh;
    case UnaryOp.Silu: return (x) => x * sigmoid(x);
    case UnaryOp.Gelu: return (x) => 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
    case UnaryOp.Relu: return (x) => (x > 0 || x !== x ? x : 0);
    case UnaryOp.Sqrt: return Math.sqrt;
    case UnaryOp.Neg: return (x) => -x;
    case UnaryOp.Abs: return Math.abs;
  }
}

/** f'(x), given x and y = f(x). */
function unaryGrad(op: UnaryOp): (x: number, y: number) => number {
  switch (op) {
    case UnaryOp.Exp: return (_x, y) => y;
    case UnaryOp.Log: return (x) => 1 / x;
    case UnaryOp.Sigmoid: return (_x, y) => y * (1 - y);
    case UnaryOp.Tanh: return (_x, y) => 1 - y * y;
    case UnaryOp.Silu: return (x) => { const s = sigmoid(x); return s * (1 + x * (1 - s)); };
    case UnaryOp.Gelu: return (x) => {
      const u = GELU_C * (x + 0.044715 * x * x * x);
      const t = Math.tanh(u);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
    };
    case UnaryOp.Relu: return (x) => (x > 0 ? 1 : 0);
    case UnaryOp.Sqrt: return (_x, y) => 0.5 / y;
    case UnaryOp.Neg: return () => -1;
    case UnaryOp.Abs: return (x) => Math.sign(x);
  }
}

export function unary(op: UnaryOp, out: F32, x: F32, n: number): void {
  const f = unaryFn(op);
  for (let i = 0; i < n; i++) out[i] = f(x[i]);
}

export function unaryBackward(op: UnaryOp, dx: F32, x: F32, y: F32, dy: F32, n: number): void {
  const g = unaryGrad(op);
  for (let i = 0; i < n; i++) dx[i] = dy[i] * g(x[i], y[i]);
}

export function affine(out: F32, x: F32, n: number, scale: number, shift: number): void {
  for (let i = 0; i < n; i++) out[i] = x[i] * scale + shift;
}

export function clamp(out: F32, x: F32, n: number, lo: number, hi: number): void {
  for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(x[i], lo), hi);
}

export function clampBackward(dx: F32, x: F32, dy: F32, n: number, lo: number, hi: number): void {
  for (let i = 0; i < n; i++) dx[i] = x[i] >= lo && x[i] <= hi ? dy[i] : 0;
}

export function axpy(y: F32, x: F32, n: number, alpha: number): void {
  for (let i = 0; i < n; i++) y[i] += alpha * x[i];
}

export function sumSquares(x: F32, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * x[i];
  return s;
}

export function countNonFinite(x: F32, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i])) c++;
  return c;
}
