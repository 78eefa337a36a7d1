// The parameters a config builds, by name and shape, computed without building them, so a
// config.json can be held against a weights file's header before a single tensor is allocated
// (a config promising 100,000 layers or a 10-million-token vocabulary is refused in milliseconds
// instead of after gigabytes). Each dimension carries the config fields it comes from, so a
// mismatch names the field. test/models/validation.test.ts holds this table to the built models'
// namedParameters for every family and option.
import type { ModelConfig } from './config.js';
import type { HeadKind } from './hf-config.js';

/** A dimension and the config fields whose product it is. */
export interface Dim { size: number; fields: (keyof ModelConfig)[] }

export interface ParamShape { name: string; dims: Dim[] }

/** Every parameter of the model `cfg` builds with `head`, in the model's own order. */
export function parameterShapes(cfg: ModelConfig, head: HeadKind = 'lm'): ParamShape[] {
  const d = (...fields: (keyof ModelConfig)[]): Dim => ({ size: fields.reduce((n, f) => n * (cfg[f] as number), 1), fields });
  const C = d('hiddenSize'), V = d('vocabSize'), F = d('intermediateSize');
  const q = d('numHeads', 'headDim'), kv = d('numKvHeads', 'headDim');
  const out: ParamShape[] = [];
  const add = (name: string, ...dims: Dim[]): void => { out.push({ name, dims }); };
  const linear = (name: string, outDim: Dim, inDim: Dim, bias: boolean): void => {
    add(`${name}.weight`, outDim, inDim);
    if (bias) add(`${name}.bias`, outDim);
  };
  const norm = (name: string): void => {
    add(`${name}.weight`, C);
    if (cfg.norm === 'layer') add(`${name}.bias`, C);
  };
  add('model.embed_tokens.weight', V, C);
  if (cfg.positions === 'learned') add('model.embed_positions.weight', d('maxPositions'), C);
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}.`;
    norm(`${p}input_layernorm`);
    linear(`${p}self_attn.q_proj`, q, C, cfg.qkvBias);
    linear(`${p}self_attn.k_proj`, kv, C, cfg.qkvBias);
    linear(`${p}self_attn.v_proj`, kv, C, cfg.qkvBias);
    linear(`${p}self_attn.o_proj`, C, q, cfg.outBias);
    norm(`${p}post_attention_layernorm`);
    if (cfg.ffn === 'moe') {
      linear(`${p}block_sparse_moe.gate`, d('numExperts'), C, false);
      for (let e = 0; e < cfg.numExperts; e++) {
        const x = `${p}block_sparse_moe.experts.${e}.`;
        linear(`${x}w1`, F, C, false);
        linear(`${x}w2`, C, F, false);
        linear(`${x}w3`, F, C, false);
      }
    } else {
      if (cfg.ffn === 'swiglu') linear(`${p}mlp.gate_proj`, F, C, cfg.mlpBias);
      linear(`${p}mlp.up_proj`, F, C, cfg.mlpBias);
      linear(`${p}mlp.down_proj`, C, F, cfg.mlpBias);
    }
  }
  norm('model.norm');
  if (head === 'scalar') add('score.weight', { size: 1, fields: [] }, C);
  else if (!cfg.tieEmbeddings) add('lm_head.weight', V, C);
  return out;
}

/** The float32 bytes the parameters take. */
export function parameterBytes(shapes: ParamShape[]): number {
  return shapes.reduce((n, p) => n + 4 * p.dims.reduce((m, x) => m * x.size, 1), 0);
}

/** Hugging Face's config.json name of each field, per naming scheme (GPT-2's own, or LLaMA's that
 * the other families share). */
const HF_NAMES: Partial<Record<keyof ModelConfig, [llama: string, gpt2: string]>> = {
  vocabSize: ['vocab_size', 'vocab_size'],
  hiddenSize: ['hidden_size', 'n_embd'],
  numLayers: ['num_hidden_layers', 'n_layer'],
  numHeads: ['num_attention_heads', 'n_head'],
  numKvHeads: ['num_key_value_heads', 'n_head'],
  headDim: ['head_dim', 'n_embd / n_head'],
  intermediateSize: ['intermediate_size', 'n_inner'],
  maxPositions: ['max_position_embeddings', 'n_positions'],
  numExperts: ['num_local_experts', 'num_local_experts'],
};

/** "vocab_size 10000000", or "num_attention_heads × head_dim = 4 × 16" for a product. */
export function describeDim(cfg: ModelConfig, dim: Dim): string {
  const name = (f: keyof ModelConfig): string => HF_NAMES[f]?.[cfg.family === 'gpt2' ? 1 : 0] ?? f;
  if (dim.fields.length === 1) return `${name(dim.fields[0])} ${dim.size}`;
  return `${dim.fields.map(name).join(' × ')} = ${dim.fields.map((f) => cfg[f]).join(' × ')}`;
}

/** config.json's name for the number of layers. */
export const layersField = (cfg: ModelConfig): string => HF_NAMES.numLayers![cfg.family === 'gpt2' ? 1 : 0];
