// The dense feed-forward blocks: LLaMA's gated SwiGLU MLP and GPT-2's GELU MLP.
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { gelu, swiglu } from '../engine/ops/index.js';
import { Linear, Module } from '../nn/index.js';
import type { ModelConfig } from './config.js';

const residualStd = (cfg: ModelConfig): number => 0.02 / Math.sqrt(2 * cfg.numLayers);

/** down(silu(gate(x)) ⊙ up(x)); x [..., C] → [..., C]. */
export class GatedMlp extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;
  constructor(cfg: ModelConfig, rng: Rng) {
    super();
    const { hiddenSize: C, intermediateSize: F, mlpBias: bias } = cfg;
    this.gate_proj = this.child('gate_proj', new Linear(C, F, { bias, rng }));
    this.up_proj = this.child('up_proj', new Linear(C, F, { bias, rng }));
    this.down_proj = this.child('down_proj', new Linear(F, C, { bias, rng, std: residualStd(cfg) }));
  }
  forward(x: Tensor): Tensor {
    return this.down_proj.forward(swiglu(this.gate_proj.forward(x), this.up_proj.forward(x)));
  }
}

/** down(gelu_tanh(up(x))); GPT-2 stores these as c_fc and c_proj. */
export class GeluMlp extends Module {
  readonly up_proj: Linear;
  readonly down_proj: Linear;
  constructor(cfg: ModelConfig, rng: Rng) {
    super();
    const { hiddenSize: C, intermediateSize: F, mlpBias: bias } = cfg;
    this.up_proj = this.child('up_proj', new Linear(C, F, { bias, rng }));
    this.down_proj = this.child('down_proj', new Linear(F, C, { bias, rng, std: residualStd(cfg) }));
  }
  forward(x: Tensor): Tensor {
    return this.down_proj.forward(gelu(this.up_proj.forward(x)));
  }
}

/** One Mixtral expert: w2(silu(w1 x) ⊙ w3 x), Mixtral's names for gate, down and up. */
export class Expert extends Module {
  readonly w1: Linear;
  readonly w2: Linear;
  readonly w3: Linear;
  constructor(cfg: ModelConfig, rng: Rng) {
    super();
    const { hiddenSize: C, intermediateSize: F } = cfg;
    this.w1 = this.child('w1', new Linear(C, F, { bias: false, rng }));
    this.w2 = this.child('w2', new Linear(F, C, { bias: false, rng, std: residualStd(cfg) }));
    this.w3 = this.child('w3', new Linear(C, F, { bias: false, rng }));
  }
  forward(x: Tensor): Tensor {
    return this.w2.forward(swiglu(this.w1.forward(x), this.w3.forward(x)));
  }
}
