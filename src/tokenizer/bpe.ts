// The BPE model: a vocabulary, ranked merges, and the encoding of one pre-tokenized piece.
//
// Two symbol alphabets, as the two BPE families define them:
//   'bytes' (GPT-2, LLaMA-3, Qwen): a piece starts as its UTF-8 bytes; tokens are stored in
//           tokenizer.json through GPT-2's byte↔unicode map ("Ġthe").
//   'chars' (SentencePiece BPE, LLaMA-2): a piece starts as its characters; a character missing from
//           the vocabulary becomes its UTF-8 bytes as `<0xNN>` tokens (byte_fallback) or `unk`.
// Merges are applied lowest rank first (rank = position in the merge list), leftmost on a tie.
import { bytesToUnicode, unicodeToBytes, utf8, utf8Encode } from './bytes.js';
import { Int32Buf } from './buf.js';
import { PieceCache } from './cache.js';
import { PairTable, applyMerges } from './pairs.js';

export interface BpeModelOptions {
  kind: 'bytes' | 'chars';
  /** id → token as tokenizer.json spells it; holes (unused ids) are allowed. */
  tokens: ReadonlyArray<string | undefined>;
  /** Merges in rank order, as pairs of token ids; the result is the token spelled left + right. */
  merges: ReadonlyArray<readonly [number, number]>;
  /** Hugging Face's `ignore_merges` (tiktoken always does it): a piece that is itself a token is
   * that token, whatever the merges would make of it. */
  ignoreMerges?: boolean;
  /** 'chars' only: unknown characters become `<0xNN>` byte tokens. */
  byteFallback?: boolean;
  /** 'chars' only: the token for what cannot be encoded otherwise. */
  unkToken?: string | null;
  /** 'chars' only: consecutive unknowns become one `unk`. */
  fuseUnk?: boolean;
  /** 'chars' only: the Metaspace character, which decodes to a space. */
  metaspace?: string;
}

export class BpeModel {
  readonly kind: 'bytes' | 'chars';
  readonly tokens: ReadonlyArray<string | undefined>;
  readonly merges: ReadonlyArray<readonly [number, number]>;
  readonly vocab = new Map<string, number>();
  readonly ignoreMerges: boolean;
  readonly byteFallback: boolean;
  readonly unkToken: string | null;
  readonly fuseUnk: boolean;
  readonly metaspace: string;
  private readonly pairs: PairTable;
  private readonly byteToId = new Int32Array(256).fill(-1);
  private readonly unkId: number;
  private readonly cache = new PieceCache();
  private bytePool = new Uint8Array(0);
  private byteStart = new Int32Array(0);
  private scratchBytes = new Uint8Array(1024);
  private scratchSyms = new Int32Array(1024);

