// `rlhf export gguf`: a Hugging Face checkpoint directory (config.json, weights, tokenizer.json,
// optionally tokenizer_config.json for the chat template) → one GGUF file for llama.cpp. Every
// input is checked before the weights are read (config against the weights' headers, both
// tokenizer files, the special ids against the vocabulary), and the written file is read back.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { eosIds } from './config.js';
import { loadPretrained, readModelConfig } from './pretrained.js';
import { checkWeights } from './checkpoint.js';
import { ggufTokenizerFromJson, ggufUnsupported, writeGguf, U32_MAX, type GgufDtype } from './gguf.js';
import { readGgufHeader } from './gguf-read.js';
import { readJsonObject } from '../util/text.js';
import { ensureDir } from '../util/fs.js';

export interface GgufExportOptions {
  /** Matrix storage (default f32); norms are always F32. q8_0 holds exactly the weights of our
   * int8 inference (--dtype int8). */
  dtype?: GgufDtype;
}

/** What the written file holds, as read back. */
export interface GgufExportSummary { path: string; architecture: string; tensors: number; tokens: number; bytes: number }

export async function exportGguf(dir: string, outPath: string, { dtype = 'f32' }: GgufExportOptions = {}): Promise<GgufExportSummary> {
  const { config: cfg, generation: gen } = readModelConfig(dir);
  const why = ggufUnsupported(cfg);
  if (why) throw new Error(`${dir}: GGUF export: ${why} is not supported`);
  // The weights bound every other size; the context length is config.json's word alone, and
  // llama.cpp reads it as a uint32.
  const contexts: [string, number][] = [['max_position_embeddings', cfg.maxPositions]];
  if (cfg.ropeScaling?.type === 'yarn') contexts.push(['rope_scaling.original_max_position_embeddings', cfg.ropeScaling.originalMaxPositions]);
  for (const [field, n] of contexts) {
    if (n > U32_MAX) throw new Error(`${join(dir, 'config.json')}: ${field} is ${n}, more than GGUF can store (a 32-bit context length, at most ${U32_MAX}); lower it to export`);
  }
  checkWeights(cfg, dir);
  const tokPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokPath)) throw new Error(`${dir}: GGUF export needs the tokenizer (tokenizer.json) beside the weights`);
  const tokConfigPath = join(dir, 'tokenizer_config.json');
  const tokConfig = existsSync(tokConfigPath) ? readJsonObject(tokConfigPath) : {};
  const eos = gen.eosTokenId !== undefined ? eosIds({ ...cfg, eosTokenId: gen.eosTokenId }) : eosIds(cfg);
  const tok = ggufTokenizerFromJson(readJsonObject(tokPath), {
    bos: gen.bosTokenId ?? cfg.bosTokenId,
    eos: eos[0] ?? null,
    pad: gen.padTokenId ?? cfg.padTokenId,
    vocabSize: cfg.vocabSize,
  }, typeof tokConfig.chat_template === 'string' ? tokConfig.chat_template : null, tokPath);
  if (tokConfig.add_bos_token !== undefined && typeof tokConfig.add_bos_token !== 'boolean') {
    throw new Error(`${tokConfigPath}: add_bos_token must be true or false, got ${JSON.stringify(tokConfig.add_bos_token)}`);
  }
  tok.addBosToken = tokConfig.add_bos_token === true;
  if (tok.tokens.length !== cfg.vocabSize) {
    throw new Error(`${tokPath}: the tokenizer has ${tok.tokens.length} tokens but the model's vocabulary (vocab_size in ${join(dir, 'config.json')}) is ${cfg.vocabSize}; resize one of them`);
  }
  ensureDir(dirname(resolve(outPath)));
  if (statSync(outPath, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${outPath} is a folder; --out names the .gguf file to write`);
  const model = await loadPretrained(dir);
  writeGguf(outPath, cfg, model.namedParameters(), tok, dtype, basename(resolve(dir)));
  const back = readGgufHeader(outPath);
  const tokens = back.metadata.get('tokenizer.ggml.tokens');
  return {
    path: outPath, architecture: String(back.metadata.get('general.architecture')), tensors: back.tensors.length,
    tokens: Array.isArray(tokens) ? tokens.length : 0, bytes: back.fileBytes,
  };
}
