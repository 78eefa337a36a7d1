// Hugging Face checkpoints: the table from our parameter names to the file's tensor names, and
// reading/writing the weights through it. LLaMA-family files use our names as they are; GPT-2
// renames them and stores its Conv1D weights transposed ([in, out]), with q, k and v fused into
// one c_attn matrix. Every unknown, missing or mis-shaped tensor is reported by name.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../engine/tensor.js';
import type { Module } from '../nn/index.js';
import type { ModelConfig } from './config.js';
import { configToHf, generationConfigToHf, type GenerationConfig, type HeadKind } from './hf-config.js';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from './safetensors.js';

/** One tensor of the file: the rows of `parts` (our [out, in] layout) stacked, then transposed
 * when `transpose` (GPT-2's Conv1D). */
export interface CheckpointEntry { key: string; parts: string[]; transpose: boolean }

const GPT2_RENAMES: [RegExp, string, boolean][] = [
  [/^model\.embed_tokens\.weight$/, 'transformer.wte.weight', false],
  [/^model\.embed_positions\.weight$/, 'transformer.wpe.weight', false],
  [/^model\.layers\.(\d+)\.input_layernorm\.(weight|bias)$/, 'transformer.h.$1.ln_1.$2', false],
  [/^model\.layers\.(\d+)\.self_attn\.[qkv]_proj\.weight$/, 'transformer.h.$1.attn.c_attn.weight', true],
  [/^model\.layers\.(\d+)\.self_attn\.[qkv]_proj\.bias$/, 'transformer.h.$1.attn.c_attn.bias', false],
  [/^model\.layers\.(\d+)\.self_attn\.o_proj\.weight$/, 'transformer.h.$1.attn.c_proj.weight', true],
  [/^model\.layers\.(\d+)\.self_attn\.o_proj\.bias$/, 'transformer.h.$1.attn.c_proj.bias', false],
  [/^model\.layers\.(\d+)\.post_attention_layernorm\.(weight|bias)$/, 'transformer.h.$1.ln_2.$2', false],
  [/^model\.layers\.(\d+)\.mlp\.up_proj\.(weight)$/, 'transformer.h.$1.mlp.c_fc.$2', true],
  [/^model\.layers\.(\d+)\.mlp\.up_proj\.(bias)$/, 'transformer.h.$1.mlp.c_fc.$2', false],
  [/^model\.layers\.(\d+)\.mlp\.down_proj\.(weight)$/, 'transformer.h.$1.mlp.c_proj.$2', true],
  [/^model\.layers\.(\d+)\.mlp\.down_proj\.(bias)$/, 'transformer.h.$1.mlp.c_proj.$2', false],
  [/^model\.norm\.(weight|bias)$/, 'transformer.ln_f.$1', false],
];

/** Buffers some checkpoints carry that are not parameters (GPT-2's causal-mask buffers, old
 * LLaMA rotary inverse frequencies). */
const IGNORED = [/\.attn\.(masked_)?bias$/, /\.rotary_emb\.inv_freq$/];

/** The file's tensors, in our parameter order, for the given parameter names. */
export function checkpointEntries(cfg: ModelConfig, names: Iterable<string>): CheckpointEntry[] {
  const byKey = new Map<string, CheckpointEntry>();
  for (const name of names) {
    let key = name, transpose = false;
    if (cfg.family === 'gpt2') {
      const rule = GPT2_RENAMES.find(([re]) => re.test(name));
      if (rule) [key, transpose] = [name.replace(rule[0], rule[1]), rule[2]];
    }
    const entry = byKey.get(key);
    if (entry) entry.parts.push(name);
    else byKey.set(key, { key, parts: [name], transpose });
  }
  return [...byKey.values()];
}

interface Named { shape: readonly number[]; data: Float32Array }

/** Our tensors (parameters, or their gradients) in the file's layout: name → [shape, data]. */
export function toCheckpointTensors(cfg: ModelConfig, tensors: Map<string, Named>): TensorToWrite[] {
  return checkpointEntries(cfg, tensors.keys()).map((e) => {
    const parts = e.parts.map((p) => tensors.get(p)!);
    const cols = parts[0].shape.length === 2 ? parts[0].shape[1] : 0;
    const rows = parts.reduce((n, p) => n + p.shape[0], 0);
    const stacked = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
    let at = 0;
    for (const p of parts) { stacked.set(p.data, at); at += p.data.length; }
    if (!e.transpose) return { name: e.key, shape: cols ? [rows, cols] : [rows], data: stacked };
    const t = new Float32Array(stacked.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = stacked[r * cols + c];
    return { name: e.key, shape: [cols, rows], data: t };
  });
}

export interface SaveOptions {
  /** Weight dtype in the file (default F32). */
  dtype?: 'F32' | 'BF16';
  /** Split into model-0000i-of-0000n.safetensors shards of at most this many bytes, with
   * model.safetensors.index.json (default: one file). */
  maxShardBytes?: number;
  /** Written to generation_config.json (the special ids default to the model config's). */
  generation?: GenerationConfig;
}

/** A model that saves: its parameters, config, head kind and generation defaults. */
export interface Saveable extends Module { readonly config: ModelConfig; generationConfig?: GenerationConfig }

/** Writes config.json, generation_config.json and the weights into `dir` (created if needed). */
export function saveModel(model: Saveable, dir: string, { dtype = 'F32', maxShardBytes = Infinity, generation }: SaveOptions = {}, head: HeadKind = 'lm'): void {
  mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, Named>();
  for (const [name, p] of model.namedParameters()) tensors.set(name, { shape: p.shape, data: p.f });
  const entries = toCheckpointTensors(model.config, tensors);
  const config = configToHf(model.config, head);
  config.torch_dtype = dtype === 'F32' ? 'float32' : 'bfloat16';
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(generationConfigToHf(model.config, generation ?? model.generationConfig), null, 2) + '\n');
  const bytesPer = dtype === 'F32' ? 4 : 2;
  const shards: TensorToWrite[][] = [[]];
  let shardBytes = 0;
  for (const t of entries) {
    const bytes = t.data.length * bytesPer;
    if (shardBytes > 0 && shardBytes + bytes > maxShardBytes) { shards.push([]); shardBytes = 0; }
    shards[shards.length - 1].push(t);
    shardBytes += bytes;
  }
  if (shards.length === 1) {
    writeSafetensors(join(dir, 'model.safetensors'), shards[0], dtype);
    return;
  }
  const pad = (i: number): string => String(i).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  shards.forEach((s, i) => {
    const file = `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`;
    writeSafetensors(join(dir, file), s, dtype);
    for (const t of s) weightMap[t.name] = file;
  });
  const total = entries.reduce((n, t) => n + t.data.length * bytesPer, 0);
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n');
}

