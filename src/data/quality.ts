// Gopher-style quality heuristics (Rae et al. 2021, appendix A.1.1): cheap document statistics that
// separate prose from boilerplate, lists, tables of numbers and spam. `qualitySignals` measures,
// `QualityStage` compares with the thresholds in QualityConfig and names the first rule broken.
import type { QualityConfig } from './config.js';
import { fmix32, hashString32 } from './hash.js';
import { Stage, type Doc, type Drop } from './stage.js';

const STOP_WORDS = new Set(['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with']);
const BULLET = /^\s*[•\-*·‣◦▪●]/;
const ELLIPSIS_END = /(\.\.\.|…)\s*$/;

export interface QualitySignals {
  words: number;
  meanWordLength: number;
  symbolWordRatio: number;
  digitRatio: number;
  bulletLineRatio: number;
  ellipsisLineRatio: number;
  alphaWordRatio: number;
  stopWords: number;
  dupLineRatio: number;
  dupParagraphRatio: number;
  dupLineCharRatio: number;
  dupParagraphCharRatio: number;
  /** Keyed by n (2, 3, 4). */
  topNgramCharRatio: Record<string, number>;
  /** Keyed by n (5 … 10). */
  dupNgramCharRatio: Record<string, number>;
}

export function qualitySignals(text: string): QualitySignals {
  const tokens = text.split(/\s+/).filter((t) => t.length > 0);
  // A word is a whitespace token with its edge punctuation removed; "--" or "—" is no word.
  const words = tokens.map(stripEdges).filter((w) => w.length > 0);
  const wordChars = words.reduce((s, w) => s + w.length, 0);
  const lines = text.split(/\n+/).filter((l) => l.trim().length > 0);
  const paragraphs = text.split(/\n\s*\n/).filter((p) => p.trim().length > 0);
  let digits = 0;
  let nonSpace = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    if (c !== 32 && c !== 10 && c !== 9 && c !== 13) nonSpace++;
  }
  const symbols = (text.match(/#/g)?.length ?? 0) + (text.match(/\.\.\.|…/g)?.length ?? 0);
  const lineDup = duplicates(lines);
  const paraDup = duplicates(paragraphs);
  const grams = ngramHashes(words, 10);
  const topNgramCharRatio: Record<string, number> = {};
  for (const n of [2, 3, 4]) topNgramCharRatio[n] = topNgramRatio(words, grams[n], n, wordChars);
  const dupNgramCharRatio: Record<string, number> = {};
  for (const n of [5, 6, 7, 8, 9, 10]) dupNgramCharRatio[n] = dupNgramRatio(words, grams[n], n, wordChars);
  return {
    words: words.length,
    meanWordLength: words.length ? wordChars / words.length : 0,
    symbolWordRatio: words.length ? symbols / words.length : 0,
    digitRatio: nonSpace ? digits / nonSpace : 0,
    bulletLineRatio: lines.length ? lines.filter((l) => BULLET.test(l)).length / lines.length : 0,
    ellipsisLineRatio: lines.length ? lines.filter((l) => ELLIPSIS_END.test(l)).length / lines.length : 0,
    alphaWordRatio: tokens.length ? tokens.filter(hasLetter).length / tokens.length : 0,
    stopWords: new Set(words.filter((w) => STOP_WORDS.has(w))).size,
    dupLineRatio: lines.length ? lineDup.count / lines.length : 0,
    dupParagraphRatio: paragraphs.length ? paraDup.count / paragraphs.length : 0,
    dupLineCharRatio: text.length ? lineDup.chars / text.length : 0,
    dupParagraphCharRatio: text.length ? paraDup.chars / text.length : 0,
    topNgramCharRatio,
    dupNgramCharRatio,
  };
}

const isWordChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || (c >= 128 && /[\p{L}\p{N}]/u.test(String.fromCharCode(c)));

function hasLetter(t: string): boolean {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i) | 32; // folds A–Z onto a–z
    if ((c >= 97 && c <= 122) || (t.charCodeAt(i) >= 128 && /\p{L}/u.test(t[i]))) return true;
  }
  return false;
}

/** A token, lowercased, without leading and trailing punctuation. */
function stripEdges(t: string): string {
  let a = 0;
  let b = t.length;
  while (a < b && !isWordChar(t.charCodeAt(a))) a++;
  while (b > a && !isWordChar(t.charCodeAt(b - 1))) b--;
  return t.slice(a, b).toLowerCase();
}

/** Items seen before (second and later copies): how many, and their total length. */
function duplicates(items: string[]): { count: number; chars: number } {
  const seen = new Set<string>();
  let count = 0;
  let chars = 0;
  for (const raw of items) {
    const item = raw.trim();
    if (seen.has(item)) {
      count++;
      chars += item.length;
    } else seen.add(item);
  }
  return { count, chars };
}

/** grams[n][i]: hash of words[i, i+n) for n = 1 … maxN, each built from the one before, so all
 * lengths cost maxN hash steps per word instead of 1 + 2 + … + maxN. */
