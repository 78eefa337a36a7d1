// Loading Hugging Face checkpoint directories: config.json picks the family and head, the
// weights are read into a freshly built model, generation_config.json sets generate()'s defaults.
// Models come back in eval mode, as transformers' from_pretrained returns them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { architectureOf, configFromHf, generationConfigFromHf, type GenerationConfig } from './hf-config.js';
import type { ModelConfig } from './config.js';
import { CausalLM } from './causal-lm.js';
import { ScalarHeadModel } from './scalar-head.js';
import { loadWeights } from './checkpoint.js';

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** The directory's model config, head kind and generation defaults. */
export function readModelConfig(dir: string): { config: ModelConfig; head: 'lm' | 'scalar'; generation: GenerationConfig } {
  const json = readJson(join(dir, 'config.json'));
  const { head } = architectureOf(json, join(dir, 'config.json'));
  const genPath = join(dir, 'generation_config.json');
  return { config: configFromHf(json), head, generation: existsSync(genPath) ? generationConfigFromHf(readJson(genPath)) : {} };
}

/** A causal LM from `dir` (config.json + model.safetensors or a sharded index). */
export async function loadPretrained(dir: string): Promise<CausalLM> {
  const { config, head, generation } = readModelConfig(dir);
  if (head !== 'lm') throw new Error(`${dir} holds a scalar-head (sequence classification) model: load it with loadScalarModel`);
  const model = new CausalLM(config);
  loadWeights(model, dir);
  model.generationConfig = generation;
  return model.eval();
}

/** A reward/value model from `dir`: a scalar-head checkpoint, or a causal LM whose body it reuses
 * (its LM head dropped, the scalar head initialised from `seed`) — the usual start of RLHF's
 * reward model from the SFT checkpoint. */
export async function loadScalarModel(dir: string, { seed = 0 } = {}): Promise<ScalarHeadModel> {
  const { config, head, generation } = readModelConfig(dir);
  const model = new ScalarHeadModel(config, { seed });
  loadWeights(model, dir, head === 'lm' ? { skip: /^lm_head\./, optional: /^score\./ } : {});
  model.generationConfig = generation;
  return model.eval();
}
