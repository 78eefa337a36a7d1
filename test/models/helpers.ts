// Shared by the model tests: tiny configs covering every option, and a temporary directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CausalLM, modelConfig, ropeScaling, type ModelConfig } from '../../src/models/index.js';

/** A 2-layer, 32-wide model with the given options. */
export function tinyConfig(o: Partial<ModelConfig> = {}): ModelConfig {
  return modelConfig({
    vocabSize: 61, hiddenSize: 32, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8, intermediateSize: 40,
    maxPositions: 64, bosTokenId: 0, eosTokenId: 1, ...o,
  });
}

/** Every family and option combination the round-trip and cache tests cover. */
export const COMBOS: [string, Partial<ModelConfig>][] = [
  ['llama', {}],
  ['llama MHA, tied, all biases', { numKvHeads: 4, tieEmbeddings: true, qkvBias: true, outBias: true, mlpBias: true }],
  ['llama MQA', { numKvHeads: 1 }],
  ['qwen2', { family: 'qwen2', qkvBias: true, tieEmbeddings: true, ropeTheta: 1e6 }],
  ['mistral sliding window', { family: 'mistral', slidingWindow: 5 }],
  ['mixtral MoE', { family: 'mixtral', ffn: 'moe', numExperts: 4, expertsPerToken: 2 }],
  ['gpt2', { family: 'gpt2', numKvHeads: 4, norm: 'layer', ffn: 'gelu', positions: 'learned', qkvBias: true, outBias: true, mlpBias: true, tieEmbeddings: true }],
  ['llama ALiBi', { positions: 'alibi' }],
  ['llama learned positions, LayerNorm, GELU', { positions: 'learned', norm: 'layer', ffn: 'gelu' }],
  ['llama sinusoidal', { positions: 'sinusoidal' }],
  ['llama prefix-LM, no positions', { attention: 'prefix-lm', positions: 'none' }],
  ['gpt2 ALiBi prefix-LM window', { family: 'gpt2', numKvHeads: 4, norm: 'layer', ffn: 'gelu', positions: 'alibi', attention: 'prefix-lm', slidingWindow: 6, tieEmbeddings: false }],
  ['llama MoE top-1 ALiBi window', { ffn: 'moe', numExperts: 3, expertsPerToken: 1, positions: 'alibi', slidingWindow: 4 }],
  ['llama YaRN RoPE scaling', { ropeScaling: ropeScaling('yarn', 4, 8) }],
  ['qwen2 llama3 RoPE scaling', { family: 'qwen2', qkvBias: true, tieEmbeddings: true, ropeTheta: 1e6, ropeScaling: ropeScaling('llama3', 4, 8) }],
];

/** A random model whose weights are scaled up so its logits are far from uniform (clear argmax
 * margins, so greedy decoding is not decided by rounding). */
export function sharpModel(cfg: ModelConfig, seed = 1): CausalLM {
  const m = new CausalLM(cfg, { seed });
  for (const [name, p] of m.namedParameters()) {
    if (!/norm/.test(name)) for (let i = 0; i < p.size; i++) p.data[i] *= 4;
  }
  return m.eval();
}

export function tempDir(): { dir: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-models-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}
