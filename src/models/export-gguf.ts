// `rlhf export gguf`: a Hugging Face checkpoint directory (config.json, weights, tokenizer.json,
// optionally tokenizer_config.json for the chat template) → one GGUF file for llama.cpp.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { eosIds } from './config.js';
import { loadPretrained } from './pretrained.js';
import { ggufTokenizerFromJson, writeGguf, type GgufDtype } from './gguf.js';

export interface GgufExportOptions {
  /** Matrix storage (default f32); norms are always F32. q8_0 holds exactly the weights of our
   * int8 inference (--dtype int8). */
  dtype?: GgufDtype;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

export async function exportGguf(dir: string, outPath: string, { dtype = 'f32' }: GgufExportOptions = {}): Promise<void> {
  const tokPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokPath)) throw new Error(`${dir}: GGUF export needs the tokenizer (tokenizer.json) beside the weights`);
  const model = await loadPretrained(dir);
  const cfg = model.config, gen = model.generationConfig;
  const tokConfigPath = join(dir, 'tokenizer_config.json');
  const tokConfig = existsSync(tokConfigPath) ? readJson(tokConfigPath) : {};
  const eos = gen.eosTokenId !== undefined ? eosIds({ ...cfg, eosTokenId: gen.eosTokenId }) : eosIds(cfg);
  const tok = ggufTokenizerFromJson(readJson(tokPath), {
    bos: gen.bosTokenId ?? cfg.bosTokenId,
    eos: eos[0] ?? null,
    pad: gen.padTokenId ?? cfg.padTokenId,
  }, typeof tokConfig.chat_template === 'string' ? tokConfig.chat_template : null);
  tok.addBosToken = tokConfig.add_bos_token === true;
  writeGguf(outPath, cfg, model.namedParameters(), tok, dtype, basename(resolve(dir)));
}
