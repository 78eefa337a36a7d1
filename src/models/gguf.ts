// GGUF export (llama.cpp's file format, version 3) for the LLaMA family and GPT-2: key-value
// metadata (the architecture's hyperparameters and a GPT-2-style byte-level BPE tokenizer), tensor
// descriptors, then the tensors, each 32-byte aligned. Matrices are written F32, F16 or Q8_0; norms
// stay F32, as llama.cpp's own converter writes them.
//
// Layout conversions (those of llama.cpp's convert_hf_to_gguf.py):
// - GGUF lists dimensions innermost first, so a row-major [out, in] weight is written as (in, out).
// - llama.cpp's "llama" architecture rotates adjacent pairs (GPT-J style) while Hugging Face
//   rotates halves, so q_proj and k_proj rows are permuted per head: row (h, i, half) moves to
//   (h, half, i) — the halves interleave into pairs. Qwen2 rotates halves in llama.cpp too: no
//   permutation.
// - GPT-2 (architecture "gpt2") keeps q, k and v fused in one attn_qkv matrix, as Hugging Face's
//   c_attn does, and its tied head is written out as output.weight.
// - RoPE scaling: linear and YaRN as llama.cpp's rope.scaling keys; llama3 as the rope_freqs
//   tensor (each pair's frequency divisor), as convert_hf_to_gguf.py writes it.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Tensor } from '../engine/tensor.js';
import { int8Index } from '../engine/kernels.js';
import { PATTERNS } from '../tokenizer/pretokenize.js';
import type { ModelConfig } from './config.js';
import { f32ToF16 } from './dtypes.js';
import { packLinear } from './quantize.js';
import { ropeInvFreq } from './rope-scaling.js';

/** The tokenizer fields a GGUF file carries (Hugging Face tokenizer.json, byte-level BPE). */
export interface GgufTokenizer {
  /** Token strings by id (byte-level BPE: bytes mapped to printable characters, as GPT-2). */
  tokens: string[];
  /** llama.cpp's name for the pre-tokenizer (the split pattern run before BPE). */
  pre: string;
  /** Merge rules, highest priority first, each "left right". */
  merges: string[];
  /** llama.cpp token types by id: 1 normal, 3 control (special), 4 user-defined. */
  tokenTypes: number[];
  bosTokenId: number | null;
  eosTokenId: number | null;
  padTokenId: number | null;
  addBosToken: boolean;
  chatTemplate: string | null;
}

/** Reads a Hugging Face tokenizer.json (BPE model) into GGUF's tokenizer fields; `file` names it
 * in errors. With `ids.vocabSize`, every token id must lie below it (checked before the token
 * table is made, so an id of 10^12 is an error, not an allocation). */
