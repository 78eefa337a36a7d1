// Decontamination: drop training documents that share a word n-gram (default 13, as in GPT-3,
// Brown et al. 2020, appendix C) with any evaluation example, so benchmark scores measure
// generalisation and not memorisation. Words are lowercased letters and digits, so punctuation and
// case cannot hide an overlap. Only hashes of eval n-grams are kept.
import type { DecontamConfig } from './config.js';
import { combineHashes, hashString32 } from './hash.js';
import { Stage, normalizedWords, type Doc, type Drop } from './stage.js';

export interface EvalSet {
  name: string;
  texts: Iterable<string>;
}

/** A 53-bit key for words[start, start+len): two 32-bit hashes seeded by the length. */
function gramKey(hashes: Uint32Array, start: number, len: number): number {
  const hi = combineHashes(hashes, start, start + len, len);
  const lo = combineHashes(hashes, start, start + len, len + 0x5bd1e995);
  return hi * 2097152 + (lo >>> 11);
}

export class EvalNgramIndex {
  /** n-gram key → name of the eval set it came from. */
  private readonly grams = new Map<number, string>();
  /** Word counts of eval examples shorter than n that are matched whole. */
  private readonly lengths = new Set<number>();

  constructor(private readonly cfg: DecontamConfig, sets: Iterable<EvalSet> = []) {
    this.lengths.add(cfg.ngram);
    for (const set of sets) for (const t of set.texts) this.add(t, set.name);
  }

  get size(): number {
    return this.grams.size;
  }

  add(text: string, setName: string): void {
    const words = normalizedWords(text);
    if (words.length < this.cfg.minEvalWords) return;
    const h = Uint32Array.from(words, (w) => hashString32(w));
    const n = Math.min(this.cfg.ngram, words.length);
    this.lengths.add(n);
    for (let i = 0; i + n <= words.length; i++) this.grams.set(gramKey(h, i, n), setName);
  }

  /** The eval set whose n-gram the text contains, or null. */
  match(text: string): string | null {
    if (this.grams.size === 0) return null;
    const words = normalizedWords(text);
    const h = Uint32Array.from(words, (w) => hashString32(w));
    for (const n of this.lengths) {
      for (let i = 0; i + n <= words.length; i++) {
        const hit = this.grams.get(gramKey(h, i, n));
        if (hit !== undefined) return hit;
      }
    }
    return null;
  }
}

export class DecontamStage extends Stage {
  readonly name = 'decontam';
  constructor(private readonly index: EvalNgramIndex) {
    super();
  }

  protected apply(doc: Doc): Doc | Drop {
    const hit = this.index.match(doc.text);
    return hit === null ? doc : { drop: `contaminated:${hit}` };
  }
}