function ngramHashes(words: string[], maxN: number): Uint32Array[] {
  const grams: Uint32Array[] = [new Uint32Array(0)];
  grams.push(Uint32Array.from(words, (w) => hashString32(w)));
  for (let n = 2; n <= maxN; n++) {
    const prev = grams[n - 1];
    const g = new Uint32Array(Math.max(0, words.length - n + 1));
    for (let i = 0; i < g.length; i++) g[i] = fmix32((Math.imul(prev[i], 0x9e3779b1) + grams[1][i + n - 1]) >>> 0);
    grams.push(g);
  }
  return grams;
}

/** Open-addressing counts of uint32 keys: Map<number, number> costs several times more here, where
 * every word of every document passes through nine of these. */
class KeyCounter {
  private keys = new Uint32Array(0);
  private counts = new Uint32Array(0);
  private mask = 0;

  reset(n: number): void {
    let cap = 16;
    while (cap < 2 * n) cap *= 2;
    if (cap !== this.keys.length) {
      this.keys = new Uint32Array(cap);
      this.counts = new Uint32Array(cap);
    } else this.counts.fill(0);
    this.mask = cap - 1;
  }

  /** Adds one to key's count and returns the new count. */
  add(key: number): number {
    let i = key & this.mask;
    while (this.counts[i] !== 0 && this.keys[i] !== key) i = (i + 1) & this.mask;
    this.keys[i] = key;
    return ++this.counts[i];
  }

  has(key: number): boolean {
    let i = key & this.mask;
    while (this.counts[i] !== 0) {
      if (this.keys[i] === key) return true;
      i = (i + 1) & this.mask;
    }
    return false;
  }
}

const counter = new KeyCounter();

/** Characters of the most frequent n-gram times its count, over all word characters; 0 if no
 * n-gram repeats. */
function topNgramRatio(words: string[], grams: Uint32Array, n: number, wordChars: number): number {
  if (grams.length === 0 || wordChars === 0) return 0;
  counter.reset(grams.length);
  let best = 0;
  let bestAt = 0;
  for (let i = 0; i < grams.length; i++) {
    const c = counter.add(grams[i]);
    if (c > best) {
      best = c;
      bestAt = i;
    }
  }
  if (best < 2) return 0;
  let len = 0;
  for (let i = bestAt; i < bestAt + n; i++) len += words[i].length;
  return (len * best) / wordChars;
}

/** Characters of the n-grams that repeat an earlier one, over all word characters. As in
 * datatrove's Gopher filter: scan left to right, and after a repeat skip past it, so overlapping
 * repeats are not counted twice. */
function dupNgramRatio(words: string[], grams: Uint32Array, n: number, wordChars: number): number {
  if (grams.length === 0 || wordChars === 0) return 0;
  counter.reset(grams.length);
  let repeated = 0;
  for (let i = 0; i < grams.length; ) {
    if (counter.has(grams[i])) {
      for (let j = i; j < i + n; j++) repeated += words[j].length;
      i += n;
    } else {
      counter.add(grams[i]);
      i++;
    }
  }
  return repeated / wordChars;
}

/** The first rule a document breaks, or null if it passes. */
export function qualityVerdict(s: QualitySignals, q: QualityConfig): string | null {
  if (s.words < q.minWords) return 'min_words';
  if (s.words > q.maxWords) return 'max_words';
  if (s.meanWordLength < q.minMeanWordLength) return 'min_mean_word_length';
  if (s.meanWordLength > q.maxMeanWordLength) return 'max_mean_word_length';
  if (s.symbolWordRatio > q.maxSymbolWordRatio) return 'symbol_word_ratio';
  if (s.digitRatio > q.maxDigitRatio) return 'digit_ratio';
  if (s.bulletLineRatio > q.maxBulletLineRatio) return 'bullet_lines';
  if (s.ellipsisLineRatio > q.maxEllipsisLineRatio) return 'ellipsis_lines';
  if (s.alphaWordRatio < q.minAlphaWordRatio) return 'alpha_word_ratio';
  if (s.stopWords < q.minStopWords) return 'stop_words';
  if (s.dupLineRatio > q.maxDupLineRatio) return 'dup_lines';
  if (s.dupParagraphRatio > q.maxDupParagraphRatio) return 'dup_paragraphs';
  if (s.dupLineCharRatio > q.maxDupLineCharRatio) return 'dup_line_chars';
  if (s.dupParagraphCharRatio > q.maxDupParagraphCharRatio) return 'dup_paragraph_chars';
  for (const [n, max] of Object.entries(q.maxTopNgramCharRatio)) {
    if ((s.topNgramCharRatio[n] ?? 0) > max) return `top_${n}gram`;
  }
  for (const [n, max] of Object.entries(q.maxDupNgramCharRatio)) {
    if ((s.dupNgramCharRatio[n] ?? 0) > max) return `dup_${n}gram`;
  }
  return null;
}

export class QualityStage extends Stage {
  readonly name = 'quality';
  constructor(private readonly cfg: QualityConfig) {
    super();
  }

  protected apply(doc: Doc): Doc | Drop {
    const reason = qualityVerdict(qualitySignals(doc.text), this.cfg);
    return reason === null ? doc : { drop: reason };
  }
}