export function ggufTokenizerFromJson(json: Record<string, unknown>, ids: { bos: number | null; eos: number | null; pad: number | null; vocabSize?: number },
  chatTemplate: string | null = null, file = 'tokenizer.json'): GgufTokenizer {
  const fail = (msg: string): never => { throw new Error(`${file}: ${msg}`); };
  const model = json.model as { type?: unknown; vocab?: unknown; merges?: unknown } | undefined;
  if (!model || typeof model !== 'object' || model.type !== 'BPE' || !model.vocab || typeof model.vocab !== 'object' || Array.isArray(model.vocab)) {
    fail(`a BPE model (model.type "BPE" with a model.vocab object) is needed for GGUF export, got ${JSON.stringify((model as { type?: unknown } | undefined)?.type ?? 'none')}`);
  }
  const vocab = model!.vocab as Record<string, unknown>;
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added)) fail('added_tokens must be a list');
  const limit = ids.vocabSize ?? Infinity;
  const checkId = (id: unknown, what: string): number => {
    if (!(Number.isInteger(id) && (id as number) >= 0 && (id as number) < Math.min(limit, 2 ** 31))) {
      fail(`${what} has id ${JSON.stringify(id)}, ${ids.vocabSize === undefined ? 'not a non-negative integer' : `outside the model's vocabulary [0, ${ids.vocabSize})`}`);
    }
    return id as number;
  };
  let size = 0;
  for (const [tok, id] of Object.entries(vocab)) size = Math.max(size, checkId(id, `model.vocab token ${JSON.stringify(tok).slice(0, 40)}`) + 1);
  const addedTokens = (added as unknown[]).map((t, i) => {
    const a = t as { id?: unknown; content?: unknown; special?: unknown } | null;
    if (!a || typeof a !== 'object' || typeof a.content !== 'string') fail(`added_tokens[${i}] must be an object with a string "content"`);
    size = Math.max(size, checkId(a!.id, `added_tokens[${i}]`) + 1);
    return { id: a!.id as number, content: a!.content as string, special: a!.special === true };
  });
  // Holes (ids nothing names) are counted against the entries, so a sparse vocabulary cannot make
  // the table much larger than the file.
  if (ids.vocabSize === undefined && size > 2 * (Object.keys(vocab).length + addedTokens.length) + 1024) fail(`ids run to ${size - 1} for ${Object.keys(vocab).length} tokens`);
  const tokens = new Array<string>(size).fill('');
  const tokenTypes = new Array<number>(size).fill(1);
  for (const [tok, id] of Object.entries(vocab)) tokens[id as number] = tok;
  for (const t of addedTokens) {
    tokens[t.id] = t.content;
    tokenTypes[t.id] = t.special ? 3 : 4;
  }
  tokens.forEach((t, i) => {
    // Ids nothing names (holes after resizing) still need a unique string in llama.cpp's vocab.
    if (t === '') { tokens[i] = `[PAD${i}]`; tokenTypes[i] = 4; }
  });
  const rawMerges = model!.merges ?? [];
  if (!Array.isArray(rawMerges)) fail('model.merges must be a list');
  const merges = (rawMerges as unknown[]).map((m, i) => {
    if (typeof m === 'string') return m;
    if (Array.isArray(m) && m.length === 2 && m.every((x) => typeof x === 'string')) return m.join(' ');
    return fail(`model.merges[${i}] must be "left right" or ["left", "right"], got ${JSON.stringify(m)?.slice(0, 60)}`);
  });
  let pre: string;
  try {
    pre = ggufPreTokenizer(json.pre_tokenizer);
  } catch (e) {
    return fail((e as Error).message);
  }
  return { tokens, pre, merges, tokenTypes, bosTokenId: ids.bos, eosTokenId: ids.eos, padTokenId: ids.pad, addBosToken: false, chatTemplate };
}

/** llama.cpp's pre-tokenizer for a tokenizer.json pre_tokenizer: GPT-2's ByteLevel split, or a
 * Split pattern it knows. Ours with single digits ("digits", the pipeline's) maps to llama.cpp's
 * "refact", which isolates digits first and then applies GPT-2's pattern: the two agree except
 * where two or more spaces stand before a digit (we split "  1" as " ", " ", "1"; refact as "  ",
 * "1"). */
export function ggufPreTokenizer(pre: unknown): string {
  const p = (pre ?? {}) as { type?: string; use_regex?: boolean; pretokenizers?: { type?: string; pattern?: { Regex?: string }; use_regex?: boolean }[] };
  if (p.type === 'ByteLevel' && p.use_regex !== false) return 'gpt-2';
  const [split, byteLevel] = p.type === 'Sequence' && p.pretokenizers?.length === 2 ? p.pretokenizers : [];
  const regex = split?.type === 'Split' && byteLevel?.type === 'ByteLevel' && byteLevel.use_regex === false ? split.pattern?.Regex : undefined;
  const known: Record<string, string> = { [PATTERNS.gpt2]: 'gpt-2', [PATTERNS.cl100k]: 'llama-bpe', [PATTERNS.digits]: 'refact' };
  if (regex !== undefined && known[regex]) return known[regex];
  throw new Error(`GGUF export: llama.cpp has no pre-tokenizer matching tokenizer.json's ${regex === undefined ? JSON.stringify(pre) : `split pattern ${JSON.stringify(regex)}`} (supported: GPT-2's ByteLevel, the gpt2, cl100k and digits patterns)`);
}

