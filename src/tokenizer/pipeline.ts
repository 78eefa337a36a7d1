// The stages around the BPE model, described as tokenizer.json describes them (so a file we read is
// written back unchanged) and compiled here into what encode and decode run:
//   normalizer     → a string rewrite per text segment (Prepend "▁", Replace " " → "▁", NFC, …)
//   pre_tokenizer  → an optional rewrite (Metaspace, ByteLevel's add_prefix_space) and a splitter
//   post_processor → ids put before / after an encoded text (TemplateProcessing: BOS, EOS)
//   decoder        → whether decoding drops the space a Metaspace scheme prepended
// Anything else is refused with the path of the offending entry, never silently ignored.
import { GPT2_PATTERN, MetaspaceSplitter, RegexSplitter, SequenceSplitter, WholeSplitter, patternSplitter, toJsRegex, type Splitter } from './pretokenize.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface CompiledPipeline {
  /** Rewrites one text segment (the text between two added tokens); `first` for the segment at 0. */
  normalize: ((s: string, first: boolean) => string) | null;
  splitter: Splitter;
  /** Ids the post-processor puts around a text (BOS / EOS). */
  prefix: number[];
  suffix: number[];
  /** Leading spaces decode drops (1 for SentencePiece's prepended "▁"). */
  stripLeadingSpaces: number;
}

/** The components around the BPE model, as tokenizer.json holds them (Hugging Face's name). */
export interface TokenizerComponents {
  normalizer: JsonObject | null;
  pre_tokenizer: JsonObject | null;
  post_processor: JsonObject | null;
  decoder: JsonObject | null;
}

/** The pipeline of a byte-level BPE with the given split pattern, as Hugging Face writes it;
 * with `bos`, encode({ addSpecialTokens: true }) starts every text with that token. */
export function byteLevelPipeline(pattern: string, bos?: { content: string; id: number }): TokenizerComponents {
  const byteLevel = (useRegex: boolean): JsonObject => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
  return {
    normalizer: null,
    pre_tokenizer:
      pattern === GPT2_PATTERN
        ? byteLevel(true)
        : { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false }, byteLevel(false)] },
    post_processor: bos ? bosTemplate(bos.content, bos.id) : { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  };
}

