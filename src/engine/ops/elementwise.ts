// Element-wise ops with broadcasting: arithmetic, comparisons, where, clamp, and unary maps.
import { BinaryOp, UnaryOp } from '../kernels.js';
import { kernels } from '../backend.js';
import { record } from '../autograd.js';
import { Tensor, zerosLike, type Shape } from '../tensor.js';
import { broadcastShapes, broadcastStrides, sameShape } from './broadcast.js';

type Operand = Tensor | number;

function asTensor(x: Operand, like: Tensor): Tensor {
  return typeof x === 'number' ? Tensor.scalar(x, like.dtype === 'i32' ? 'f32' : like.dtype) : x;
}

/** Sums a broadcast gradient back down to `shape`. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const out = zerosLike(g, shape);
  kernels().sumInto(out.f, g.f, Int32Array.from(g.shape), broadcastStrides(shape, g.shape));
  return out;
}

/** Raw broadcast binary kernel call, no tape. */
function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, name: string): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, name);
  const out = zerosLike(a, shape);
  kernels().binary(op, out.f, a.f, b.f, Int32Array.from(shape), broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape));
  return out;
}

export function add(x: Operand, y: Operand): Tensor {
  const a = asTensor(x, y as Tensor), b = asTensor(y, a);
  return record(binaryRaw(BinaryOp.Add, a, b, 'add'), 'add', [a, b], (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
}

export function sub(x: Operand, y: Operand): Tensor {
  const a = asTensor(x, y as Tensor), b = asTensor(y, a);
  return record(binaryRaw(BinaryOp.Sub, a, b, 'sub'), 'sub', [a, b], (g) => [sumTo(g, a.shape), b.requiresGrad ? scale(sumTo(g, b.shape), -1) : null]);
}

export function mul(x: Operand, y: Operand): Tensor {
  const a = asTensor(x, y as Tensor), b = asTensor(y, a);
  return record(binaryRaw(BinaryOp.Mul, a, b, 'mul'), 'mul', [a, b], (g) => [
    a.requiresGrad ? sumTo(binaryRaw(BinaryOp.Mul, g, b, 'mul'), a.shape) : null,
    b.requiresGrad ? sumTo(binaryRaw(BinaryOp.Mul, g, a, 'mul'), b.shape) : null,
  ]);
}

export function div(x: Operand, y: Operand): Tensor {
  const a = asTensor(x, y as Tensor), b = asTensor(y, a);
  const out = binaryRaw(BinaryOp.Div, a, b, 'div');
  // d(a/b)/db = −(a/b)/b
  return record(out, 'div', [a, b], (g) => {
    const gOverB = binaryRaw(BinaryOp.Div, g, b, 'div');
    return [
      a.requiresGrad ? sumTo(gOverB, a.shape) : null,
      b.requiresGrad ? sumTo(scaleRaw(binaryRaw(BinaryOp.Mul, gOverB, out, 'div'), -1), b.shape) : null,
    ];
  });
}

/** Element-wise maximum/minimum; on ties the gradient is split evenly, as in PyTorch. */
function extremum(op: BinaryOp.Max | BinaryOp.Min, x: Operand, y: Operand): Tensor {
  const a = asTensor(x, y as Tensor), b = asTensor(y, a);
  const name = op === BinaryOp.Max ? 'maximum' : 'minimum';
  return record(binaryRaw(op, a, b, name), name, [a, b], (g) => {
    // share of the gradient going to a: 1 where a wins, 0.5 on ties, 0 where b wins
    const wins = op === BinaryOp.Max ? binaryRaw(BinaryOp.Gt, a, b, name) : binaryRaw(BinaryOp.Gt, b, a, name);
    const ties = binaryRaw(BinaryOp.Eq, a, b, name);
    kernels().axpy(wins.f, ties.f, wins.size, 0.5);
    const ga = binaryRaw(BinaryOp.Mul, g, wins, name);
    const gb = binaryRaw(BinaryOp.Sub, g, ga, name);
    return [a.requiresGrad ? sumTo(ga, a.shape) : null, b.requiresGrad ? sumTo(gb, b.shape) : null];
  });
}

export const maximum = (x: Operand, y: Operand): Tensor => extremum(BinaryOp.Max, x, y);
export const minimum = (x: Operand, y: Operand): Tensor => extremum(BinaryOp.Min, x, y);

/** 1 where x > y, else 0 (no gradient). */
export function greater(x: Operand, y: Operand): Tensor {
  const a = asTensor(x, y as Tensor), b = asTensor(y, a);
  return binaryRaw(BinaryOp.Gt, a, b, 'greater');
}

/** cond ? a : b element-wise, broadcasting all three; cond is a 0/1 float tensor (no gradient). */
export function where(cond: Tensor, x: Operand, y: Operand): Tensor {
  const a = asTensor(x, cond), b = asTensor(y, cond);
  const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape, 'where'), b.shape, 'where');
  const raw = (c: Tensor, p: Tensor, q: Tensor): Tensor => {
    const out = zerosLike(p, shape);
    kernels().where(out.f, c.f, p.f, q.f, Int32Array.from(shape), broadcastStrides(c.shape, shape), broadcastStrides(p.shape, shape), broadcastStrides(q.shape, shape));
    return out;
  };
  const zero = Tensor.scalar(0, a.dtype);
  return record(raw(cond, a, b), 'where', [a, b], (g) => [
    a.requiresGrad ? sumTo(raw(cond, g, zero), a.shape) : null,
    b.requiresGrad ? sumTo(raw(cond, zero, g), b.shape) : null,
  ]);
}

function scaleRaw(x: Tensor, s: number, shift = 0): Tensor {
  const out = zerosLike(x);
  kernels().affine(out.f, x.f, x.size, s, shift);
  return out;
}

/** x · s + shift. */
export function scale(x: Tensor, s: number, shift = 0): Tensor {
  return record(scaleRaw(x, s, shift), 'scale', [x], (g) => [scaleRaw(g, s)]);
}

export const neg = (x: Tensor): Tensor => scale(x, -1);

export function clamp(x: Tensor, lo = -Infinity, hi = Infinity): Tensor {
  const out = zerosLike(x);
  kernels().clamp(out.f, x.f, x.size, lo, hi);
  return record(out, 'clamp', [x], (g) => {
    const dx = zerosLike(x);
    kernels().clampBackward(dx.f, x.f, g.f, x.size, lo, hi);
    return [dx];
  });
}

function unaryOp(op: UnaryOp, name: string) {
  return (x: Tensor): Tensor => {
    const out = zerosLike(x);
    kernels().unary(op, out.f, x.f, x.size);
    return record(out, name, [x], (g) => {
      const dx = zerosLike(x);
      kernels().unaryBackward(op, dx.f, x.f, out.f, g.f, x.size);
      return [dx];
    });
  };
}

export const exp = unaryOp(UnaryOp.Exp, 'exp');
export const log = unaryOp(UnaryOp.Log, 'log');
export const sigmoid = unaryOp(UnaryOp.Sigmoid, 'sigmoid');
export const tanh = unaryOp(UnaryOp.Tanh, 'tanh');
export const silu = unaryOp(UnaryOp.Silu, 'silu');
/** GELU, tanh approximation (GPT-2). */
export const gelu = unaryOp(UnaryOp.Gelu, 'gelu');
export const relu = unaryOp(UnaryOp.Relu, 'relu');
export const sqrt = unaryOp(UnaryOp.Sqrt, 'sqrt');
export const abs = unaryOp(UnaryOp.Abs, 'abs');

export const square = (x: Tensor): Tensor => mul(x, x);