const enum ValueType { U32 = 4, I32 = 5, F32 = 6, Bool = 7, String = 8, Array = 9 }
const GGML_F32 = 0, GGML_F16 = 1, GGML_Q8_0 = 8;
/** llama.cpp's file types (general.file_type): all F32, mostly F16, mostly Q8_0. */
const FILE_TYPE = { f32: 0, f16: 1, q8_0: 7 } as const;
export type GgufDtype = keyof typeof FILE_TYPE;
const ALIGN = 32;
/** The largest value of a GGUF uint32 key (context length, sizes, token ids). */
export const U32_MAX = 0xffffffff;

type MetaValue = { type: ValueType.U32 | ValueType.I32 | ValueType.F32; value: number } | { type: ValueType.Bool; value: boolean }
  | { type: ValueType.String; value: string } | { type: ValueType.Array; of: ValueType.String; value: string[] }
  | { type: ValueType.Array; of: ValueType.I32; value: number[] };

/** Little-endian writer that grows its buffer. */
class Writer {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private need(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void { this.need(4); this.buf.writeUInt32LE(v, this.length); this.length += 4; }
  i32(v: number): void { this.need(4); this.buf.writeInt32LE(v, this.length); this.length += 4; }
  u64(v: number): void { this.need(8); this.buf.writeBigUInt64LE(BigInt(v), this.length); this.length += 8; }
  f32(v: number): void { this.need(4); this.buf.writeFloatLE(v, this.length); this.length += 4; }
  u8(v: number): void { this.need(1); this.buf[this.length++] = v; }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.need(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }
  pad(): void { while (this.length % ALIGN) this.u8(0); }
  bytes(): Buffer { return this.buf.subarray(0, this.length); }
}

function writeValue(w: Writer, v: MetaValue): void {
  w.u32(v.type);
  switch (v.type) {
    case ValueType.U32: w.u32(v.value); break;
    case ValueType.I32: w.i32(v.value); break;
    case ValueType.F32: w.f32(v.value); break;
    case ValueType.Bool: w.u8(v.value ? 1 : 0); break;
    case ValueType.String: w.str(v.value); break;
    case ValueType.Array:
      w.u32(v.of);
      w.u64(v.value.length);
      for (const x of v.value) {
        if (typeof x === 'string') w.str(x);
        else w.i32(x);
      }
  }
}

/** HF rotate-half rows → llama.cpp's adjacent pairs, per head: w [H·D, in]. */
function permuteRope(w: Float32Array, heads: number, D: number, cols: number): Float32Array {
  const out = new Float32Array(w.length), half = D / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let part = 0; part < 2; part++) {
        const src = (h * D + part * half + i) * cols, dst = (h * D + 2 * i + part) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

/** Why a config cannot be exported, or null. */
export function ggufUnsupported(c: ModelConfig): string | null {
  if (c.family === 'gpt2') {
    if (c.positions !== 'learned' || c.norm !== 'layer' || c.ffn !== 'gelu') return 'a gpt2-family model without learned positions, LayerNorm and the GELU MLP';
    if (!c.qkvBias || !c.outBias || !c.mlpBias) return 'a gpt2-family model without all its biases (llama.cpp\'s gpt2 architecture needs them)';
    if (c.attention !== 'causal' || c.slidingWindow > 0) return 'a gpt2-family model with a prefix-LM mask or a sliding window';
    return null;
  }
  const s = c.ropeScaling;
  if (s?.type === 'dynamic') return 'dynamic NTK RoPE scaling (llama.cpp has no RoPE that changes with the sequence length)';
  if (s?.type === 'yarn' && (s.betaFast !== 32 || s.betaSlow !== 1 || s.attentionFactor !== null || s.mscale !== null || !s.truncate)) return 'YaRN with non-default beta_fast, beta_slow, attention factor or truncation';
  if (s?.type === 'llama3' && c.family === 'qwen2') return 'llama3 RoPE scaling on qwen2 (llama.cpp reads rope_freqs for the llama architecture)';
  if (c.positions !== 'rope') return `positions "${c.positions}" (llama.cpp's llama architecture uses RoPE)`;
  if (c.norm !== 'rms') return 'LayerNorm (the llama architecture uses RMSNorm)';
  if (c.ffn === 'gelu') return 'a GELU MLP (the llama architecture uses SwiGLU)';
  if (c.attention !== 'causal') return 'a prefix-LM mask';
  if (c.slidingWindow > 0) return 'a sliding window (llama.cpp\'s llama architecture attends to the whole context)';
  if (c.mlpBias) return 'MLP biases';
  if (c.family === 'qwen2' && (!c.qkvBias || c.outBias || c.ffn === 'moe')) return 'Qwen2 without its q/k/v biases, with an o_proj bias or with MoE';
  return null;
}

interface GgufTensor { name: string; shape: number[]; data: Float32Array; type: GgufDtype }

/** Bytes of a tensor's data as stored. */
function storedBytes(t: GgufTensor): number {
  const n = t.data.length;
  return t.type === 'f32' ? 4 * n : t.type === 'f16' ? 2 * n : (n / 32) * 34;
}

/**
 * Q8_0: blocks of 32 values, each a float16 scale d and 32 int8 q (34 bytes), value = d·q. The
 * rows are those of our int8 inference weights (quantize.ts): one scale per row, a float16 value,
 * so every block of a row holds the same d and llama.cpp dequantises to exactly our weights.
 */
function toQ8_0(w: Float32Array, shape: number[], name: string): Uint8Array {
  const K = shape[shape.length - 1], N = w.length / K;
  if (K % 32 !== 0) throw new Error(`GGUF export: Q8_0 needs rows of a multiple of 32 values; ${name} has ${K}`);
  const packed = packLinear(w, N, K, 'int8');
  if (packed.dtype !== 'int8') throw new Error('unreachable');
  const out = new Uint8Array((N * K / 32) * 34), view = new DataView(out.buffer);
  const d = f32ToF16(packed.scales.subarray(0, N));
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < K / 32; b++) {
      const at = (n * (K / 32) + b) * 34;
      view.setUint16(at, d[n], true);
      for (let j = 0; j < 32; j++) out[at + 2 + j] = packed.w[int8Index(n, b * 32 + j, K)] & 0xff;
    }
  }
  return out;
}

