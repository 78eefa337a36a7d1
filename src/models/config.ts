// The decoder's configuration: one typed record with every default in one place, presets for the
// LLaMA, Qwen2 and GPT-2 shapes, and the checks that reject impossible combinations up front.
import { validateRopeScaling, type RopeScaling } from './rope-scaling.js';

/** Which Hugging Face architecture (and so which tensor names) the model is saved as. */
export type Family = 'llama' | 'qwen2' | 'mistral' | 'mixtral' | 'gpt2';
export const FAMILIES: readonly Family[] = ['llama', 'qwen2', 'mistral', 'mixtral', 'gpt2'];
export type NormKind = 'rms' | 'layer';
export type FfnKind = 'swiglu' | 'gelu' | 'moe';
export type PositionKind = 'rope' | 'alibi' | 'learned' | 'sinusoidal' | 'none';
export type AttentionKind = 'causal' | 'prefix-lm';

export interface ModelConfig {
  family: Family;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** Key/value heads: numHeads for MHA, fewer for GQA, 1 for MQA. */
  numKvHeads: number;
  /** Per-head width; hiddenSize / numHeads unless a checkpoint says otherwise. */
  headDim: number;
  /** Feed-forward width (each expert's, for MoE). */
  intermediateSize: number;

  norm: NormKind;
  normEps: number;
  ffn: FfnKind;
  /** MoE: experts per layer, experts each token is routed to, weight of the load-balancing loss. */
  numExperts: number;
  expertsPerToken: number;
  routerAuxLossCoef: number;

  positions: PositionKind;
  ropeTheta: number;
  /** RoPE scaling for contexts past the training length (Hugging Face's rope_scaling; null = plain
   * RoPE). See rope-scaling.ts. */
  ropeScaling: RopeScaling | null;
  /** Learned tables are this long; rope/alibi/sinusoidal models also refuse to run past it. */
  maxPositions: number;
  attention: AttentionKind;
  /** Sliding window: each query sees at most this many keys, itself included (0 = unlimited). */
  slidingWindow: number;

  /** Biases on the q/k/v projections (Qwen2, GPT-2), on o_proj, and in the MLP (GPT-2). */
  qkvBias: boolean;
  outBias: boolean;
  mlpBias: boolean;
  tieEmbeddings: boolean;
  /** Dropout on embeddings and residual branches while training (attention is fused: no dropout
   * on its probabilities). */
  dropout: number;

  bosTokenId: number | null;
  eosTokenId: number | number[] | null;
  padTokenId: number | null;
}

/** LLaMA-2 style: pre-RMSNorm, SwiGLU, RoPE, no biases, untied head. The shape is stories15M's. */
export const MODEL_DEFAULTS: ModelConfig = {
  family: 'llama',
  vocabSize: 32000,
  hiddenSize: 288,
  numLayers: 6,
  numHeads: 6,
  numKvHeads: 6,
  headDim: 48,
  intermediateSize: 768,
  norm: 'rms',
  normEps: 1e-5,
  ffn: 'swiglu',
  numExperts: 0,
  expertsPerToken: 0,
  routerAuxLossCoef: 0.001,
  positions: 'rope',
  ropeTheta: 10000,
  ropeScaling: null,
  maxPositions: 2048,
  attention: 'causal',
  slidingWindow: 0,
  qkvBias: false,
  outBias: false,
  mlpBias: false,
  tieEmbeddings: false,
  dropout: 0,
  bosTokenId: 1,
  eosTokenId: 2,
  padTokenId: null,
};

/** A config from defaults plus overrides; headDim follows hiddenSize/numHeads unless given, and
 * numKvHeads follows numHeads unless given. */
export function modelConfig(overrides: Partial<ModelConfig> = {}, base: ModelConfig = MODEL_DEFAULTS): ModelConfig {
  const numHeads = overrides.numHeads ?? base.numHeads;
  const hiddenSize = overrides.hiddenSize ?? base.hiddenSize;
  const cfg: ModelConfig = {
    ...base,
    numKvHeads: overrides.numHeads !== undefined ? numHeads : base.numKvHeads,
    headDim: overrides.hiddenSize !== undefined || overrides.numHeads !== undefined ? hiddenSize / numHeads : base.headDim,
    ...overrides,
  };
  validateConfig(cfg);
  return cfg;
}

