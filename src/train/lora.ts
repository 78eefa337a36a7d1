// LoRA (Hu et al. 2021) as PEFT implements it: each targeted Linear y = x·Wᵀ gains a low-rank
// update, y = x·Wᵀ + (alpha / r) · dropout(x)·Aᵀ·Bᵀ, with A [r, in] drawn as PEFT's
// kaiming_uniform(a = √5) (uniform ±1/√in) and B [out, r] zero, so training starts from the base
// model exactly. The base weights are frozen; only A and B train.
//
// Adapters are saved in PEFT's layout, loadable by `PeftModel.from_pretrained`:
//   adapter_config.json         peft_type LORA, r, lora_alpha, lora_dropout, target_modules, …
//   adapter_model.safetensors   base_model.model.<module>.lora_A.weight [r, in], .lora_B.weight [out, r]
// merge() folds W += (alpha / r)·B·A into the base weights and removes the adapters.
//
// The wrapped layers are left in place and given an instance-level forward that adds the update
// (the model's own structure, and so its checkpoint names, stay untouched); detach() removes it.
import { join } from 'node:path';
import { kernels } from '../engine/backend.js';
import { Rng } from '../engine/rng.js';
import { Tensor } from '../engine/tensor.js';
import { add, dropout, linear, scale } from '../engine/ops/index.js';
import { Linear } from '../nn/index.js';
import { SafetensorsFile, writeSafetensors, type CausalLM } from '../models/index.js';
import { writeJsonAtomic } from '../util/fs.js';
import type { LoraConfig } from './config.js';
import { readJson } from './metrics.js';

const PEFT_PREFIX = 'base_model.model.';

interface Adapter { layer: Linear; A: Tensor; B: Tensor }

export class LoraModel {
  /** Wrapped layer name (model.layers.0.self_attn.q_proj) → its adapter. */
  readonly adapters = new Map<string, Adapter>();
  readonly scaling: number;
  /** Draws the adapter dropout masks; the trainer points it at its own checkpointed RNG. */
  rng: Rng;

  constructor(readonly model: CausalLM, readonly config: LoraConfig, seed = 0) {
    if (model.config.family === 'gpt2') throw new Error('LoRA: GPT-2 checkpoints fuse q, k and v into one c_attn matrix, which PEFT adapts as one layer; LoRA here supports the LLaMA-family layouts (llama, qwen2, mistral, mixtral)');
    this.scaling = config.alpha / config.rank;
    this.rng = new Rng(seed);
    const init = new Rng(seed ^ 0x10ca);
    for (const [name, m] of model.namedModules()) {
      if (!(m instanceof Linear) || !config.targets.includes(name.slice(name.lastIndexOf('.') + 1))) continue;
      const bound = 1 / Math.sqrt(m.inFeatures);
      const A = Tensor.uniform([config.rank, m.inFeatures], init, -bound, bound).requireGrad();
      const B = Tensor.zeros([m.outFeatures, config.rank]).requireGrad();
      A.name = `${name}.lora_A.weight`;
      B.name = `${name}.lora_B.weight`;
      this.adapters.set(name, { layer: m, A, B });
    }
    if (!this.adapters.size) throw new Error(`LoRA: no Linear layer is named ${config.targets.join(' or ')} (try q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)`);
    for (const p of model.parameters()) p.requiresGrad = false;
    this.attach();
  }