/** Writes `params` (our names) with `cfg` and the tokenizer to a GGUF file. */
export function writeGguf(path: string, cfg: ModelConfig, params: Map<string, Tensor>, tok: GgufTokenizer, dtype: GgufDtype = 'f32', name = 'rlhf-ts model'): void {
  const why = ggufUnsupported(cfg);
  if (why) throw new Error(`GGUF export: ${why} is not supported`);
  if (tok.tokens.length !== cfg.vocabSize) throw new Error(`GGUF export: the tokenizer has ${tok.tokens.length} tokens but the model's vocabulary is ${cfg.vocabSize} (resize one of them)`);
  const arch = cfg.family === 'qwen2' ? 'qwen2' : cfg.family === 'gpt2' ? 'gpt2' : 'llama';
  // Matrices take the file's type; vectors (norms, biases) stay F32, as llama.cpp's converter writes them.
  const tensors: GgufTensor[] = [];
  const add = (gname: string, ours: string, transform?: (w: Float32Array, t: Tensor) => Float32Array): void => {
    const t = params.get(ours);
    if (!t) throw new Error(`GGUF export: parameter ${ours} is missing`);
    tensors.push({ name: gname, shape: [...t.shape], data: transform ? transform(t.f, t) : t.f, type: t.ndim === 2 ? dtype : 'f32' });
  };
  const meta = arch === 'gpt2' ? gpt2Tensors(cfg, params, tensors, add, dtype) : llamaTensors(cfg, params, tensors, add, dtype, arch);
  writeFile(path, tok, tensors, meta, arch, name, dtype);
}