  constructor(o: BpeModelOptions) {
    this.kind = o.kind;
    this.tokens = o.tokens;
    this.merges = o.merges;
    this.ignoreMerges = o.ignoreMerges ?? false;
    this.byteFallback = o.byteFallback ?? false;
    this.unkToken = o.unkToken ?? null;
    this.fuseUnk = o.fuseUnk ?? false;
    this.metaspace = o.metaspace ?? '\u2581';
    o.tokens.forEach((t, id) => {
      if (t !== undefined) this.vocab.set(t, id);
    });
    if (this.vocab.size !== o.tokens.filter((t) => t !== undefined).length) {
      const seen = new Set<string>();
      const dup = o.tokens.find((t) => t !== undefined && (seen.has(t) || !seen.add(t)));
      throw new Error(`BPE vocabulary lists the token ${JSON.stringify(dup)} twice`);
    }
    this.pairs = new PairTable(o.merges.length);
    o.merges.forEach(([a, b], rank) => {
      const id = this.vocab.get(`${o.tokens[a]}${o.tokens[b]}`);
      if (id === undefined || o.tokens[a] === undefined || o.tokens[b] === undefined) {
        throw new Error(`BPE merge ${rank} (${JSON.stringify(o.tokens[a])} + ${JSON.stringify(o.tokens[b])}) makes a token missing from the vocabulary`);
      }
      if (this.pairs.find(a, b) < 0) this.pairs.set(a, b, rank, id); // a repeated merge keeps its first rank
    });
    if (this.kind === 'bytes') {
      for (let b = 0; b < 256; b++) this.byteToId[b] = this.vocab.get(bytesToUnicode([b])) ?? -1;
    } else {
      for (let b = 0; b < 256; b++) this.byteToId[b] = this.vocab.get(byteFallbackToken(b)) ?? -1;
    }
    this.unkId = this.unkToken === null ? -1 : (this.vocab.get(this.unkToken) ?? -1);
    if (this.unkToken !== null && this.unkId < 0) throw new Error(`BPE unk_token ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
    this.buildBytes();
  }

  /** One past the largest id. */
  get size(): number {
    return this.tokens.length;
  }

  /** Appends the ids of the piece s[start, end) to out (cached). */
  encodePiece(s: string, start: number, end: number, out: Int32Buf): void {
    if (this.cache.get(s, start, end, out)) return;
    const from = out.length;
    this.encodeUncached(s, start, end, out);
    this.cache.put(s, start, end, out.data.subarray(from, out.length), out.length - from);
  }

  /** The same without the cache: symbols, then merges. */
  encodeUncached(s: string, start: number, end: number, out: Int32Buf): void {
    const n = this.kind === 'bytes' ? this.byteSymbols(s, start, end) : this.charSymbols(s, start, end);
    const syms = this.scratchSyms;
    const m = applyMerges(this.pairs, syms, n);
    // ignoreMerges: a piece that is a token is that token. Merges already made it one token when
    // the token is reachable, so the vocabulary is only consulted when they did not.
    if (this.ignoreMerges && m > 1) {
      const whole = this.vocab.get(this.kind === 'bytes' ? bytesToUnicode(this.scratchBytes.subarray(0, n)) : s.slice(start, end));
      if (whole !== undefined) return out.push(whole);
    }
    out.reserve(m);
    for (let i = 0; i < m; i++) out.data[out.length++] = syms[i];
  }

  /** UTF-8 bytes of token `id` (a Metaspace char decodes to a space, `<0xNN>` to its byte). */
  tokenBytes(id: number): Uint8Array {
    return this.bytePool.subarray(this.byteStart[id], this.byteStart[id + 1]);
  }

  /** Whether `id` names a token of this model. */
  has(id: number): boolean {
    return id >= 0 && id < this.tokens.length && this.tokens[id] !== undefined;
  }

  private byteSymbols(s: string, start: number, end: number): number {
    this.ensureScratch((end - start) * 3);
    const n = utf8Encode(s, start, end, this.scratchBytes);
    const bytes = this.scratchBytes;
    const syms = this.scratchSyms;
    for (let i = 0; i < n; i++) {
      const id = this.byteToId[bytes[i]];
      if (id < 0) throw new Error(`byte 0x${bytes[i].toString(16)} has no token in this byte-level vocabulary`);
      syms[i] = id;
    }
    return n;
  }

  private charSymbols(s: string, start: number, end: number): number {
    this.ensureScratch((end - start) * 4);
    const syms = this.scratchSyms;
    let n = 0;
    for (let i = start; i < end; ) {
      const cp = s.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      const ch = s.slice(i, i + w);
      i += w;
      const id = this.vocab.get(ch);
      if (id !== undefined) {
        syms[n++] = id;
        continue;
      }
      if (this.byteFallback) {
        const bytes = utf8(ch);
        if (bytes.every((b) => this.byteToId[b] >= 0)) {
          for (const b of bytes) syms[n++] = this.byteToId[b];
          continue;
        }
      }
      if (this.unkId < 0) throw new Error(`character ${JSON.stringify(ch)} is not in the vocabulary and the model has no unk_token`);
      if (!(this.fuseUnk && n > 0 && syms[n - 1] === this.unkId)) syms[n++] = this.unkId;
    }
    return n;
  }

  private ensureScratch(n: number): void {
    if (this.scratchBytes.length < n) {
      this.scratchBytes = new Uint8Array(n * 2);
      this.scratchSyms = new Int32Array(n * 2);
    }
  }

  private buildBytes(): void {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const t of this.tokens) {
      const b = t === undefined ? new Uint8Array(0) : this.spell(t);
      parts.push(b);
      total += b.length;
    }
    this.bytePool = new Uint8Array(total);
    this.byteStart = new Int32Array(parts.length + 1);
    let at = 0;
    parts.forEach((b, id) => {
      this.byteStart[id] = at;
      this.bytePool.set(b, at);
      at += b.length;
    });
    this.byteStart[parts.length] = at;
  }

  private spell(t: string): Uint8Array {
    if (this.kind === 'bytes') return unicodeToBytes(t) ?? utf8(t); // a special token stored in the vocab
    const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
    if (m && this.byteFallback) return Uint8Array.of(parseInt(m[1], 16));
    return utf8(t.split(this.metaspace).join(' '));
  }
}

/** SentencePiece's name for a raw byte: `<0x0A>`. */
export function byteFallbackToken(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}
