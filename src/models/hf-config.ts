// config.json and generation_config.json in Hugging Face's field names ⇄ ModelConfig. Options a
// family cannot express in its own fields (ALiBi on LLaMA, a prefix-LM mask, ...) are written under
// "rlhf_ts_options"; transformers ignores that key, we read it back.
import { modelConfig, MODEL_DEFAULTS, type Family, type ModelConfig } from './config.js';
import { ropeScalingFromHf, ropeScalingToHf } from './rope-scaling.js';

type Json = Record<string, unknown>;

/** Architecture names for the LM head and the scalar (sequence-classification) head. */
export const ARCHITECTURES: Record<Family, { lm: string; scalar: string; modelType: string }> = {
  llama: { lm: 'LlamaForCausalLM', scalar: 'LlamaForSequenceClassification', modelType: 'llama' },
  qwen2: { lm: 'Qwen2ForCausalLM', scalar: 'Qwen2ForSequenceClassification', modelType: 'qwen2' },
  mistral: { lm: 'MistralForCausalLM', scalar: 'MistralForSequenceClassification', modelType: 'mistral' },
  mixtral: { lm: 'MixtralForCausalLM', scalar: 'MixtralForSequenceClassification', modelType: 'mixtral' },
  gpt2: { lm: 'GPT2LMHeadModel', scalar: 'GPT2ForSequenceClassification', modelType: 'gpt2' },
};

export type HeadKind = 'lm' | 'scalar';

/** The family and head named by config.json's architectures (or model_type). */
export function architectureOf(json: Json, file = 'config.json'): { family: Family; head: HeadKind } {
  const arch = Array.isArray(json.architectures) ? String(json.architectures[0]) : undefined;
  for (const [family, a] of Object.entries(ARCHITECTURES) as [Family, typeof ARCHITECTURES[Family]][]) {
    if (arch === a.lm) return { family, head: 'lm' };
    if (arch === a.scalar) return { family, head: 'scalar' };
    if (!arch && json.model_type === a.modelType) return { family, head: 'lm' };
  }
  const known = Object.values(ARCHITECTURES).flatMap((a) => [a.lm, a.scalar]).join(', ');
  throw new Error(`${file}: unsupported architecture ${arch ?? `model_type ${String(json.model_type)}`} (supported: ${known})`);
}