  /** The adapter weights by PEFT name: what the optimizer trains and the file holds. */
  parameters(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [name, a] of this.adapters) {
      out.set(`${PEFT_PREFIX}${name}.lora_A.weight`, a.A);
      out.set(`${PEFT_PREFIX}${name}.lora_B.weight`, a.B);
    }
    return out;
  }

  numParameters(): number {
    let n = 0;
    for (const a of this.adapters.values()) n += a.A.size + a.B.size;
    return n;
  }

  private attach(): void {
    const { dropout: p } = this.config;
    for (const { layer, A, B } of this.adapters.values()) {
      const base = Linear.prototype.forward.bind(layer);
      layer.forward = (x: Tensor): Tensor => {
        const h = layer.training && p > 0 ? dropout(x, p, this.rng) : x;
        return add(base(x), scale(linear(linear(h, A), B), this.scaling));
      };
    }
  }

  /** Restores the plain layers (the adapters are kept, unused). */
  detach(): void {
    for (const { layer } of this.adapters.values()) Reflect.deleteProperty(layer, 'forward');
  }

  /** Folds every adapter into its base weight, W += scaling·B·A, detaches, and makes the base
   * trainable again: the model is then an ordinary checkpoint. */
  merge(): CausalLM {
    const k = kernels();
    for (const { layer, A, B } of this.adapters.values()) {
      const scaled = new Float32Array(B.size);
      k.affine(scaled, B.f, B.size, this.scaling, 0);
      // W [out, in] += (s·B) [out, r] · A [r, in]
      k.gemm(layer.weight.f, scaled, A.f, 1, layer.outFeatures, layer.inFeatures, this.config.rank, false, false, 1, 0, 0, 0);
    }
    this.detach();
    for (const p of this.model.parameters()) p.requiresGrad = true;
    return this.model;
  }

  /** Writes adapter_config.json and adapter_model.safetensors (PEFT layout). */
  save(dir: string, baseModel = ''): void {
    const c = this.config;
    writeJsonAtomic(join(dir, 'adapter_config.json'), {
      peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: baseModel, inference_mode: true,
      r: c.rank, lora_alpha: c.alpha, lora_dropout: c.dropout, target_modules: c.targets, bias: 'none',
      fan_in_fan_out: false, init_lora_weights: true, modules_to_save: null, use_rslora: false,
      layers_to_transform: null, rank_pattern: {}, alpha_pattern: {},
    });
    writeSafetensors(join(dir, 'adapter_model.safetensors'), [...this.parameters()].map(([name, t]) => ({ name, shape: t.shape, data: t.f })));
  }

  /** Reads adapter weights saved by save() (or by PEFT) into this model's adapters. */
  loadWeights(dir: string): void {
    const file = new SafetensorsFile(join(dir, 'adapter_model.safetensors'));
    try {
      const problems: string[] = [];
      const params = this.parameters();
      for (const key of file.tensors.keys()) if (!params.has(key)) problems.push(`unexpected tensor "${key}"`);
      for (const [key, t] of params) {
        if (!file.tensors.has(key)) { problems.push(`missing tensor "${key}"`); continue; }
        const shape = file.info(key).shape;
        if (shape.join() !== t.shape.join()) { problems.push(`tensor "${key}" has shape [${shape.join(', ')}], expected [${t.shape.join(', ')}]`); continue; }
        t.f.set(file.readFloat(key));
      }
      if (problems.length) throw new Error(`${dir}: adapter does not match the model:\n  ${problems.join('\n  ')}`);
    } finally {
      file.close();
    }
  }
}

/** The LoRA settings of a PEFT adapter folder. */
export function readAdapterConfig(dir: string): LoraConfig {
  const j = readJson(join(dir, 'adapter_config.json')) as Record<string, unknown>;
  if (j.peft_type !== 'LORA') throw new Error(`${dir}/adapter_config.json: peft_type ${JSON.stringify(j.peft_type)}, expected "LORA"`);
  const targets = j.target_modules;
  if (!Array.isArray(targets)) throw new Error(`${dir}/adapter_config.json: target_modules must be a list of layer names`);
  if (j.use_rslora === true) throw new Error(`${dir}/adapter_config.json: rank-stabilised LoRA (use_rslora) is not supported`);
  return { enabled: true, rank: Number(j.r), alpha: Number(j.lora_alpha), dropout: Number(j.lora_dropout ?? 0), targets: targets.map(String) };
}

/** Attaches the adapter in `dir` to `model` (as PeftModel.from_pretrained does). */
export function loadLora(model: CausalLM, dir: string): LoraModel {
  const lora = new LoraModel(model, readAdapterConfig(dir));
  lora.loadWeights(dir);
  return lora;
}
