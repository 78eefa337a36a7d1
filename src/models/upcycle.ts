// Sparse upcycling (Komatsuzaki et al. 2022): a trained dense model becomes a mixture of experts
// by copying each layer's MLP into every expert and adding a freshly initialised router. Every
// other weight is copied unchanged. Because the k chosen router weights are renormalised to sum to
// 1 (Mixtral's rule) and the experts start identical, the upcycled model computes exactly the
// dense model's function; continued pretraining (with the load-balancing loss) then lets the
// experts drift apart as the router sends them different tokens.
import { Rng } from '../engine/rng.js';
import { Tensor } from '../engine/tensor.js';
import { CausalLM } from './causal-lm.js';
import { modelConfig, type ModelConfig } from './config.js';

export interface UpcycleOptions {
  /** Experts per layer (N). */
  experts: number;
  /** Experts each token is routed to (k). */
  topK: number;
  /** Weight of the load-balancing loss in continued pretraining. */
  auxLossCoef: number;
  /** Standard deviation of the router's normal initialisation. */
  routerStd: number;
  /** Seeds the router's initial weights. */
  seed: number;
}

/** Switch Transformer's load-balancing weight (α = 10⁻²) and the usual 0.02 initialisation. */
export const UPCYCLE_DEFAULTS: UpcycleOptions = { experts: 8, topK: 2, auxLossCoef: 0.01, routerStd: 0.02, seed: 0 };

/** The MoE config an upcycled dense model gets (saved as Mixtral: MixtralForCausalLM). */
export function upcycledConfig(dense: ModelConfig, o: UpcycleOptions): ModelConfig {
  if (dense.ffn === 'moe') throw new Error('upcycle: the model is already a mixture of experts');
  if (dense.ffn !== 'swiglu') throw new Error(`upcycle: the model's MLP is ${dense.ffn}; Mixtral experts are SwiGLU (gate, up, down), so only a SwiGLU model (llama, qwen2, mistral) can be upcycled`);
  if (dense.mlpBias) throw new Error('upcycle: the model\'s MLP has biases, which Mixtral experts do not');
  if (!(Number.isInteger(o.experts) && o.experts >= 2)) throw new Error(`upcycle: --experts must be an integer ≥ 2, got ${o.experts}`);
  if (!(Number.isInteger(o.topK) && o.topK >= 1 && o.topK <= o.experts)) throw new Error(`upcycle: --top-k must be an integer in [1, ${o.experts}], got ${o.topK}`);
  if (!(o.auxLossCoef >= 0)) throw new Error(`upcycle: the load-balancing coefficient must be ≥ 0, got ${o.auxLossCoef}`);
  if (!(o.routerStd > 0)) throw new Error(`upcycle: the router's initial std must be positive, got ${o.routerStd}`);
  return modelConfig({ family: 'mixtral', ffn: 'moe', numExperts: o.experts, expertsPerToken: o.topK, routerAuxLossCoef: o.auxLossCoef }, dense);
}

/** A mixture-of-experts copy of `dense`: each expert of layer l starts as layer l's MLP
 * (gate_proj → w1, up_proj → w3, down_proj → w2); routers are drawn from normal(0, routerStd). */
export function upcycle(dense: CausalLM, options: Partial<UpcycleOptions> = {}): CausalLM {
  const o = { ...UPCYCLE_DEFAULTS, ...options };
  const moe = new CausalLM(upcycledConfig(dense.config, o));
  const from = dense.namedParameters();
  const rng = new Rng(o.seed);
  const copy = (dst: Tensor, name: string): void => {
    const src = from.get(name);
    if (!src || src.size !== dst.size) throw new Error(`upcycle: the dense model has no ${name} of ${dst.size} values`);
    dst.f.set(src.f);
  };
  const EXPERT = /^model\.layers\.(\d+)\.block_sparse_moe\.experts\.\d+\.(w1|w2|w3)\.weight$/;
  const DENSE = { w1: 'gate_proj', w2: 'down_proj', w3: 'up_proj' } as const;
  for (const [name, p] of moe.namedParameters()) {
    const expert = EXPERT.exec(name);
    if (expert) copy(p, `model.layers.${expert[1]}.mlp.${DENSE[expert[2] as keyof typeof DENSE]}.weight`);
    else if (name.endsWith('.block_sparse_moe.gate.weight')) p.f.set(Tensor.randn(p.shape, rng, o.routerStd).f);
    else copy(p, name);
  }
  moe.generationConfig = { ...dense.generationConfig };
  moe.train(dense.training);
  return moe;
}