const num = (json: Json, key: string, fallback?: number): number => {
  const v = json[key] ?? fallback;
  if (typeof v !== 'number') throw new Error(`config.json: "${key}" must be a number, got ${JSON.stringify(json[key])}`);
  return v;
};
const idOrNull = (v: unknown): number | number[] | null => (typeof v === 'number' || Array.isArray(v) ? (v as number | number[]) : null);
const single = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** The options a family's own config fields express. */
function fromFamilyFields(json: Json, family: Family): ModelConfig {
  const unsupported = (key: string, why: string): void => { if (json[key] !== undefined && json[key] !== null && json[key] !== false) throw new Error(`config.json: ${key} = ${JSON.stringify(json[key])} is not supported (${why})`); };
  if (family === 'gpt2') {
    const act = json.activation_function ?? 'gelu_new';
    if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') throw new Error(`config.json: activation_function "${String(act)}" is not supported (only the tanh GELU, gelu_new)`);
    unsupported('scale_attn_by_inverse_layer_idx', 'unscaled attention only');
    unsupported('reorder_and_upcast_attn', 'not implemented');
    const C = num(json, 'n_embd'), H = num(json, 'n_head');
    return {
      ...MODEL_DEFAULTS, family, vocabSize: num(json, 'vocab_size'), hiddenSize: C, numLayers: num(json, 'n_layer'),
      numHeads: H, numKvHeads: H, headDim: C / H, intermediateSize: typeof json.n_inner === 'number' ? json.n_inner : 4 * C,
      norm: 'layer', normEps: num(json, 'layer_norm_epsilon', 1e-5), ffn: 'gelu', positions: 'learned',
      maxPositions: num(json, 'n_positions', 1024), qkvBias: true, outBias: true, mlpBias: true,
      tieEmbeddings: json.tie_word_embeddings !== false, dropout: num(json, 'resid_pdrop', 0.1),
      bosTokenId: single(json.bos_token_id), eosTokenId: idOrNull(json.eos_token_id), padTokenId: single(json.pad_token_id),
    };
  }
  const act = json.hidden_act ?? 'silu';
  if (act !== 'silu') throw new Error(`config.json: hidden_act "${String(act)}" is not supported (SwiGLU uses silu)`);
  const rope = ropeScalingFromHf(json.rope_scaling, num(json, 'max_position_embeddings', 2048));
  const C = num(json, 'hidden_size'), H = num(json, 'num_attention_heads');
  const attentionBias = json.attention_bias === true;
  // Qwen2 applies its window only with use_sliding_window; Mistral and Mixtral whenever
  // sliding_window is set (transformers' MixtralAttention passes it to the mask as Mistral's does).
  const windowed = family === 'mistral' || family === 'mixtral' || (family === 'qwen2' && json.use_sliding_window === true);
  const window = windowed ? json.sliding_window : null;
  return {
    ...MODEL_DEFAULTS, family, vocabSize: num(json, 'vocab_size'), hiddenSize: C, numLayers: num(json, 'num_hidden_layers'),
    numHeads: H, numKvHeads: num(json, 'num_key_value_heads', H), headDim: num(json, 'head_dim', C / H),
    intermediateSize: num(json, 'intermediate_size'), normEps: num(json, 'rms_norm_eps', 1e-6),
    ffn: family === 'mixtral' ? 'moe' : 'swiglu',
    numExperts: family === 'mixtral' ? num(json, 'num_local_experts', 8) : 0,
    expertsPerToken: family === 'mixtral' ? num(json, 'num_experts_per_tok', 2) : 0,
    routerAuxLossCoef: num(json, 'router_aux_loss_coef', MODEL_DEFAULTS.routerAuxLossCoef),
    ropeTheta: num(json, 'rope_theta', 10000), ropeScaling: rope.scaling, maxPositions: rope.maxPositions,
    slidingWindow: typeof window === 'number' ? window : 0,
    qkvBias: family === 'qwen2' || attentionBias, outBias: attentionBias, mlpBias: json.mlp_bias === true,
    tieEmbeddings: json.tie_word_embeddings === true, dropout: 0,
    bosTokenId: single(json.bos_token_id), eosTokenId: idOrNull(json.eos_token_id), padTokenId: single(json.pad_token_id),
  };
}

/** config.json → ModelConfig (validated). */
export function configFromHf(json: Json): ModelConfig {
  const { family } = architectureOf(json);
  const extensions = (json.rlhf_ts_options ?? {}) as Partial<ModelConfig>;
  const unknown = Object.keys(extensions).filter((k) => !(k in MODEL_DEFAULTS));
  if (unknown.length) throw new Error(`config.json: unknown rlhf_ts_options ${unknown.join(', ')}`);
  return modelConfig(extensions, fromFamilyFields(json, family));
}

