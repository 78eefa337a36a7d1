// A tokenizer: added tokens, then per text segment normalizer → pre-tokenizer → BPE, then the
// post-processor; decode concatenates token bytes. The Hugging Face tokenizer.json pipeline, minus
// the parts (offsets, padding, truncation, pairs) this project does not use.
import { AddedVocabulary, type AddedToken, type AllowedSpecial } from './added.js';
import type { BpeModel } from './bpe.js';
import { Int32Buf } from './buf.js';
import { utf8 } from './bytes.js';
import { compilePipeline, type CompiledPipeline, type TokenizerComponents } from './pipeline.js';

/** What tokenizer_config.json adds: named special tokens and the chat template. */
export interface TokenizerConfig {
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  unkToken?: string;
  /** A Jinja chat template (see chat.ts); DEFAULT_CHAT_TEMPLATE when absent. */
  chatTemplate?: string;
  modelMaxLength?: number;
}

export interface EncodeOptions {
  /** Special tokens that may appear in the text; others are encoded as plain characters. */
  allowedSpecial?: AllowedSpecial;
  /** Apply the post-processor (e.g. prepend BOS). Default false. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (BOS, EOS, <|im_start|>, …) from the text. */
  skipSpecialTokens?: boolean;
}

export interface TokenizerInit {
  model: BpeModel;
  pipeline: TokenizerComponents;
  addedTokens?: AddedToken[];
  config?: TokenizerConfig;
  /** Where the pipeline came from, for error messages (e.g. the tokenizer.json path). */
  source?: string;
}

export class Tokenizer {
  readonly model: BpeModel;
  readonly pipeline: TokenizerComponents;
  readonly added: AddedVocabulary;
  readonly config: TokenizerConfig;
  private readonly compiled: CompiledPipeline;
  private readonly addedBytes = new Map<number, Uint8Array>();
  private readonly specialIds = new Set<number>();
  private readonly ends = new Int32Buf();
  private readonly out = new Int32Buf(1 << 16);
  // ignoreBOM: a leading U+FEFF is text, not a byte-order mark to drop (js-tiktoken loses it).
  private readonly utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(init: TokenizerInit) {
    this.model = init.model;
    this.pipeline = init.pipeline;
    this.added = new AddedVocabulary(init.addedTokens ?? []);
    this.config = { ...init.config };
    this.compiled = compilePipeline(init.pipeline, init.source);
    for (const t of this.added.tokens) {
      this.addedBytes.set(t.id, utf8(t.content));
      if (t.special) this.specialIds.add(t.id);
    }
    for (const key of ['bosToken', 'eosToken', 'padToken', 'unkToken'] as const) {
      const name = this.config[key];
      if (name !== undefined && this.tokenToId(name) === undefined) throw new Error(`tokenizer config ${key} ${JSON.stringify(name)} is not a token`);
    }
  }

  /** One past the largest id, model and added tokens together: the embedding table's row count. */
  get vocabSize(): number {
    let n = this.model.size;
    for (const t of this.added.tokens) n = Math.max(n, t.id + 1);
    return n;
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out = this.out;
    out.length = 0;
    this.encodeInto(text, out, opts);
    const ids = new Array<number>(out.length); // faster than Array.from on a typed array
    for (let i = 0; i < out.length; i++) ids[i] = out.data[i];
    return ids;
  }

  /** Appends the ids of text to out: the allocation-free form of encode, for data pipelines. */
  encodeInto(text: string, out: Int32Buf, opts: EncodeOptions = {}): void {
    if (opts.addSpecialTokens) for (const id of this.compiled.prefix) out.push(id);
    for (const seg of this.added.split(text, opts.allowedSpecial)) {
      if (seg.id >= 0) out.push(seg.id);
      else this.encodeText(text, seg.start, seg.end, out);
    }
    if (opts.addSpecialTokens) for (const id of this.compiled.suffix) out.push(id);
  }

  private encodeText(text: string, start: number, end: number, out: Int32Buf): void {
    let s = text;
    if (this.compiled.normalize) {
      s = this.compiled.normalize(text.slice(start, end), start === 0);
      start = 0;
      end = s.length;
    }
    const model = this.model;
    const pieceEnd = this.compiled.splitter.pieceEnd;
    if (pieceEnd) {
      for (let i = start; i < end; ) {
        const e = pieceEnd(s, i, end);
        model.encodePiece(s, i, e, out);
        i = e;
      }
      return;
    }
    const ends = this.ends;
    ends.length = 0;
    this.compiled.splitter.split(s, start, end, ends);
    const e = ends.data;
    for (let k = 0, a = start; k < ends.length; a = e[k++]) model.encodePiece(s, a, e[k], out);
  }

  /** UTF-8 bytes of the ids: what a streaming decoder accumulates until a character is complete. */
  decodeBytes(ids: ArrayLike<number>, opts: DecodeOptions = {}): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (opts.skipSpecialTokens && this.specialIds.has(id)) continue;
      const b = this.addedBytes.get(id) ?? (this.model.has(id) ? this.model.tokenBytes(id) : undefined);
      if (!b) throw new RangeError(`token id ${id} (at ${i}) is not in the vocabulary (size ${this.vocabSize})`);
      parts.push(b);
      total += b.length;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const b of parts) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }

  /** Text of the ids; an incomplete UTF-8 sequence decodes to U+FFFD. */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    let s = this.utf8Decoder.decode(this.decodeBytes(ids, opts));
    for (let k = 0; k < this.compiled.stripLeadingSpaces && s.startsWith(' '); k++) s = s.slice(1);
    return s;
  }

  tokenToId(token: string): number | undefined {
    return this.added.get(token)?.id ?? this.model.vocab.get(token);
  }

  /** The token as tokenizer.json spells it ("Ġthe" for " the" in a byte-level vocabulary). */
  idToToken(id: number): string | undefined {
    return this.added.tokens.find((t) => t.id === id)?.content ?? this.model.tokens[id];
  }

  /** Ids of the special tokens a chat template or a trainer refers to by name. */
  specialId(name: string): number {
    const id = this.added.get(name)?.special ? this.added.get(name)!.id : undefined;
    if (id === undefined) throw new Error(`${JSON.stringify(name)} is not a special token of this tokenizer`);
    return id;
  }
}