export const presets = {
  llama: (o: Partial<ModelConfig> = {}): ModelConfig => modelConfig(o),
  /** Qwen2: LLaMA plus q/k/v biases, theta 1e6, eps 1e-6, tied embeddings. */
  qwen2: (o: Partial<ModelConfig> = {}): ModelConfig => modelConfig(o, {
    ...MODEL_DEFAULTS, family: 'qwen2', qkvBias: true, ropeTheta: 1e6, normEps: 1e-6, tieEmbeddings: true,
    vocabSize: 151936, hiddenSize: 896, numLayers: 24, numHeads: 14, numKvHeads: 2, headDim: 64, intermediateSize: 4864,
    maxPositions: 32768, bosTokenId: null, eosTokenId: 151643,
  }),
  /** GPT-2 small: pre-LayerNorm, GELU (tanh), learned positions, biases everywhere, tied head. */
  gpt2: (o: Partial<ModelConfig> = {}): ModelConfig => modelConfig(o, {
    ...MODEL_DEFAULTS, family: 'gpt2', norm: 'layer', ffn: 'gelu', positions: 'learned',
    qkvBias: true, outBias: true, mlpBias: true, tieEmbeddings: true,
    vocabSize: 50257, hiddenSize: 768, numLayers: 12, numHeads: 12, numKvHeads: 12, headDim: 64, intermediateSize: 3072,
    maxPositions: 1024, bosTokenId: 50256, eosTokenId: 50256,
  }),
} as const;

const positive = ['vocabSize', 'hiddenSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'intermediateSize', 'maxPositions'] as const;

/** Throws a message naming the field and the value it got. */
export function validateConfig(c: ModelConfig): void {
  const fail = (msg: string): never => { throw new RangeError(`model config: ${msg}`); };
  if (!FAMILIES.includes(c.family)) fail(`family must be ${FAMILIES.join(' | ')}, got ${JSON.stringify(c.family)}`);
  for (const k of positive) if (!(Number.isInteger(c[k]) && c[k] > 0)) fail(`${k} must be a positive integer, got ${c[k]}`);
  if (c.numHeads % c.numKvHeads !== 0) fail(`numHeads ${c.numHeads} is not a multiple of numKvHeads ${c.numKvHeads}`);
  if (!['rms', 'layer'].includes(c.norm)) fail(`norm must be rms | layer, got ${c.norm}`);
  if (!['swiglu', 'gelu', 'moe'].includes(c.ffn)) fail(`ffn must be swiglu | gelu | moe, got ${c.ffn}`);
  if (!['rope', 'alibi', 'learned', 'sinusoidal', 'none'].includes(c.positions)) fail(`positions must be rope | alibi | learned | sinusoidal | none, got ${c.positions}`);
  if (!['causal', 'prefix-lm'].includes(c.attention)) fail(`attention must be causal | prefix-lm, got ${c.attention}`);
  if (c.positions === 'rope' && c.headDim % 2 !== 0) fail(`rope needs an even headDim, got ${c.headDim}`);
  if (c.ropeScaling !== null) {
    if (c.positions !== 'rope') fail(`ropeScaling needs positions rope, got ${c.positions}`);
    validateRopeScaling(c.ropeScaling, fail);
  }
  if (c.positions === 'sinusoidal' && c.hiddenSize % 2 !== 0) fail(`sinusoidal positions need an even hiddenSize, got ${c.hiddenSize}`);
  if (c.ffn === 'moe' && !(c.numExperts >= 1 && c.expertsPerToken >= 1 && c.expertsPerToken <= c.numExperts)) {
    fail(`moe needs 1 ≤ expertsPerToken ≤ numExperts, got ${c.expertsPerToken} of ${c.numExperts}`);
  }
  if (c.family === 'gpt2' && c.ffn !== 'gelu') fail(`the gpt2 family has an ungated GELU MLP; ffn ${c.ffn} needs a LLaMA-family model`);
  if (c.family === 'gpt2' && c.numKvHeads !== c.numHeads) fail(`the gpt2 family has no grouped-query attention (numKvHeads ${c.numKvHeads} ≠ numHeads ${c.numHeads})`);
  if (c.family === 'gpt2' && c.headDim * c.numHeads !== c.hiddenSize) fail(`the gpt2 family needs headDim · numHeads = hiddenSize`);
  if (!(Number.isInteger(c.slidingWindow) && c.slidingWindow >= 0)) fail(`slidingWindow must be a non-negative integer, got ${c.slidingWindow}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) fail(`dropout must be in [0, 1), got ${c.dropout}`);
  if (!(c.normEps > 0)) fail(`normEps must be positive, got ${c.normEps}`);
  for (const k of ['bosTokenId', 'eosTokenId', 'padTokenId'] as const) {
    const v = c[k];
    if (v === null) continue;
    for (const id of Array.isArray(v) ? v : [v]) {
      if (!(Number.isInteger(id) && id >= 0 && id < c.vocabSize)) fail(`${k} ${JSON.stringify(v)} is outside the vocabulary [0, ${c.vocabSize})`);
    }
  }
}

/** The ids that end a sequence, as a list. */
export function eosIds(c: ModelConfig): number[] {
  return c.eosTokenId === null ? [] : Array.isArray(c.eosTokenId) ? c.eosTokenId : [c.eosTokenId];
}
