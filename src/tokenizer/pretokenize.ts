// Pre-tokenizers: split a text segment into pieces that BPE then encodes one at a time (merges never
// cross a piece boundary). A splitter appends the end offset of each piece of s[start, end) to `out`.
import { Int32Buf } from './buf.js';
import { cl100kPieceEnd, gpt2PieceEnd } from './scan.js';

/** GPT-2's pattern, as tiktoken and Hugging Face's ByteLevel pre-tokenizer use it. */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
/** GPT-4's cl100k pattern in Hugging Face's spelling (LLaMA-3 uses it): digits in groups of up to
 * three, case-insensitive contractions, a punctuation char may lead a word, newlines kept apart. */
export const CL100K_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** GPT-2's pattern with every digit a piece of its own (as LLaMA's split_digits): a number is
 * always spelled digit by digit, so small models can learn arithmetic column by column. */
export const DIGITS_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
/** The same pattern as js-tiktoken spells it (no inline flags). */
const CL100K_TIKTOKEN =
  "('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export const PATTERNS = { gpt2: GPT2_PATTERN, cl100k: CL100K_PATTERN, digits: DIGITS_PATTERN } as const;
export type PatternName = keyof typeof PATTERNS;

export interface Splitter {
  /** Appends the end offset of each piece of s[start, end) to out; the pieces cover the range. */
  split(s: string, start: number, end: number, out: Int32Buf): void;
  /** When present, the end of the one piece starting at i (n acting as the end of the text), so a
   * caller can encode each piece as it is found instead of collecting offsets first. */
  readonly pieceEnd?: (s: string, i: number, n: number) => number;
}

/** One of the hand-written scanners in scan.ts. */
class ScanSplitter implements Splitter {
  constructor(readonly pieceEnd: (s: string, i: number, n: number) => number) {}
  split(s: string, start: number, end: number, out: Int32Buf): void {
    const pieceEnd = this.pieceEnd;
    for (let i = start; i < end; ) out.push((i = pieceEnd(s, i, end)));
  }
}

/**
 * Any pattern, run with a sticky regex. Text between matches becomes pieces too (Hugging Face's
 * "Isolated" behaviour) so no byte is ever dropped; the GPT-2 and cl100k patterns match everywhere.
 */
export class RegexSplitter implements Splitter {
  private readonly re: RegExp;
  constructor(readonly pattern: string) {
    try {
      this.re = new RegExp(toJsRegex(pattern), 'uy');
    } catch (e) {
      throw new Error(`pre-tokenizer pattern ${JSON.stringify(pattern)} is not a valid JavaScript regex: ${(e as Error).message}`);
    }
  }

  split(s: string, start: number, end: number, out: Int32Buf): void {
    // Lookaheads such as (?!\S) must see the range's end as the end of input.
    const sub = start === 0 && end === s.length ? s : s.slice(start, end);
    const re = this.re;
    const n = sub.length;
    let gap = -1;
    for (let pos = 0; pos < n; ) {
      re.lastIndex = pos;
      if (re.test(sub) && re.lastIndex > pos) {
        if (gap >= 0) out.push(start + pos);
        gap = -1;
        pos = re.lastIndex;
        out.push(start + pos);
      } else {
        if (gap < 0) gap = pos;
        const c = sub.charCodeAt(pos);
        pos += c >= 0xd800 && c <= 0xdbff && pos + 1 < n && (sub.charCodeAt(pos + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      }
    }
    if (gap >= 0) out.push(end);
  }
}

/** SentencePiece's Metaspace split: a new piece starts at every "▁" (after the first char). */
export class MetaspaceSplitter implements Splitter {
  constructor(readonly replacement = '\u2581') {}
  split(s: string, start: number, end: number, out: Int32Buf): void {
    const r = this.replacement.charCodeAt(0);
    for (let i = start + 1; i < end; i++) if (s.charCodeAt(i) === r) out.push(i);
    if (end > start) out.push(end);
  }
}

/** No pre-tokenization: the whole segment is one piece. */
export class WholeSplitter implements Splitter {
  split(_s: string, start: number, end: number, out: Int32Buf): void {
    if (end > start) out.push(end);
  }
}

/** Splitters applied in turn, each to the pieces of the one before. */
export class SequenceSplitter implements Splitter {
  constructor(readonly parts: Splitter[]) {}
  split(s: string, start: number, end: number, out: Int32Buf): void {
    let ends: ArrayLike<number> = [end];
    for (const sp of this.parts) {
      const next = new Int32Buf(16);
      let a = start;
      for (let k = 0; k < ends.length; k++) {
        sp.split(s, a, ends[k], next);
        a = ends[k];
      }
      ends = next.data.subarray(0, next.length);
    }
    for (let k = 0; k < ends.length; k++) out.push(ends[k]);
  }
}

/** The splitter for a pattern: a scanner for GPT-2's and cl100k's, a regex for any other. */
export function patternSplitter(pattern: string): Splitter {
  if (pattern === GPT2_PATTERN) return new ScanSplitter(gpt2PieceEnd);
  if (pattern === CL100K_PATTERN || pattern === CL100K_TIKTOKEN) return new ScanSplitter(cl100kPieceEnd);
  return new RegexSplitter(pattern);
}

/** A pattern in Hugging Face's spelling (js-tiktoken spells cl100k's contractions out). */
export function hfPattern(pattern: string): string {
  return pattern === CL100K_TIKTOKEN ? CL100K_PATTERN : pattern;
}

/**
 * Rewrites the Rust/Oniguruma syntax Hugging Face files use into JavaScript's: Node 20 has no inline
 * flag groups, so `(?i:'s|'t)` becomes `(?:'[sS]|'[tT])`. A case-insensitive group holding a
 * character class is refused rather than guessed at.
 */
export function toJsRegex(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\') {
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (!pattern.startsWith('(?i:', i)) {
      out += pattern[i];
      continue;
    }
    out += '(?:';
    let depth = 1;
    for (i += 4; i < pattern.length && depth > 0; i++) {
      const ch = pattern[i];
      if (ch === '\\') {
        out += pattern.slice(i, i + 2);
        i++;
        continue;
      }
      if (ch === '[') throw new Error(`cannot translate ${JSON.stringify(pattern)}: a character class inside (?i:…)`);
      if (ch === '(') depth++;
      if (ch === ')') depth--;
      const lower = ch.toLowerCase();
      const upper = ch.toUpperCase();
      out += /[a-z]/i.test(ch) && lower !== upper ? `[${lower}${upper}]` : ch;
    }
    i--;
  }
  return out;
}
