// Near-duplicate detection with MinHash + LSH (Broder 1997; Leskovec et al., Mining of Massive
// Datasets, ch. 3). A document becomes a set of word shingles; its signature keeps, for each of
// numPerm hash permutations, the smallest hashed shingle, so P[sigA[i] == sigB[i]] = Jaccard(A, B).
// LSH cuts the signature into b bands of r rows and only compares documents that agree on a whole
// band; a candidate is confirmed when the estimated Jaccard (share of equal rows) reaches the
// threshold.
import type { NearDupConfig } from './config.js';
import { combineHashes, fmix32, hashString32 } from './hash.js';
import { Stage, normalizedWords, type Doc, type Drop } from './stage.js';

/** Hashes of the word k-shingles of a text (lowercased letters and digits only), deduplicated. A
 * text shorter than k words is one shingle; a text without words has none. */
export function shingleHashes(text: string, k: number): Uint32Array {
  const words = normalizedWords(text);
  if (words.length === 0) return new Uint32Array(0);
  const wh = Uint32Array.from(words, (w) => hashString32(w));
  const n = Math.max(1, words.length - k + 1);
  const set = new Set<number>();
  for (let i = 0; i < n; i++) set.add(combineHashes(wh, i, Math.min(i + k, wh.length)));
  return Uint32Array.from(set);
}

/** Exact Jaccard similarity of two shingle sets. */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  const sa = new Set(a);
  let inter = 0;
  for (const x of b) if (sa.has(x)) inter++;
  const union = a.length + b.length - inter;
  return union === 0 ? 1 : inter / union;
}

export class MinHasher {
  private readonly seeds: Uint32Array;

  constructor(readonly numPerm: number, readonly shingle: number, seed: number) {
    this.seeds = new Uint32Array(numPerm);
    for (let i = 0; i < numPerm; i++) this.seeds[i] = fmix32((Math.imul(seed, 0x9e3779b9) + i + 1) >>> 0);
  }

  /** sig: [numPerm]; null for a text without words, which has nothing to compare. */
  signature(text: string): Uint32Array | null {
    const sh = shingleHashes(text, this.shingle);
    if (sh.length === 0) return null;
    const sig = new Uint32Array(this.numPerm);
    for (let p = 0; p < this.numPerm; p++) {
      const seed = this.seeds[p];
      let min = 0xffffffff;
      for (let j = 0; j < sh.length; j++) {
        // fmix32(x ^ seed), inlined: this loop is the whole cost of MinHash.
        let h = sh[j] ^ seed;
        h ^= h >>> 16;
        h = Math.imul(h, 0x85ebca6b);
        h ^= h >>> 13;
        h = Math.imul(h, 0xc2b2ae35);
        h ^= h >>> 16;
        h >>>= 0;
        if (h < min) min = h;
      }
      sig[p] = min;
    }
    return sig;
  }
}

/** Estimated Jaccard: share of equal signature rows. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array, bOffset = 0): number {
  let eq = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[bOffset + i]) eq++;
  return eq / a.length;
}

/** Bands b and rows r (b·r ≤ numPerm) for the S-curve P(candidate | s) = 1 − (1 − s^r)^b: the
 * fewest false candidates (area under the curve below the threshold) among those that still make a
 * pair at the threshold a candidate with probability ≥ minRecall. False candidates cost only a
 * signature comparison; a missed pair is a duplicate left in the corpus. */
export function lshParams(threshold: number, numPerm: number, minRecall = 0.99): { bands: number; rows: number } {
  const steps = 100;
  let best = { bands: 1, rows: 1, fp: Infinity, recall: -1 };
  for (let b = 1; b <= numPerm; b++) {
    for (let r = 1; r * b <= numPerm; r++) {
      const p = (s: number): number => 1 - (1 - s ** r) ** b;
      const recall = p(threshold);
      let fp = 0; // midpoint rule over [0, threshold]
      for (let i = 0; i < steps; i++) fp += p(((i + 0.5) * threshold) / steps) * (threshold / steps);
      const ok = recall >= minRecall;
      const bestOk = best.recall >= minRecall;
      if ((ok && (!bestOk || fp < best.fp)) || (!ok && !bestOk && recall > best.recall)) best = { bands: b, rows: r, fp, recall };
    }
  }
  return { bands: best.bands, rows: best.rows };
}

/** Signatures of accepted documents in one growing arena, indexed by LSH bands. */
export class LshIndex {
  readonly bands: number;
  readonly rows: number;
  private readonly buckets: Map<number, number[]>[];
  private store: Uint32Array;
  private count = 0;

  constructor(readonly numPerm: number, readonly threshold: number) {
    ({ bands: this.bands, rows: this.rows } = lshParams(threshold, numPerm));
    this.buckets = Array.from({ length: this.bands }, () => new Map());
    this.store = new Uint32Array(numPerm * 1024);
  }

  get size(): number {
    return this.count;
  }

  /** Highest estimated Jaccard with an indexed signature that reaches the threshold, and which; or
   * null when no candidate does. */
  query(sig: Uint32Array): { index: number; similarity: number } | null {
    let best: { index: number; similarity: number } | null = null;
    const seen = new Set<number>();
    for (let b = 0; b < this.bands; b++) {
      const ids = this.buckets[b].get(this.bandKey(sig, b));
      if (!ids) continue;
      for (const id of ids) {
        if (seen.has(id)) continue;
        seen.add(id);
        const s = estimateJaccard(sig, this.store, id * this.numPerm);
        if (s >= this.threshold && (best === null || s > best.similarity)) best = { index: id, similarity: s };
      }
    }
    return best;
  }

  insert(sig: Uint32Array): number {
    const id = this.count++;
    if (this.count * this.numPerm > this.store.length) {
      const grown = new Uint32Array(this.store.length * 2);
      grown.set(this.store);
      this.store = grown;
    }
    this.store.set(sig, id * this.numPerm);
    for (let b = 0; b < this.bands; b++) {
      const key = this.bandKey(sig, b);
      const ids = this.buckets[b].get(key);
      if (ids) ids.push(id);
      else this.buckets[b].set(key, [id]);
    }
    return id;
  }

  private bandKey(sig: Uint32Array, band: number): number {
    return combineHashes(sig, band * this.rows, (band + 1) * this.rows, band);
  }
}

/** Drops a document whose estimated Jaccard with an earlier kept document reaches the threshold;
 * the first copy wins. */
export class NearDupStage extends Stage {
  readonly name = 'near_dedup';
  private readonly hasher: MinHasher;
  private readonly index: LshIndex;

  constructor(cfg: NearDupConfig) {
    super();
    this.hasher = new MinHasher(cfg.numPerm, cfg.shingle, cfg.seed);
    this.index = new LshIndex(cfg.numPerm, cfg.threshold);
  }

  protected apply(doc: Doc): Doc | Drop {
    const sig = this.hasher.signature(doc.text);
    if (sig === null) return doc;
    if (this.index.query(sig) !== null) return { drop: 'near_duplicate' };
    this.index.insert(sig);
    return doc;
  }
}
