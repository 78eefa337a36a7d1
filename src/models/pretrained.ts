// Loading Hugging Face checkpoint directories: config.json picks the family and head, the
// weights are read into a freshly built model, generation_config.json sets generate()'s defaults.
// Models come back in eval mode, as transformers' from_pretrained returns them. Nothing is built
// before config.json has been held against the weights' headers (checkWeights), so a config that
// promises more than the files hold fails in milliseconds, naming the field and the file.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { architectureOf, configFromHf, generationConfigFromHf, type GenerationConfig } from './hf-config.js';
import type { ModelConfig } from './config.js';
import { CausalLM } from './causal-lm.js';
import { ScalarHeadModel } from './scalar-head.js';
import { checkWeights, loadWeights } from './checkpoint.js';
import { readJsonObject } from '../util/text.js';
import { verifyCheckpoint } from '../util/checkpoint-manifest.js';

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

/** bos/eos/pad_token_id must name tokens of the vocabulary (or be null): an eos id past it would
 * never stop generation, and would be exported to GGUF as it is. */
function checkSpecialIds(json: Record<string, unknown>, vocabSize: unknown, file: string): void {
  if (typeof vocabSize !== 'number') return;
  for (const key of ['bos_token_id', 'eos_token_id', 'pad_token_id']) {
    const v = json[key];
    if (v === undefined || v === null) continue;
    const ids = Array.isArray(v) && key === 'eos_token_id' ? v : [v];
    if (!ids.every((id) => Number.isInteger(id) && id >= 0 && id < vocabSize)) {
      throw new Error(`${file}: ${key} ${JSON.stringify(v)} is outside the vocabulary (vocab_size ${vocabSize}: ids 0 to ${vocabSize - 1})`);
    }
  }
}

/** The directory's model config, head kind and generation defaults. */
export function readModelConfig(dir: string): { config: ModelConfig; head: 'lm' | 'scalar'; generation: GenerationConfig } {
  const problem = modelDirProblem(dir);
  if (problem) throw new Error(problem);
  const path = join(dir, 'config.json');
  const json = readJsonObject(path);
  const { head } = fromFile(path, () => architectureOf(json, path));
  checkSpecialIds(json, json.vocab_size, path);
  const config = fromFile(path, () => configFromHf(json));
  const genPath = join(dir, 'generation_config.json');
  let generation: GenerationConfig = {};
  if (existsSync(genPath)) {
    const genJson = readJsonObject(genPath);
    checkSpecialIds(genJson, config.vocabSize, genPath);
    generation = fromFile(genPath, () => generationConfigFromHf(genJson));
  }
  return { config, head, generation };
}

/** A training checkpoint's folder (checkpoints/step-*) carries a manifest.json; loaded as a model
 * (generate --model run/checkpoints/step-N), a damaged one would give garbage silently. */
function checkIntact(dir: string): void {
  const problem = verifyCheckpoint(dir);
  if (problem !== null) throw new Error(`${dir}: checkpoint is damaged (${problem}); load an earlier checkpoint`);
}

/** A causal LM from `dir` (config.json + model.safetensors or a sharded index). */
export async function loadPretrained(dir: string): Promise<CausalLM> {
  const { config, head, generation } = readModelConfig(dir);
  if (head !== 'lm') throw new Error(`${dir} holds a scalar-head (sequence classification) model: load it with loadScalarModel`);
  checkWeights(config, dir, 'lm');
  checkIntact(dir);
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
  checkIntact(dir);
  const model = new ScalarHeadModel(config, { seed });
  loadWeights(model, dir, opts);
  model.generationConfig = generation;
  return model.eval();
}
