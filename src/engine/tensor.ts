// The Tensor: a shape over contiguous row-major storage, plus what autograd needs (the tape node
// that made it, and the gradient of a leaf). float32 is the working type; int32 holds token ids;
// float64 runs on the reference kernels only, so gradient checks can use exact finite differences.
import { Rng } from './rng.js';
import { backward } from './autograd.js';

export type DType = 'f32' | 'f64' | 'i32';
export type FloatArray = Float32Array | Float64Array;
export type Storage = FloatArray | Int32Array;
export type Shape = readonly number[];

/** A recorded operation: its inputs and how to map the output's gradient to theirs. */
export interface TapeNode {
  op: string;
  inputs: Tensor[];
  /** Gradients for each input (null where an input needs none), same shapes as the inputs. */
  backward(grad: Tensor): (Tensor | null)[];
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(shape: Shape): void {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid shape [${shape.join(', ')}]`);
}

function dtypeOf(data: Storage): DType {
  return data instanceof Float32Array ? 'f32' : data instanceof Float64Array ? 'f64' : 'i32';
}

function allocate(dtype: DType, n: number): Storage {
  return dtype === 'f32' ? new Float32Array(n) : dtype === 'f64' ? new Float64Array(n) : new Int32Array(n);
}

export class Tensor {
  readonly data: Storage;
  readonly shape: Shape;
  /** Leaf tensors with requiresGrad collect `.grad` in backward(); ops propagate the flag. */
  requiresGrad = false;
  grad: Tensor | null = null;
  /** The op that produced this tensor (null for leaves and under noGrad). */
  node: TapeNode | null = null;
  /** Optional label (parameter name) used in error messages. */
  name?: string;

  constructor(data: Storage, shape: Shape) {
    checkShape(shape);
    if (data.length !== sizeOf(shape)) {
      throw new RangeError(`Tensor: ${data.length} elements do not fill shape [${shape.join(', ')}]`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  get dtype(): DType { return dtypeOf(this.data); }
  get size(): number { return this.data.length; }
  get ndim(): number { return this.shape.length; }

  /** The float storage (float32, or float64 in gradient checks); throws for int32 tensors. */
  get f(): Float32Array {
    if (this.data instanceof Int32Array) throw new TypeError(`expected a float tensor, got int32${this.at()}`);
    // Kernels are typed for float32; float64 storage is accepted by the reference kernels only.
    return this.data as Float32Array;
  }

  /** The int32 storage; throws for float tensors. */
  get i(): Int32Array {
    if (!(this.data instanceof Int32Array)) throw new TypeError(`expected an int32 tensor, got ${this.dtype}${this.at()}`);
    return this.data;
  }

  /** " at <name>" for error messages, or "". */
  at(): string { return this.name ? ` at ${this.name}` : ''; }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item(): tensor has ${this.size} elements, shape [${this.shape.join(', ')}]`);
    return this.data[0];
  }

  /** Nested arrays, for printing and tests. */
  toArray(): unknown {
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.ndim) return this.data[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** Back-propagates from this scalar (see autograd.backward). */
  backward(grad?: Tensor): void {
    backward(this, grad);
  }

  /** Same storage, no history: gradients stop here. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy with its own storage and no history. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Marks a leaf as trainable (returns this, for chaining). */
  requireGrad(on = true): this {
    if (this.dtype === 'i32') throw new TypeError('int32 tensors cannot require gradients');
    this.requiresGrad = on;
    return this;
  }

  toString(): string {
    return `Tensor(${this.dtype} [${this.shape.join(', ')}]${this.name ? ' ' + this.name : ''})`;
  }

  // ---- creation ------------------------------------------------------------------------------
  static empty(shape: Shape, dtype: DType = 'f32'): Tensor {
    checkShape(shape);
    return new Tensor(allocate(dtype, sizeOf(shape)), shape);
  }
  static zeros(shape: Shape, dtype: DType = 'f32'): Tensor {
    return Tensor.empty(shape, dtype);
  }
  static full(shape: Shape, value: number, dtype: DType = 'f32'): Tensor {
    const t = Tensor.empty(shape, dtype);
    t.data.fill(value);
    return t;
  }
  static ones(shape: Shape, dtype: DType = 'f32'): Tensor {
    return Tensor.full(shape, 1, dtype);
  }
  static scalar(value: number, dtype: DType = 'f32'): Tensor {
    return Tensor.full([], value, dtype);
  }
  /** From nested arrays or a flat array with a shape. */
  static from(values: ArrayLike<number> | unknown[], shape?: Shape, dtype: DType = 'f32'): Tensor {
    const flat: number[] = [];
    const inferred: number[] = [];
    const walk = (v: unknown, depth: number): void => {
      if (Array.isArray(v)) {
        if (inferred.length <= depth) inferred.push(v.length);
        else if (inferred[depth] !== v.length) throw new RangeError('Tensor.from: ragged nested array');
        for (const x of v) walk(x, depth + 1);
      } else flat.push(Number(v));
    };
    if (Array.isArray(values)) walk(values, 0);
    else for (let i = 0; i < values.length; i++) flat.push(values[i]);
    const s = shape ?? (Array.isArray(values) ? inferred : [flat.length]);
    const t = Tensor.empty(s, dtype);
    if (flat.length !== t.size) throw new RangeError(`Tensor.from: ${flat.length} values for shape [${s.join(', ')}]`);
    t.data.set(flat);
    return t;
  }
  static randn(shape: Shape, rng: Rng, std = 1, dtype: DType = 'f32'): Tensor {
    const t = Tensor.empty(shape, dtype);
    rng.fillNormal(t.data as FloatArray, 0, std);
    return t;
  }
  static uniform(shape: Shape, rng: Rng, lo = 0, hi = 1, dtype: DType = 'f32'): Tensor {
    const t = Tensor.empty(shape, dtype);
    rng.fillUniform(t.data as FloatArray, lo, hi);
    return t;
  }
}

/** A tensor of the same float type as `like`, zero-filled. */
export function zerosLike(like: Tensor, shape: Shape = like.shape): Tensor {
  return Tensor.zeros(shape, like.dtype === 'i32' ? 'f32' : like.dtype);
}
