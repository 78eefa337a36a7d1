// Hugging Face tokenizer files: tokenizer.json (the pipeline, BPE vocabulary and merges, added
// tokens) and tokenizer_config.json (bos/eos/pad/unk names, chat template).
//
// Read: byte-level BPE (GPT-2, LLaMA-3, Qwen: ByteLevel or Split + ByteLevel pre-tokenizer) and
// SentencePiece-style BPE (LLaMA-2, Mistral: Metaspace "▁", or a Prepend + Replace normalizer, with
// byte_fallback `<0xNN>` tokens). Merges may be "a b" strings or ["a", "b"] pairs.
// Written: merges as "a b" strings (readable by every tokenizers version), stages unchanged.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import type { AddedToken } from './added.js';
import { BpeModel } from './bpe.js';
import { bytesToUnicode } from './bytes.js';
import type { Json, JsonObject, TokenizerComponents } from './pipeline.js';
import { Tokenizer, type TokenizerConfig } from './tokenizer.js';
import { readJsonObject } from '../util/text.js';
import { ensureDir } from '../util/fs.js';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Runs `fn`, prefixing its deliberate errors with the file they are about (the model and pipeline
 * constructors do not know it). A TypeError is a bug, and stays as it is. */
function about<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TypeError || !(e instanceof Error) || e.message.startsWith(where)) throw e;
    throw new Error(`${where}: ${e.message}`);
  }
}

export function tokenizerFromJson(json: JsonObject, config: JsonObject = {}, where = 'tokenizer.json', configWhere = 'tokenizer_config.json'): Tokenizer {
  const m = json.model as JsonObject | undefined;
  if (!isObject(m) || m.type !== 'BPE') throw new Error(`${where}: model.type must be "BPE", got ${JSON.stringify(isObject(m) ? m.type : m)}`);
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
    if (m[key] !== null && m[key] !== undefined && m[key] !== '') throw new Error(`${where}: model.${key} ${JSON.stringify(m[key])} is not supported`);
  }
  const vocab = m.vocab as Record<string, number> | undefined;
  if (!isObject(vocab)) throw new Error(`${where}: model.vocab must map tokens to ids`);
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added)) throw new Error(`${where}: added_tokens must be a list`);
  // Ids are dense in practice (holes only after resizing); bounding them by the entries keeps a
  // vocabulary that claims id 10^12 from becoming a 10^12-slot table.
  const entries = Object.keys(vocab).length + added.length;
  const maxId = 2 * entries + 1024;
  const tokens: Array<string | undefined> = [];
  for (const [t, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || id < 0) throw new Error(`${where}: model.vocab[${JSON.stringify(t)}] = ${JSON.stringify(id)} is not an id`);
    if (id > maxId) throw new Error(`${where}: model.vocab[${JSON.stringify(t)}] = ${id} is far past the ${entries} tokens the file defines`);
    if (tokens[id] !== undefined) throw new Error(`${where}: model.vocab gives id ${id} to both ${JSON.stringify(tokens[id])} and ${JSON.stringify(t)}`);
    tokens[id] = t;
  }
  if (!Array.isArray(m.merges ?? [])) throw new Error(`${where}: model.merges must be a list`);
  const merges = ((m.merges ?? []) as Json[]).map((entry, i): [number, number] => {
    const parts = typeof entry === 'string' ? entry.split(' ') : entry;
    if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== 'string' || typeof parts[1] !== 'string') {
      throw new Error(`${where}: model.merges[${i}] ${JSON.stringify(entry)} is not a pair of tokens`);
    }
    const [a, b] = [vocab[parts[0]], vocab[parts[1]]];
    if (!Object.hasOwn(vocab, parts[0]) || !Object.hasOwn(vocab, parts[1])) throw new Error(`${where}: model.merges[${i}] ${JSON.stringify(entry)} names a token missing from the vocabulary`);
    return [a, b];
  });
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const) {
    if (json[key] !== undefined && json[key] !== null && !isObject(json[key])) throw new Error(`${where}: ${key} must be an object or null`);
  }
  const pipeline: TokenizerComponents = {
    normalizer: (json.normalizer ?? null) as JsonObject | null,
    pre_tokenizer: (json.pre_tokenizer ?? null) as JsonObject | null,
    post_processor: (json.post_processor ?? null) as JsonObject | null,
    decoder: (json.decoder ?? null) as JsonObject | null,
  };
  const byteLevel = mentions(pipeline.pre_tokenizer, 'ByteLevel') || mentions(pipeline.decoder, 'ByteLevel');
  // A byte-level vocabulary must spell every byte, or some text cannot be encoded at all: refused
  // here, where the file is known, rather than at the first such text.
  const missing = byteLevel && typeof m.unk_token !== 'string' ? [...Array(256).keys()].filter((b) => !Object.hasOwn(vocab, bytesToUnicode([b]))) : [];
  if (missing.length) {
    throw new Error(`${where}: the byte-level vocabulary has no token for byte${missing.length > 1 ? 's' : ''} ${missing.slice(0, 8).map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')}${missing.length > 8 ? ', …' : ''} (each of the 256 bytes needs one)`);
  }
  const model = about(where, () => new BpeModel({
    kind: byteLevel ? 'bytes' : 'chars',
    tokens,
    merges,
    ignoreMerges: m.ignore_merges === true,
    byteFallback: m.byte_fallback === true,
    unkToken: typeof m.unk_token === 'string' ? m.unk_token : null,
    fuseUnk: m.fuse_unk === true,
    metaspace: metaspaceChar(pipeline),
  }));
  const addedTokens = (added as Json[]).map((t, i): AddedToken => {
    if (!isObject(t) || !Number.isInteger(t.id) || (t.id as number) < 0 || (t.id as number) > maxId || typeof t.content !== 'string' || t.content === '') {
      throw new Error(`${where}: added_tokens[${i}] needs an id (a non-negative integer within the vocabulary) and a non-empty content`);
    }
    return { id: t.id as number, content: t.content, special: t.special === true, lstrip: t.lstrip === true, rstrip: t.rstrip === true, singleWord: t.single_word === true };
  });
  const tokConfig = readConfig(config, configWhere);
  return about(where, () => new Tokenizer({ model, pipeline, addedTokens, config: tokConfig, source: where }));
}

