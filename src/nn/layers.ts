// The basic layers, initialised as GPT-2/LLaMA do (normal(0, 0.02) weights, zero biases, unit
// norm weights), with Hugging Face parameter names.
import { Rng } from '../engine/rng.js';
import { Tensor } from '../engine/tensor.js';
import { embedding, layernorm, linear, rmsnorm } from '../engine/ops/index.js';
import { Module } from './module.js';

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, { bias = true, rng = new Rng(0), std = 0.02 } = {}) {
    super();
    this.weight = this.param('weight', Tensor.randn([outFeatures, inFeatures], rng, std)); // [out, in]
    this.bias = bias ? this.param('bias', Tensor.zeros([outFeatures])) : null;
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(readonly numEmbeddings: number, readonly dim: number, { rng = new Rng(0), std = 0.02 } = {}) {
    super();
    this.weight = this.param('weight', Tensor.randn([numEmbeddings, dim], rng, std));
  }
  forward(ids: Int32Array, shape: readonly number[] = [ids.length]): Tensor {
    return embedding(this.weight, ids, shape);
  }
}

export class RMSNorm extends Module {
  readonly weight: Tensor;
  constructor(readonly dim: number, readonly eps = 1e-6) {
    super();
    this.weight = this.param('weight', Tensor.ones([dim]));
  }
  forward(x: Tensor): Tensor {
    return rmsnorm(x, this.weight, this.eps);
  }
}

export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(readonly dim: number, readonly eps = 1e-5) {
    super();
    this.weight = this.param('weight', Tensor.ones([dim]));
    this.bias = this.param('bias', Tensor.zeros([dim]));
  }
  forward(x: Tensor): Tensor {
    return layernorm(x, this.weight, this.bias, this.eps);
  }
}
