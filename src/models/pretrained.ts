// Loading Hugging Face checkpoint directories: config.json picks the family and head, the
// weights are read into a freshly built model, generation_config.json sets generate()'s defaults.
// Models come back in eval mode, as transformers' from_pretrained returns them. Nothing is built
// before config.json has been held against the weights' headers (checkWeights), so a config that
// promises more than the files hold fails in milliseconds, naming the field and the file.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { architectureOf, configFromHf, generationConfigFromHf, type GenerationConfig } from './hf-config.js';
import { eosIds, type ModelConfig } from './config.js';
import { CausalLM } from './causal-lm.js';
import { ScalarHeadModel } from './scalar-head.js';
import { checkWeights, loadWeights } from './checkpoint.js';
import { readJsonObject } from '../util/text.js';

/** config.json's fields turned into a ModelConfig, with errors prefixed by the file. */
function fromFile<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(path) ? msg : `${path}: ${msg.replace(/^config\.json: /, '')}`);
  }
}

/** Why `dir` is not a model folder (missing, a file, no config.json), or null. */
export function modelDirProblem(dir: string): string | null {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) return `${dir}: no such model folder`;
  if (!st.isDirectory()) return `${dir} is a file; a model is a folder (config.json, model.safetensors)`;
  if (!existsSync(join(dir, 'config.json'))) return `${dir}: no config.json, so not a Hugging Face model folder (config.json, model.safetensors)`;
  return null;
}

/** The directory's model config, head kind and generation defaults. */
export function readModelConfig(dir: string): { config: ModelConfig; head: 'lm' | 'scalar'; generation: GenerationConfig } {
  const problem = modelDirProblem(dir);
  if (problem) throw new Error(problem);
  const path = join(dir, 'config.json');
  const json = readJsonObject(path);
  const { head } = fromFile(path, () => architectureOf(json, path));
  const config = fromFile(path, () => configFromHf(json));
  const genPath = join(dir, 'generation_config.json');
  const generation = existsSync(genPath) ? fromFile(genPath, () => generationConfigFromHf(readJsonObject(genPath))) : {};
  for (const k of ['bosTokenId', 'eosTokenId', 'padTokenId'] as const) {
    const v = generation[k];
    const ids = k === 'eosTokenId' ? eosIds({ ...config, eosTokenId: (v ?? null) as number | number[] | null }) : v == null ? [] : [v as number];
    const bad = ids.find((id) => !(Number.isInteger(id) && id >= 0 && id < config.vocabSize));
    if (bad !== undefined) throw new Error(`${genPath}: ${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)} ${JSON.stringify(v)} is outside the vocabulary [0, ${config.vocabSize})`);
  }
  return { config, head, generation };
}

/** A causal LM from `dir` (config.json + model.safetensors or a sharded index). */
export async function loadPretrained(dir: string): Promise<CausalLM> {
  const { config, head, generation } = readModelConfig(dir);
  if (head !== 'lm') throw new Error(`${dir} holds a scalar-head (sequence classification) model: load it with loadScalarModel`);
  checkWeights(config, dir, 'lm');
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
  const opts = head === 'lm' ? { skip: /^lm_head\./, optional: /^score\./ } : {};
  checkWeights(config, dir, 'scalar', opts);
  const model = new ScalarHeadModel(config, { seed });
  loadWeights(model, dir, opts);
  model.generationConfig = generation;
  return model.eval();
}