export function tokenizerToJson(tok: Tokenizer): JsonObject {
  const m = tok.model;
  const vocab: JsonObject = {};
  m.tokens.forEach((t, id) => {
    if (t !== undefined) vocab[t] = id;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: tok.added.tokens.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: t.singleWord ?? false,
      lstrip: t.lstrip ?? false,
      rstrip: t.rstrip ?? false,
      normalized: !t.special,
      special: t.special,
    })),
    normalizer: tok.pipeline.normalizer,
    pre_tokenizer: tok.pipeline.pre_tokenizer,
    post_processor: tok.pipeline.post_processor,
    decoder: tok.pipeline.decoder,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: m.unkToken,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: m.fuseUnk,
      byte_fallback: m.byteFallback,
      ignore_merges: m.ignoreMerges,
      vocab,
      merges: m.merges.map(([a, b]) => `${m.tokens[a]} ${m.tokens[b]}`),
    },
  };
}

export function configToJson(tok: Tokenizer): JsonObject {
  const c = tok.config;
  const decoder: JsonObject = {};
  for (const t of tok.added.tokens) {
    decoder[String(t.id)] = { content: t.content, lstrip: t.lstrip ?? false, normalized: !t.special, rstrip: t.rstrip ?? false, single_word: t.singleWord ?? false, special: t.special };
  }
  const out: JsonObject = {
    added_tokens_decoder: decoder,
    bos_token: c.bosToken ?? null,
    eos_token: c.eosToken ?? null,
    pad_token: c.padToken ?? null,
    unk_token: c.unkToken ?? null,
    clean_up_tokenization_spaces: false,
    model_max_length: c.modelMaxLength ?? 1e30, // transformers' "no limit" value
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
  if (c.chatTemplate !== undefined) out.chat_template = c.chatTemplate;
  return out;
}

function readConfig(c: JsonObject, where: string): TokenizerConfig {
  const name = (key: string): string | undefined => {
    const v = c[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (isObject(v) && typeof v.content === 'string') return v.content;
    throw new Error(`${where}: ${key} must be a token string or {"content": …}, got ${JSON.stringify(v).slice(0, 60)}`);
  };
  let chatTemplate: string | undefined;
  if (typeof c.chat_template === 'string') chatTemplate = c.chat_template;
  else if (Array.isArray(c.chat_template)) {
    // Several named templates: the one called "default" is what apply_chat_template uses.
    const named = c.chat_template.filter(isObject);
    const t = named.find((x) => x.name === 'default') ?? named[0];
    if (typeof t?.template !== 'string') throw new Error(`${where}: chat_template lists no {"name", "template"} entry`);
    chatTemplate = t.template;
  } else if (c.chat_template !== undefined && c.chat_template !== null) {
    throw new Error(`${where}: chat_template must be a string or a list of named templates`);
  }
  if (chatTemplate !== undefined) {
    try {
      new Template(chatTemplate);
    } catch (e) {
      throw new Error(`${where}: chat_template is not a template jinja can parse (${(e as Error).message})`);
    }
  }
  const max = c.model_max_length;
  return {
    bosToken: name('bos_token'),
    eosToken: name('eos_token'),
    padToken: name('pad_token'),
    unkToken: name('unk_token'),
    chatTemplate,
    modelMaxLength: typeof max === 'number' && max < 1e15 ? max : undefined,
  };
}

/** Reads DIR/tokenizer.json and, when present, DIR/tokenizer_config.json. */
export function loadTokenizer(dir: string): Tokenizer {
  const file = join(dir, 'tokenizer.json');
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) throw new Error(`${dir}: no such tokenizer folder`);
  if (!st.isDirectory()) throw new Error(`${dir} is a file; a tokenizer is a folder holding tokenizer.json`);
  if (!existsSync(file)) throw new Error(`${file} does not exist (write one with: rlhf tokenizer from-tiktoken gpt2 --out ${dir})`);
  const configFile = join(dir, 'tokenizer_config.json');
  const config = existsSync(configFile) ? (readJsonObject(configFile) as JsonObject) : {};
  return tokenizerFromJson(readJsonObject(file) as JsonObject, config, file, configFile);
}

/** Writes DIR/tokenizer.json and DIR/tokenizer_config.json. */
export function saveTokenizer(tok: Tokenizer, dir: string): void {
  ensureDir(dir);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerToJson(tok), null, 2) + '\n');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(configToJson(tok), null, 2) + '\n');
}

/** Whether a stage (or a Sequence inside it) has the given type. */
function mentions(stage: Json, type: string): boolean {
  if (!stage || typeof stage !== 'object') return false;
  if (Array.isArray(stage)) return stage.some((s) => mentions(s, type));
  return stage.type === type || Object.values(stage).some((v) => Array.isArray(v) && mentions(v, type));
}

/** The Metaspace replacement of a SentencePiece-style pipeline ("▁" unless told otherwise). */
function metaspaceChar(p: TokenizerComponents): string {
  const pre = p.pre_tokenizer;
  if (pre?.type === 'Metaspace' && typeof pre.replacement === 'string') return pre.replacement;
  return '\u2581';
}