/** ModelConfig → config.json for the LM head or the scalar head. */
export function configToHf(c: ModelConfig, head: HeadKind = 'lm'): Json {
  const a = ARCHITECTURES[c.family];
  const ids = { bos_token_id: c.bosTokenId, eos_token_id: c.eosTokenId, pad_token_id: c.padTokenId };
  const common = { architectures: [head === 'lm' ? a.lm : a.scalar], model_type: a.modelType, ...(head === 'scalar' ? { num_labels: 1 } : {}) };
  let json: Json;
  if (c.family === 'gpt2') {
    json = {
      ...common, vocab_size: c.vocabSize, n_embd: c.hiddenSize, n_layer: c.numLayers, n_head: c.numHeads,
      n_positions: c.maxPositions, n_ctx: c.maxPositions, n_inner: c.intermediateSize, layer_norm_epsilon: c.normEps,
      activation_function: 'gelu_new', resid_pdrop: c.dropout, embd_pdrop: c.dropout, attn_pdrop: 0,
      scale_attn_weights: true, tie_word_embeddings: c.tieEmbeddings, ...ids,
    };
  } else {
    const scaled = c.ropeScaling ? ropeScalingToHf(c.ropeScaling, c.maxPositions) : null;
    json = {
      ...common, vocab_size: c.vocabSize, hidden_size: c.hiddenSize, intermediate_size: c.intermediateSize,
      num_hidden_layers: c.numLayers, num_attention_heads: c.numHeads, num_key_value_heads: c.numKvHeads,
      head_dim: c.headDim, max_position_embeddings: scaled ? scaled.maxPositionEmbeddings : c.maxPositions, rms_norm_eps: c.normEps, rope_theta: c.ropeTheta,
      hidden_act: 'silu', tie_word_embeddings: c.tieEmbeddings, attention_dropout: 0, ...ids,
    };
    if (scaled) json.rope_scaling = scaled.json;
    if (c.family === 'llama') Object.assign(json, { attention_bias: c.qkvBias, mlp_bias: c.mlpBias });
    if (c.family === 'mistral' || c.family === 'mixtral') json.sliding_window = c.slidingWindow || null;
    if (c.family === 'qwen2') Object.assign(json, { use_sliding_window: c.slidingWindow > 0, sliding_window: c.slidingWindow || null, max_window_layers: c.numLayers });
    if (c.family === 'mixtral') {
      Object.assign(json, { num_local_experts: c.numExperts, num_experts_per_tok: c.expertsPerToken, router_aux_loss_coef: c.routerAuxLossCoef });
    }
  }
  json.torch_dtype = 'float32';
  // Whatever the family's fields imply differently goes into the extension block.
  const implied = fromFamilyFields(json, c.family);
  const extensions: Json = {};
  for (const k of Object.keys(c) as (keyof ModelConfig)[]) {
    if (canonical(c[k]) !== canonical(implied[k])) extensions[k] = c[k];
  }
  if (Object.keys(extensions).length) json.rlhf_ts_options = extensions;
  return json;
}

/** JSON with object keys sorted, so equal records compare equal whatever their key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.entries(x as Json).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

/** Sampling defaults and special ids from generation_config.json. */
export interface GenerationConfig {
  bosTokenId?: number | null;
  eosTokenId?: number | number[] | null;
  padTokenId?: number | null;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  maxNewTokens?: number;
}

export function generationConfigFromHf(json: Json): GenerationConfig {
  const out: GenerationConfig = {};
  if ('bos_token_id' in json) out.bosTokenId = single(json.bos_token_id);
  if ('eos_token_id' in json) out.eosTokenId = idOrNull(json.eos_token_id);
  if ('pad_token_id' in json) out.padTokenId = single(json.pad_token_id);
  // do_sample false (transformers' default) means greedy whatever the temperature says.
  if (json.do_sample === true && typeof json.temperature === 'number') out.temperature = json.temperature;
  else if (json.do_sample !== true) out.temperature = 0;
  if (typeof json.top_k === 'number') out.topK = json.top_k;
  if (typeof json.top_p === 'number') out.topP = json.top_p;
  if (typeof json.repetition_penalty === 'number') out.repetitionPenalty = json.repetition_penalty;
  if (typeof json.max_new_tokens === 'number') out.maxNewTokens = json.max_new_tokens;
  return out;
}

export function generationConfigToHf(c: ModelConfig, g: GenerationConfig = {}): Json {
  const temperature = g.temperature ?? 0;
  const json: Json = {
    bos_token_id: g.bosTokenId !== undefined ? g.bosTokenId : c.bosTokenId,
    eos_token_id: g.eosTokenId !== undefined ? g.eosTokenId : c.eosTokenId,
    pad_token_id: g.padTokenId !== undefined ? g.padTokenId : c.padTokenId,
    do_sample: temperature > 0,
  };
  if (temperature > 0) json.temperature = temperature;
  if (g.topK !== undefined) json.top_k = g.topK;
  if (g.topP !== undefined) json.top_p = g.topP;
  if (g.repetitionPenalty !== undefined) json.repetition_penalty = g.repetitionPenalty;
  if (g.maxNewTokens !== undefined) json.max_new_tokens = g.maxNewTokens;
  return json;
}
