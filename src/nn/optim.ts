// AdamW (decoupled weight decay, Loshchilov & Hutter) with parameter groups, global gradient-norm
// clipping, and the optimizer state a checkpoint needs to resume exactly.
import { kernels } from '../engine/backend.js';
import type { Tensor } from '../engine/tensor.js';

export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

export interface ParamGroup { params: Tensor[]; weightDecay?: number; lrScale?: number }

/** The usual split: matrices decay; norms, biases and embeddings (1-D, or named *embed*) do not. */
export function decayGroups(named: Map<string, Tensor>, weightDecay: number): ParamGroup[] {
  const decay: Tensor[] = [], noDecay: Tensor[] = [];
  for (const [name, p] of named) (p.ndim < 2 || /embed|wte|wpe/.test(name) ? noDecay : decay).push(p);
  return [{ params: decay, weightDecay }, { params: noDecay, weightDecay: 0 }];
}

export interface AdamWState { step: number; m: Float32Array[]; v: Float32Array[] }

export class AdamW {
  readonly config: AdamWConfig;
  readonly groups: ParamGroup[];
  private m: Float32Array[];
  private v: Float32Array[];
  step = 0;

  constructor(params: Tensor[] | ParamGroup[], config: Partial<AdamWConfig> = {}) {
    this.config = { ...ADAMW_DEFAULTS, ...config };
    this.groups = params.length && 'params' in (params[0] as object) ? (params as ParamGroup[]) : [{ params: params as Tensor[] }];
    const all = this.groups.flatMap((g) => g.params);
    this.m = all.map((p) => new Float32Array(p.size));
    this.v = all.map((p) => new Float32Array(p.size));
  }

  /** One update with learning rate `lr` (default config.lr); parameters without a grad are skipped. */
  update(lr = this.config.lr): void {
    const { beta1, beta2, eps } = this.config;
    this.step++;
    const bc1 = 1 - beta1 ** this.step, bc2 = 1 - beta2 ** this.step;
    let i = 0;
    for (const g of this.groups) {
      const wd = g.weightDecay ?? this.config.weightDecay, glr = lr * (g.lrScale ?? 1);
      for (const p of g.params) {
        if (p.grad) kernels().adamw(p.f, p.grad.f, this.m[i], this.v[i], p.size, glr, beta1, beta2, eps, wd, bc1, bc2);
        i++;
      }
    }
  }

  state(): AdamWState {
    return { step: this.step, m: this.m, v: this.v };
  }

  load(state: AdamWState): void {
    if (state.m.length !== this.m.length || state.m.some((a, i) => a.length !== this.m[i].length)) {
      throw new RangeError('AdamW.load: optimizer state does not match the parameters');
    }
    this.step = state.step;
    this.m = state.m.map((a) => a.slice());
    this.v = state.v.map((a) => a.slice());
  }
}

/** Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  const k = kernels();
  let ss = 0;
  for (const p of params) if (p.grad) ss += k.sumSquares(p.grad.f, p.grad.size);
  const norm = Math.sqrt(ss);
  if (norm > maxNorm && norm > 0) {
    const s = maxNorm / (norm + 1e-6);
    for (const p of params) if (p.grad) k.affine(p.grad.f, p.grad.f, p.grad.size, s, 0);
  }
  return norm;
}