function bosTemplate(bos: string, id: number): JsonObject {
  const special: JsonObject = { SpecialToken: { id: bos, type_id: 0 } };
  return {
    type: 'TemplateProcessing',
    single: [special, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [special, { Sequence: { id: 'A', type_id: 0 } }, special, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { [bos]: { id: bos, ids: [id], tokens: [bos] } },
  };
}

export function compilePipeline(cfg: TokenizerComponents, where = 'tokenizer.json'): CompiledPipeline {
  const rewrites: Array<(s: string, first: boolean) => string> = [];
  if (cfg.normalizer) rewrites.push(compileNormalizer(cfg.normalizer, `${where}: normalizer`));
  const splitters: Splitter[] = [];
  if (cfg.pre_tokenizer) compilePreTokenizer(cfg.pre_tokenizer, `${where}: pre_tokenizer`, rewrites, splitters);
  const { prefix, suffix } = cfg.post_processor ? compilePostProcessor(cfg.post_processor, `${where}: post_processor`) : { prefix: [], suffix: [] };
  return {
    normalize: rewrites.length === 0 ? null : (s, first) => rewrites.reduce((acc, f) => f(acc, first), s),
    splitter: splitters.length === 0 ? new WholeSplitter() : splitters.length === 1 ? splitters[0] : new SequenceSplitter(splitters),
    prefix,
    suffix,
    stripLeadingSpaces: cfg.decoder ? compileDecoder(cfg.decoder, `${where}: decoder`) : 0,
  };
}

function str(o: JsonObject, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new Error(`${where}.${key}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function list(o: JsonObject, key: string, where: string): JsonObject[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new Error(`${where}.${key}: expected a list, got ${JSON.stringify(v)}`);
  return v as JsonObject[];
}

function unsupported(o: JsonObject, where: string): Error {
  return new Error(`${where}: type ${JSON.stringify(o.type)} is not supported (${JSON.stringify(o).slice(0, 120)})`);
}

/** A `{ "String": s }` or `{ "Regex": r }` pattern as a global RegExp. */
function patternRegex(p: Json, where: string): RegExp {
  const o = (p ?? {}) as JsonObject;
  if (typeof o.String === 'string') return new RegExp(o.String.replace(/[\\^$*+?.()|[\]{}]/g, '\\$&'), 'gu');
  if (typeof o.Regex === 'string') return new RegExp(toJsRegex(o.Regex), 'gu');
  throw new Error(`${where}.pattern: expected {"String": …} or {"Regex": …}, got ${JSON.stringify(p)}`);
}

function compileNormalizer(o: JsonObject, where: string): (s: string, first: boolean) => string {
  switch (o.type) {
    case 'Sequence': {
      const parts = list(o, 'normalizers', where).map((n, i) => compileNormalizer(n, `${where}.normalizers[${i}]`));
      return (s, first) => parts.reduce((acc, f) => f(acc, first), s);
    }
    case 'Prepend': {
      const p = str(o, 'prepend', where);
      return (s) => (s.length ? p + s : s);
    }
    case 'Replace': {
      const re = patternRegex(o.pattern, where);
      const content = str(o, 'content', where);
      return (s) => s.replace(re, () => content);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = o.type;
      return (s) => s.normalize(form);
    }
    case 'Lowercase':
      return (s) => s.toLowerCase();
    default:
      throw unsupported(o, where);
  }
}

function compilePreTokenizer(o: JsonObject, where: string, rewrites: Array<(s: string, first: boolean) => string>, splitters: Splitter[]): void {
  switch (o.type) {
    case 'Sequence':
      list(o, 'pretokenizers', where).forEach((p, i) => compilePreTokenizer(p, `${where}.pretokenizers[${i}]`, rewrites, splitters));
      return;
    case 'ByteLevel':
      if (o.add_prefix_space === true) {
        if (splitters.length) throw new Error(`${where}: add_prefix_space after a splitting pre-tokenizer is not supported`);
        rewrites.push((s) => (s.length && s[0] !== ' ' ? ' ' + s : s));
      }
      if (o.use_regex !== false) splitters.push(patternSplitter(GPT2_PATTERN));
      return;
    case 'Split': {
      if (o.invert === true || (o.behavior !== undefined && o.behavior !== 'Isolated')) {
        throw new Error(`${where}: only Split with behavior "Isolated" and invert false is supported, got ${JSON.stringify(o)}`);
      }
      const p = (o.pattern ?? {}) as JsonObject;
      if (typeof p.Regex === 'string') splitters.push(patternSplitter(p.Regex));
      else if (typeof p.String === 'string') splitters.push(new RegexSplitter(p.String.replace(/[\\^$*+?.()|[\]{}]/g, '\\$&')));
      else throw new Error(`${where}.pattern: expected {"String": …} or {"Regex": …}`);
      return;
    }
    case 'Digits':
      splitters.push(new RegexSplitter(o.individual_digits === true ? '\\p{N}' : '\\p{N}+'));
      return;
    case 'Metaspace': {
      if (splitters.length) throw new Error(`${where}: Metaspace after a splitting pre-tokenizer is not supported`);
      const r = str(o, 'replacement', where);
      const scheme = typeof o.prepend_scheme === 'string' ? o.prepend_scheme : o.add_prefix_space === false ? 'never' : 'always';
      rewrites.push((s, first) => {
        const t = s.replaceAll(' ', r);
        return (scheme === 'always' || (scheme === 'first' && first)) && t.length && !t.startsWith(r) ? r + t : t;
      });
      if (o.split !== false) splitters.push(new MetaspaceSplitter(r));
      return;
    }
    default:
      throw unsupported(o, where);
  }
}

function compilePostProcessor(o: JsonObject, where: string): { prefix: number[]; suffix: number[] } {
  switch (o.type) {
    case 'ByteLevel':
      return { prefix: [], suffix: [] };
    case 'Sequence': {
      const parts = list(o, 'processors', where).map((p, i) => compilePostProcessor(p, `${where}.processors[${i}]`));
      return { prefix: parts.flatMap((p) => p.prefix), suffix: parts.flatMap((p) => p.suffix) };
    }
    case 'TemplateProcessing': {
      const prefix: number[] = [];
      const suffix: number[] = [];
      const specials = (o.special_tokens ?? {}) as JsonObject;
      let seenA = false;
      for (const [i, item] of list(o, 'single', where).entries()) {
        if (item.Sequence) {
          seenA = true;
          continue;
        }
        if (!item.SpecialToken) throw new Error(`${where}.single[${i}]: expected SpecialToken or Sequence`);
        const name = str(item.SpecialToken as JsonObject, 'id', `${where}.single[${i}].SpecialToken`);
        const ids = ((specials[name] ?? {}) as JsonObject).ids;
        if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'number')) {
          throw new Error(`${where}.special_tokens[${JSON.stringify(name)}].ids: expected a list of ids`);
        }
        (seenA ? suffix : prefix).push(...(ids as number[]));
      }
      return { prefix, suffix };
    }
    default:
      throw unsupported(o, where);
  }
}

function compileDecoder(o: JsonObject, where: string): number {
  switch (o.type) {
    case 'ByteLevel':
    case 'ByteFallback':
    case 'Fuse':
      return 0;
    case 'Metaspace': {
      const scheme = typeof o.prepend_scheme === 'string' ? o.prepend_scheme : o.add_prefix_space === false ? 'never' : 'always';
      return scheme === 'never' ? 0 : 1;
    }
    case 'Replace': {
      // Token bytes already spell the Metaspace char as a space (bpe.ts); only that rewrite is known.
      const p = (o.pattern ?? {}) as JsonObject;
      if (p.String !== '\u2581' || o.content !== ' ') throw unsupported(o, where);
      return 0;
    }
    case 'Strip':
      if (o.content !== ' ' || o.stop !== 0) throw unsupported(o, where);
      return typeof o.start === 'number' ? o.start : 0;
    case 'Sequence':
      return list(o, 'decoders', where).reduce((acc, d, i) => acc + compileDecoder(d, `${where}.decoders[${i}]`), 0);
    default:
      throw unsupported(o, where);
  }
}