/** The weight files of a checkpoint directory: key → open file holding it. */
function openWeights(dir: string): { files: SafetensorsFile[]; where: Map<string, SafetensorsFile> } {
  const index = join(dir, 'model.safetensors.index.json');
  const names = existsSync(index)
    ? [...new Set(Object.values((JSON.parse(readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map))]
    : ['model.safetensors'];
  const files: SafetensorsFile[] = [];
  const where = new Map<string, SafetensorsFile>();
  try {
    for (const n of names) {
      const path = join(dir, n);
      if (!existsSync(path)) throw new Error(`${dir}: missing weight file ${n}`);
      const f = new SafetensorsFile(path);
      files.push(f);
      for (const k of f.tensors.keys()) where.set(k, f);
    }
  } catch (e) {
    for (const f of files) f.close();
    throw e;
  }
  return { files, where };
}

export interface LoadOptions {
  /** File tensors to pass over (a scalar model started from an LM checkpoint skips lm_head). */
  skip?: RegExp;
  /** Our tensors the file may lack; they keep their initial values (that model's new head). */
  optional?: RegExp;
}

/** Loads the weights in `dir` into the model's parameters (in place), or throws one error listing
 * every missing, unexpected and mis-shaped tensor. */
export function loadWeights(model: Saveable, dir: string, { skip, optional }: LoadOptions = {}): void {
  const cfg = model.config;
  const params = model.namedParameters();
  const entries = checkpointEntries(cfg, params.keys());
  const { files, where } = openWeights(dir);
  try {
    // GPT-2 checkpoints on the Hub often lack the "transformer." prefix.
    const fileKey = new Map<string, string>();
    for (const k of where.keys()) {
      const ours = cfg.family === 'gpt2' && !/^(transformer|lm_head|score)\./.test(k) ? `transformer.${k}` : k;
      fileKey.set(ours, k);
    }
    const problems: string[] = [];
    const wanted = new Set(entries.map((e) => e.key));
    for (const [ours, k] of fileKey) {
      // A tied head may still be stored; it is the embedding, so it is skipped.
      const expected = wanted.has(ours) || IGNORED.some((re) => re.test(k)) || skip?.test(ours) || (cfg.tieEmbeddings && ours === 'lm_head.weight');
      if (!expected) problems.push(`unexpected tensor "${k}"`);
    }
    for (const e of entries) {
      const k = fileKey.get(e.key);
      if (k === undefined) {
        if (!optional?.test(e.key)) problems.push(`missing tensor "${e.key}"`);
        continue;
      }
      const parts = e.parts.map((p) => params.get(p)!);
      const rows = parts.reduce((n, p) => n + p.shape[0], 0), cols = parts[0].ndim === 2 ? parts[0].shape[1] : 0;
      const want = cols ? (e.transpose ? [cols, rows] : [rows, cols]) : [rows];
      const got = where.get(k)!.info(k).shape;
      if (got.join() !== want.join()) { problems.push(`tensor "${k}" has shape [${got.join(', ')}], expected [${want.join(', ')}]`); continue; }
      fillParts(where.get(k)!.readFloat(k), parts, rows, cols, e.transpose);
    }
    if (problems.length) throw new Error(`${dir}: checkpoint does not match the ${cfg.family} model:\n  ${problems.join('\n  ')}`);
  } finally {
    for (const f of files) f.close();
  }
}

/** Copies a file tensor into the parameters it stacks (undoing the transpose). */
function fillParts(data: Float32Array, parts: Tensor[], rows: number, cols: number, transpose: boolean): void {
  let row = 0;
  for (const p of parts) {
    const dst = p.f;
    if (!transpose) dst.set(data.subarray(row * Math.max(cols, 1), row * Math.max(cols, 1) + dst.length));
    else for (let r = 0; r < p.shape[0]; r++) for (let c = 0; c < cols; c++) dst[r * cols + c] = data[c * rows + row + r];
    row += p.shape[0];
  }
}
