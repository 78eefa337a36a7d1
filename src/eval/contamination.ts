// Contamination report: which evaluation items share a word 13-gram with a training file (GPT-3's
// analysis, Brown et al. 2020, appendix C: an item is "dirty" if any of its N-grams occurs in the
// training data). Words are src/data/stage.ts's normalized words (lowercase letters and digits), so
// case and punctuation cannot hide an overlap. Items shorter than N words are matched whole when
// they have at least `minWords` words, as src/data/decontam.ts does; shorter ones would match
// ordinary text by chance and are reported as unchecked. Only the eval items' n-grams are held in
// memory; the training file streams past them once.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { combineHashes, hashString32 } from '../data/hash.js';
import { normalizedWords } from '../data/stage.js';

export interface ContaminationOptions { ngram: number; minWords: number }
export const CONTAMINATION_DEFAULTS: ContaminationOptions = { ngram: 13, minWords: 8 };

export interface ContaminatedItem {
  index: number;
  text: string;
  /** The first shared n-gram, as normalized words. */
  overlap: string;
}

export interface ContaminationReport {
  items: number;
  /** Items long enough to check. */
  checked: number;
  contaminated: ContaminatedItem[];
  trainingLines: number;
}

/** A 53-bit key of words[start, start+len) from two 32-bit hashes seeded by the length. */
function gramKey(h: Uint32Array, start: number, len: number): number {
  const hi = combineHashes(h, start, start + len, len);
  const lo = combineHashes(h, start, start + len, len + 0x5bd1e995);
  return hi * 2097152 + (lo >>> 11);
}

/** The text a training line contributes: JSONL records' string values (text, messages' contents,
 * prompts, responses), or the line itself when it is not JSON. */
export function lineText(line: string): string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return line;
  }
  const parts: string[] = [];
  const walk = (x: unknown): void => {
    if (typeof x === 'string') parts.push(x);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') Object.values(x).forEach(walk);
  };
  walk(v);
  return parts.join('\n');
}

/** Checks every item of `evalTexts` against the lines of `trainTexts`. */
export async function contamination(evalTexts: string[], trainTexts: AsyncIterable<string> | Iterable<string>, options: Partial<ContaminationOptions> = {}): Promise<ContaminationReport> {
  const o = { ...CONTAMINATION_DEFAULTS, ...options };
  const grams = new Map<number, number[]>(); // key → items holding it
  const lengths = new Set<number>();
  const words = evalTexts.map((t) => normalizedWords(t));
  let checked = 0;
  words.forEach((w, i) => {
    if (w.length < o.minWords) return;
    checked++;
    const n = Math.min(o.ngram, w.length);
    lengths.add(n);
    const h = Uint32Array.from(w, (x) => hashString32(x));
    for (let s = 0; s + n <= w.length; s++) {
      const key = gramKey(h, s, n);
      const list = grams.get(key);
      if (!list) grams.set(key, [i]);
      else if (list[list.length - 1] !== i) list.push(i);
    }
  });
  const hit = new Map<number, string>();
  let lines = 0;
  for await (const text of trainTexts) {
    lines++;
    if (grams.size === 0) continue;
    const w = normalizedWords(text);
    const h = Uint32Array.from(w, (x) => hashString32(x));
    for (const n of lengths) {
      for (let s = 0; s + n <= w.length; s++) {
        const items = grams.get(gramKey(h, s, n));
        if (!items) continue;
        for (const i of items) if (!hit.has(i) && words[i].length >= o.minWords && Math.min(o.ngram, words[i].length) === n) hit.set(i, w.slice(s, s + n).join(' '));
      }
    }
  }
  const contaminated = [...hit].sort((a, b) => a[0] - b[0]).map(([index, overlap]) => ({ index, text: evalTexts[index], overlap }));
  return { items: evalTexts.length, checked, contaminated, trainingLines: lines };
}

/** The texts of a training file, line by line (JSONL records or plain text lines). */
export async function* trainingFileTexts(file: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) if (line.trim()) yield lineText(line);
}