type AddTensor = (gname: string, ours: string, transform?: (w: Float32Array, t: Tensor) => Float32Array) => void;

/** GPT-2's tensors; returns the architecture's metadata. */
function gpt2Tensors(cfg: ModelConfig, params: Map<string, Tensor>, tensors: GgufTensor[], add: AddTensor, dtype: GgufDtype): [string, MetaValue][] {
  add('token_embd.weight', 'model.embed_tokens.weight');
  add('position_embd.weight', 'model.embed_positions.weight');
  const join = (names: string[]): Float32Array => {
    const parts = names.map((n) => params.get(n)!);
    const out = new Float32Array(parts.reduce((k, t) => k + t.size, 0));
    let at = 0;
    for (const t of parts) { out.set(t.f, at); at += t.size; }
    return out;
  };
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}.`, b = `blk.${l}.`, qkv = ['q_proj', 'k_proj', 'v_proj'];
    for (const [g, ours] of [['attn_norm', 'input_layernorm'], ['ffn_norm', 'post_attention_layernorm']]) {
      add(`${b}${g}.weight`, `${p}${ours}.weight`);
      add(`${b}${g}.bias`, `${p}${ours}.bias`);
    }
    // c_attn: q, k and v stacked as rows of one [3C, C] matrix.
    tensors.push({ name: `${b}attn_qkv.weight`, shape: [3 * cfg.hiddenSize, cfg.hiddenSize], data: join(qkv.map((n) => `${p}self_attn.${n}.weight`)), type: dtype });
    tensors.push({ name: `${b}attn_qkv.bias`, shape: [3 * cfg.hiddenSize], data: join(qkv.map((n) => `${p}self_attn.${n}.bias`)), type: 'f32' });
    for (const [g, ours] of [['attn_output', 'self_attn.o_proj'], ['ffn_up', 'mlp.up_proj'], ['ffn_down', 'mlp.down_proj']]) {
      add(`${b}${g}.weight`, `${p}${ours}.weight`);
      add(`${b}${g}.bias`, `${p}${ours}.bias`);
    }
  }
  add('output_norm.weight', 'model.norm.weight');
  add('output_norm.bias', 'model.norm.bias');
  add('output.weight', cfg.tieEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  const u32 = (value: number): MetaValue => ({ type: ValueType.U32, value });
  return [
    ['gpt2.context_length', u32(cfg.maxPositions)],
    ['gpt2.embedding_length', u32(cfg.hiddenSize)],
    ['gpt2.block_count', u32(cfg.numLayers)],
    ['gpt2.feed_forward_length', u32(cfg.intermediateSize)],
    ['gpt2.attention.head_count', u32(cfg.numHeads)],
    ['gpt2.attention.layer_norm_epsilon', { type: ValueType.F32, value: cfg.normEps }],
  ];
}

/** The LLaMA family's tensors (llama, mistral, mixtral, qwen2); returns its metadata. */
function llamaTensors(cfg: ModelConfig, params: Map<string, Tensor>, tensors: GgufTensor[], add: AddTensor, dtype: GgufDtype, arch: string): [string, MetaValue][] {
  const rope = (heads: number) => (w: Float32Array, t: Tensor): Float32Array => (arch === 'llama' ? permuteRope(w, heads, cfg.headDim, t.shape[1]) : w);
  add('token_embd.weight', 'model.embed_tokens.weight');
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}.`, b = `blk.${l}.`;
    add(`${b}attn_norm.weight`, `${p}input_layernorm.weight`);
    add(`${b}attn_q.weight`, `${p}self_attn.q_proj.weight`, rope(cfg.numHeads));
    add(`${b}attn_k.weight`, `${p}self_attn.k_proj.weight`, rope(cfg.numKvHeads));
    add(`${b}attn_v.weight`, `${p}self_attn.v_proj.weight`);
    add(`${b}attn_output.weight`, `${p}self_attn.o_proj.weight`);
    if (cfg.qkvBias) {
      // A bias is a [rows] vector: permute it like a one-column matrix.
      add(`${b}attn_q.bias`, `${p}self_attn.q_proj.bias`, (w) => (arch === 'llama' ? permuteRope(w, cfg.numHeads, cfg.headDim, 1) : w));
      add(`${b}attn_k.bias`, `${p}self_attn.k_proj.bias`, (w) => (arch === 'llama' ? permuteRope(w, cfg.numKvHeads, cfg.headDim, 1) : w));
      add(`${b}attn_v.bias`, `${p}self_attn.v_proj.bias`);
    }
    if (cfg.outBias) add(`${b}attn_output.bias`, `${p}self_attn.o_proj.bias`);
    add(`${b}ffn_norm.weight`, `${p}post_attention_layernorm.weight`);
    if (cfg.ffn === 'moe') {
      add(`${b}ffn_gate_inp.weight`, `${p}block_sparse_moe.gate.weight`);
      // Experts are stacked into one 3-D tensor per projection: [E, out, in].
      for (const [g, w] of [['ffn_gate_exps', 'w1'], ['ffn_down_exps', 'w2'], ['ffn_up_exps', 'w3']] as const) {
        const parts = Array.from({ length: cfg.numExperts }, (_, e) => params.get(`${p}block_sparse_moe.experts.${e}.${w}.weight`)!);
        const data = new Float32Array(parts.reduce((n, t) => n + t.size, 0));
        parts.forEach((t, e) => data.set(t.f, e * t.size));
        tensors.push({ name: `${b}${g}.weight`, shape: [cfg.numExperts, ...parts[0].shape], data, type: dtype });
      }
    } else {
      add(`${b}ffn_gate.weight`, `${p}mlp.gate_proj.weight`);
      add(`${b}ffn_up.weight`, `${p}mlp.up_proj.weight`);
      add(`${b}ffn_down.weight`, `${p}mlp.down_proj.weight`);
    }
  }
  add('output_norm.weight', 'model.norm.weight');
  if (!cfg.tieEmbeddings) add('output.weight', 'lm_head.weight');

  const u32 = (value: number): MetaValue => ({ type: ValueType.U32, value });
  const s = cfg.ropeScaling;
  const scaling: [string, MetaValue][] = [];
  if (s?.type === 'linear' || s?.type === 'yarn') {
    scaling.push([`${arch}.rope.scaling.type`, { type: ValueType.String, value: s.type }], [`${arch}.rope.scaling.factor`, { type: ValueType.F32, value: s.factor }]);
    if (s.type === 'yarn') scaling.push([`${arch}.rope.scaling.original_context_length`, u32(s.originalMaxPositions)]);
  } else if (s?.type === 'llama3') {
    // llama.cpp divides each pair's frequency by its factor: plain over scaled.
    const plain = ropeInvFreq(cfg.headDim, cfg.ropeTheta, null).invFreq, scaled = ropeInvFreq(cfg.headDim, cfg.ropeTheta, s).invFreq;
    tensors.push({ name: 'rope_freqs.weight', shape: [cfg.headDim / 2], data: plain.map((x, i) => x / scaled[i]), type: 'f32' });
  }
  return [
    [`${arch}.context_length`, u32(cfg.maxPositions)],
    [`${arch}.embedding_length`, u32(cfg.hiddenSize)],
    [`${arch}.block_count`, u32(cfg.numLayers)],
    [`${arch}.feed_forward_length`, u32(cfg.intermediateSize)],
    [`${arch}.rope.dimension_count`, u32(cfg.headDim)],
    [`${arch}.rope.freq_base`, { type: ValueType.F32, value: cfg.ropeTheta }],
    [`${arch}.attention.head_count`, u32(cfg.numHeads)],
    [`${arch}.attention.head_count_kv`, u32(cfg.numKvHeads)],
    [`${arch}.attention.key_length`, u32(cfg.headDim)],
    [`${arch}.attention.value_length`, u32(cfg.headDim)],
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: ValueType.F32, value: cfg.normEps }],
    [`${arch}.vocab_size`, u32(cfg.vocabSize)],
    ...(cfg.ffn === 'moe' ? [[`${arch}.expert_count`, u32(cfg.numExperts)], [`${arch}.expert_used_count`, u32(cfg.expertsPerToken)]] as [string, MetaValue][] : []),
    ...scaling,
  ];
}

