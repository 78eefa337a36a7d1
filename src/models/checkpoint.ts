// Hugging Face checkpoints: the table from our parameter names to the file's tensor names, and
// reading/writing the weights through it. LLaMA-family files use our names as they are; GPT-2
// renames them and stores its Conv1D weights transposed ([in, out]), with q, k and v fused into
// one c_attn matrix. Every unknown, missing or mis-shaped tensor is reported by name.
import { existsSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { basename, join } from 'node:path';
import type { Tensor } from '../engine/tensor.js';
import type { Module } from '../nn/index.js';
import type { ModelConfig } from './config.js';
import { configToHf, generationConfigToHf, type GenerationConfig, type HeadKind } from './hf-config.js';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from './safetensors.js';
import { describeDim, layersField, parameterBytes, parameterShapes, type ParamShape } from './shapes.js';
import { readJsonObject } from '../util/text.js';
import { ensureDir } from '../util/fs.js';

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
  ensureDir(dir);
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
  let names = ['model.safetensors'];
  if (existsSync(index)) {
    const map = readJsonObject(index).weight_map;
    if (typeof map !== 'object' || map === null || Array.isArray(map) || Object.values(map).some((f) => typeof f !== 'string' || !/^[^/\\]+\.safetensors$/.test(f))) {
      throw new Error(`${index}: "weight_map" must map tensor names to .safetensors files in the same folder`);
    }
    names = [...new Set(Object.values(map as Record<string, string>))];
  } else if (!existsSync(dir)) {
    throw new Error(`${dir}: no such model folder`);
  }
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

/** Problems listed in full; past this many, the rest are counted (a config with 1,000 layers
 * against a 2-layer file would otherwise print 9,000 lines). */
const MAX_LISTED = 12;
const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

interface Match { entry: CheckpointEntry; key: string; file: SafetensorsFile; rows: number; cols: number }

const weightFiles = (where: Map<string, SafetensorsFile>): string => [...new Set([...where.values()].map((f) => basename(f.path)))].join(', ');
const layersLine = (cfg: ModelConfig, layers: number, files: string): string =>
  `${layersField(cfg)} is ${cfg.numLayers} in config.json, but the weights (${files}) hold ${layers} layer${layers === 1 ? '' : 's'}`;

/** Holds the parameters `shapes` describes against the headers of the open weight files: the file
 * tensor for each of our entries, or the lines naming every config field, missing, unexpected and
 * mis-shaped tensor (null when they match). Reads no tensor data. */
function matchWeights(cfg: ModelConfig, shapes: ParamShape[], where: Map<string, SafetensorsFile>, { skip, optional }: LoadOptions):
  { matches: Match[]; problem: string | null } {
  const byName = new Map(shapes.map((p) => [p.name, p]));
  const entries = checkpointEntries(cfg, byName.keys());
  // GPT-2 checkpoints on the Hub often lack the "transformer." prefix.
  const fileKey = new Map<string, string>();
  for (const k of where.keys()) {
    const ours = cfg.family === 'gpt2' && !/^(transformer|lm_head|score)\./.test(k) ? `transformer.${k}` : k;
    fileKey.set(ours, k);
  }
  const fileOf = (k: string): string => basename(where.get(k)!.path);
  // The layer count first: a wrong one otherwise shows as thousands of missing tensors.
  const layerOf = (key: string): number => Number(/^(?:model\.layers|transformer\.h)\.(\d+)\./.exec(key)?.[1] ?? -1);
  const fileLayers = new Set([...fileKey.keys()].map(layerOf).filter((l) => l >= 0)).size;
  const fields = new Map<string, string>();
  if (fileLayers !== cfg.numLayers) {
    fields.set('layers', layersLine(cfg, fileLayers, weightFiles(where)));
  }
  const inRange = (key: string): boolean => fileLayers === cfg.numLayers || layerOf(key) < Math.min(fileLayers, cfg.numLayers);
  const problems: string[] = [];
  const wanted = new Set(entries.map((e) => e.key));
  for (const [ours, k] of fileKey) {
    // A tied head may still be stored; it is the embedding, so it is skipped.
    const expected = wanted.has(ours) || IGNORED.some((re) => re.test(k)) || skip?.test(ours) || (cfg.tieEmbeddings && ours === 'lm_head.weight');
    if (!expected && inRange(ours)) problems.push(`unexpected tensor "${k}"`);
  }
  const matches: Match[] = [];
  for (const e of entries) {
    const k = fileKey.get(e.key);
    if (k === undefined) {
      if (!optional?.test(e.key) && inRange(e.key)) problems.push(`missing tensor "${e.key}"`);
      continue;
    }
    const parts = e.parts.map((p) => byName.get(p)!.dims);
    const rows = parts.reduce((n, p) => n + p[0].size, 0), cols = parts[0].length === 2 ? parts[0][1].size : 0;
    const want = cols ? (e.transpose ? [cols, rows] : [rows, cols]) : [rows];
    const info = where.get(k)!.info(k);
    const got = info.shape;
    if (got.join() !== want.join()) {
      // Name the config field behind each differing dimension (a fused tensor's rows have none).
      const dims = parts.length === 1 ? (e.transpose ? [...parts[0]].reverse() : parts[0]) : (e.transpose ? [parts[0][1]] : [null, parts[0][1]]);
      if (got.length === want.length) {
        got.forEach((g, i) => {
          const dim = dims[i];
          if (g !== want[i] && dim && dim.fields.length && !fields.has(dim.fields.join())) {
            fields.set(dim.fields.join(), `${describeDim(cfg, dim)} in config.json, but "${k}" in ${fileOf(k)} is [${got.join(', ')}]`);
          }
        });
      }
      problems.push(`tensor "${k}" has shape [${got.join(', ')}], expected [${want.join(', ')}]`);
      continue;
    }
    if (!FLOAT_DTYPES.has(info.dtype)) { problems.push(`tensor "${k}" is ${info.dtype}, not a float type`); continue; }
    matches.push({ entry: e, key: k, file: where.get(k)!, rows, cols });
  }
  if (!fields.size && !problems.length) return { matches, problem: null };
  // When a config field explains the mismatch, a few tensors illustrate it.
  const listed = fields.size ? 4 : MAX_LISTED;
  const lines = [...fields.values(), ...problems.slice(0, listed)];
  if (problems.length > listed) lines.push(`… and ${problems.length - listed} more tensor problems`);
  return { matches, problem: lines.join('\n  ') };
}

/** Checks, from headers alone, that the weights in `dir` hold every tensor a `cfg` model with
 * `head` needs, with its shape, and that the model fits this machine: what loadPretrained and
 * loadScalarModel run before allocating anything. Throws a message naming the fields and files. */
export function checkWeights(cfg: ModelConfig, dir: string, head: HeadKind = 'lm', opts: LoadOptions = {}): void {
  const { files, where } = openWeights(dir);
  try {
    // The counts that multiply the table first, from the file names alone: a config claiming 10^9
    // layers or experts must not be enumerated before it is refused.
    const names = [...where.keys()];
    const count = (re: RegExp): number => new Set(names.map((k) => re.exec(k)?.[1]).filter((x) => x !== undefined)).size;
    const weights = weightFiles(where);
    const layers = count(/(?:^|\.)(?:layers|h)\.(\d+)\./);
    if (layers !== cfg.numLayers) throw new Error(`${dir}: ${layersLine(cfg, layers, weights)}`);
    const experts = count(/\.experts\.(\d+)\./);
    if (cfg.ffn === 'moe' && experts !== cfg.numExperts) throw new Error(`${dir}: num_local_experts is ${cfg.numExperts} in config.json, but the weights (${weights}) hold ${experts} experts per layer`);
    const shapes = parameterShapes(cfg, head);
    const { problem } = matchWeights(cfg, shapes, where, opts);
    if (problem) throw new Error(`${dir}: config.json does not match the weights (${weights}); nothing was loaded:\n  ${problem}`);
    const bytes = parameterBytes(shapes);
    if (bytes > totalmem()) throw new Error(`${dir}: the model needs ${(bytes / 2 ** 30).toFixed(1)} GiB as float32, more than this machine's ${(totalmem() / 2 ** 30).toFixed(1)} GiB`);
  } finally {
    for (const f of files) f.close();
  }
}

/** Loads the weights in `dir` into the model's parameters (in place), or throws one error listing
 * every missing, unexpected and mis-shaped tensor before reading any. */
export function loadWeights(model: Saveable, dir: string, opts: LoadOptions = {}): void {
  const cfg = model.config;
  const params = model.namedParameters();
  const shapes: ParamShape[] = [...params].map(([name, p]) => ({ name, dims: p.shape.map((size) => ({ size, fields: [] })) }));
  const { files, where } = openWeights(dir);
  try {
    const { matches, problem } = matchWeights(cfg, shapes, where, opts);
    if (problem) throw new Error(`${dir}: checkpoint does not match the ${cfg.family} model; nothing was loaded:\n  ${problem}`);
    for (const m of matches) fillParts(m.file.readFloat(m.key), m.entry.parts.map((p) => params.get(p)!), m.rows, m.cols, m.entry.transpose);
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