/** Header, metadata, tensor descriptors, then the tensors. */
function writeFile(path: string, tok: GgufTokenizer, tensors: GgufTensor[], archMeta: [string, MetaValue][], arch: string, name: string, dtype: GgufDtype): void {
  const u32 = (value: number): MetaValue => ({ type: ValueType.U32, value });
  const meta: [string, MetaValue][] = [
    ['general.architecture', { type: ValueType.String, value: arch }],
    ['general.name', { type: ValueType.String, value: name }],
    ['general.file_type', u32(FILE_TYPE[dtype])],
    ['general.alignment', u32(ALIGN)],
    ...archMeta,
    ['tokenizer.ggml.model', { type: ValueType.String, value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: ValueType.String, value: tok.pre }],
    ['tokenizer.ggml.tokens', { type: ValueType.Array, of: ValueType.String, value: tok.tokens }],
    ['tokenizer.ggml.token_type', { type: ValueType.Array, of: ValueType.I32, value: tok.tokenTypes }],
    ['tokenizer.ggml.merges', { type: ValueType.Array, of: ValueType.String, value: tok.merges }],
    ['tokenizer.ggml.add_bos_token', { type: ValueType.Bool, value: tok.addBosToken }],
  ];
  if (tok.bosTokenId !== null) meta.push(['tokenizer.ggml.bos_token_id', u32(tok.bosTokenId)]);
  if (tok.eosTokenId !== null) meta.push(['tokenizer.ggml.eos_token_id', u32(tok.eosTokenId)]);
  if (tok.padTokenId !== null) meta.push(['tokenizer.ggml.padding_token_id', u32(tok.padTokenId)]);
  if (tok.chatTemplate) meta.push(['tokenizer.chat_template', { type: ValueType.String, value: tok.chatTemplate }]);

  const w = new Writer();
  w.u32(0x46554747); // "GGUF"
  w.u32(3);
  w.u64(tensors.length);
  w.u64(meta.length);
  for (const [key, value] of meta) {
    if (value.type === ValueType.U32 && !(Number.isInteger(value.value) && value.value >= 0 && value.value <= U32_MAX)) {
      throw new Error(`GGUF export: ${key} is ${value.value}, outside GGUF's uint32 range [0, ${U32_MAX}]`);
    }
    w.str(key);
    writeValue(w, value);
  }
  let offset = 0;
  for (const t of tensors) {
    w.str(t.name);
    w.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) w.u64(t.shape[d]);
    w.u32(t.type === 'f16' ? GGML_F16 : t.type === 'q8_0' ? GGML_Q8_0 : GGML_F32);
    w.u64(offset);
    offset += Math.ceil(storedBytes(t) / ALIGN) * ALIGN;
  }
  w.pad();
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, w.bytes());
    const zeros = new Uint8Array(ALIGN);
    for (const t of tensors) {
      // Converted one tensor at a time, so export never holds a second copy of the model.
      const p = t.type === 'f16' ? f32ToF16(t.data) : t.type === 'q8_0' ? toQ8_0(t.data, t.shape, t.name) : t.data;
      writeSync(fd, new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
      const rest = (ALIGN - (p.byteLength % ALIGN)) % ALIGN;
      if (rest) writeSync(fd, zeros, 0, rest);
    }
  } finally {
    closeSync(fd);
  }
}
