// Byte-level BPE training: count the pre-tokenized pieces of the corpus, then repeatedly merge the
// most frequent adjacent pair. Pair counts are updated incrementally: merging (a, b) touches only
// the words that contain it (an index from pair to words), and each occurrence changes the counts
// of at most four neighbouring pairs. A max-heap holds candidates; an entry whose count went stale
// is re-pushed with the current count when it surfaces (the Hugging Face trainer's scheme).
//
// Ids: 0-255 are the bytes in byte order, then one token per merge, then the special tokens.
// Ties between equally frequent pairs go to the smaller (left id, right id), so training is
// deterministic.
import type { AddedToken } from './added.js';
import { BpeModel } from './bpe.js';
import { Int32Buf } from './buf.js';
import { bytesToUnicode, utf8Encode } from './bytes.js';
import { byteLevelPipeline } from './pipeline.js';
import { GPT2_PATTERN, patternSplitter, type Splitter } from './pretokenize.js';
import { Tokenizer, type TokenizerConfig } from './tokenizer.js';

export interface TrainOptions {
  /** Final vocabulary size: 256 bytes + merges + special tokens. */
  vocabSize: number;
  /** Stop merging when the best pair occurs fewer times than this. */
  minFrequency: number;
  /** Added after the merges, in this order (e.g. <|endoftext|>, <|im_start|>, <|im_end|>). */
  specialTokens: string[];
  /** Pre-tokenizer split pattern (GPT2_PATTERN, CL100K_PATTERN or any regex). */
  pattern: string;
  /** One of specialTokens that encode({ addSpecialTokens: true }) puts first (a TemplateProcessing
   * post-processor in tokenizer.json); also the config's bosToken. */
  bosToken?: string;
  config: TokenizerConfig;
  onProgress?: (p: TrainProgress) => void;
}

export const TRAIN_DEFAULTS: TrainOptions = {
  vocabSize: 8192,
  minFrequency: 2,
  specialTokens: ['<|endoftext|>'],
  pattern: GPT2_PATTERN,
  config: {},
};

export interface TrainProgress {
  merges: number;
  targetMerges: number;
  /** Frequency of the pair just merged. */
  count: number;
  elapsedMs: number;
}

/** Counts the pre-tokenized pieces of texts fed to it one at a time (a file, a document, …). */
export class PieceCounter {
  readonly counts = new Map<string, number>();
  private readonly splitter: Splitter;
  private readonly ends = new Int32Buf();

  constructor(readonly pattern: string = GPT2_PATTERN) {
    this.splitter = patternSplitter(pattern);
  }

  add(text: string): void {
    this.ends.length = 0;
    this.splitter.split(text, 0, text.length, this.ends);
    for (let k = 0, a = 0; k < this.ends.length; a = this.ends.data[k++]) {
      const piece = text.slice(a, this.ends.data[k]);
      this.counts.set(piece, (this.counts.get(piece) ?? 0) + 1);
    }
  }
}

/** Trains on an iterable of texts. */
export function trainBpe(texts: Iterable<string>, options: Partial<TrainOptions> = {}): Tokenizer {
  const opts = { ...TRAIN_DEFAULTS, ...options };
  const counter = new PieceCounter(opts.pattern);
  for (const t of texts) counter.add(t);
  return trainFromCounts(counter, opts);
}

/** Trains from pieces already counted (a PieceCounter fed from files). */
export function trainFromCounts(counter: PieceCounter, options: Partial<TrainOptions> = {}): Tokenizer {
  const opts = { ...TRAIN_DEFAULTS, ...options };
  const specials = [...new Set(opts.specialTokens)];
  const targetMerges = opts.vocabSize - 256 - specials.length;
  if (targetMerges < 0) throw new Error(`vocabSize ${opts.vocabSize} is below 256 bytes + ${specials.length} special tokens`);
  const merges = learnMerges(counter.counts, targetMerges, opts.minFrequency, opts.onProgress);
  const spelled: string[] = [];
  for (let b = 0; b < 256; b++) spelled.push(bytesToUnicode([b]));
  for (const [a, b] of merges) spelled.push(spelled[a] + spelled[b]);
  const addedTokens: AddedToken[] = specials.map((content, i) => ({ id: spelled.length + i, content, special: true }));
  const bos = addedTokens.find((t) => t.content === opts.bosToken);
  if (opts.bosToken !== undefined && !bos) throw new Error(`bosToken ${JSON.stringify(opts.bosToken)} is not one of the special tokens ${JSON.stringify(specials)}`);
  return new Tokenizer({
    model: new BpeModel({ kind: 'bytes', tokens: spelled, merges }),
    pipeline: byteLevelPipeline(counter.pattern, bos),
    addedTokens,
    config: bos ? { ...opts.config, bosToken: bos.content } : opts.config,
  });
}

/** The merge loop over unique pieces (words) and their counts. */
export function learnMerges(
  counts: Map<string, number>,
  targetMerges: number,
  minFrequency: number,
  onProgress?: (p: TrainProgress) => void,
): Array<[number, number]> {
  const t0 = performance.now();
  // Words as byte symbols; freq[w] is how often word w occurs.
  const words: Int32Array[] = [];
  const lens: number[] = [];
  const freq: number[] = [];
  let scratch = new Uint8Array(1024);
  for (const [piece, c] of counts) {
    if (scratch.length < piece.length * 3) scratch = new Uint8Array(piece.length * 6);
    const n = utf8Encode(piece, 0, piece.length, scratch);
    if (n < 2) continue;
    words.push(Int32Array.from(scratch.subarray(0, n)));
    lens.push(n);
    freq.push(c);
  }

  const pairs = new PairCounts();
  for (let w = 0; w < words.length; w++) {
    const s = words[w];
    for (let i = 0; i + 1 < lens[w]; i++) pairs.add(s[i], s[i + 1], freq[w], w);
  }
  const heap = new PairHeap(pairs);
  for (let p = 0; p < pairs.size; p++) heap.push(p, pairs.count[p]);

  const merges: Array<[number, number]> = [];
  const touched = new Set<number>();
  while (merges.length < targetMerges && heap.size > 0) {
    const [p, c] = heap.pop();
    if (c !== pairs.count[p]) {
      if (pairs.count[p] > 0) heap.push(p, pairs.count[p]); // stale: retry with the current count
      continue;
    }
    if (c < minFrequency) break;
    const a = pairs.left[p];
    const b = pairs.right[p];
    const z = 256 + merges.length;
    merges.push([a, b]);
    touched.clear();
    for (const w of pairs.takeWords(p)) {
      const s = words[w];
      let n = lens[w];
      const f = freq[w];
      for (let i = 0; i + 1 < n; i++) {
        if (s[i] !== a || s[i + 1] !== b) continue;
        // Occurrence at i: (x, a, b, y) becomes (x, z, y).
        if (i > 0) {
          pairs.add(s[i - 1], a, -f, w);
          touched.add(pairs.add(s[i - 1], z, f, w));
        }
        if (i + 2 < n) {
          pairs.add(b, s[i + 2], -f, w);
          touched.add(pairs.add(z, s[i + 2], f, w));
        }
        pairs.add(a, b, -f, w);
        s[i] = z;
        s.copyWithin(i + 1, i + 2, n);
        n--;
      }
      lens[w] = n;
    }
    for (const q of touched) if (pairs.count[q] > 0) heap.push(q, pairs.count[q]);
    if (onProgress && (merges.length % 1000 === 0 || merges.length === targetMerges)) {
      onProgress({ merges: merges.length, targetMerges, count: c, elapsedMs: performance.now() - t0 });
    }
  }
  return merges;
}

/** Pair index: (a, b) → dense id with its count and the words it may occur in. */
class PairCounts {
  size = 0;
  left = new Int32Array(1024);
  right = new Int32Array(1024);
  count = new Float64Array(1024);
  private words: number[][] = [];
  private lastWord = new Int32Array(1024);
  private readonly index = new Map<number, number>();

  /** Adds delta to the count of (a, b) and notes that word w holds it; returns the pair's id. */
  add(a: number, b: number, delta: number, w: number): number {
    const key = a * 0x200000 + b; // ids < 2^21
    let p = this.index.get(key);
    if (p === undefined) {
      p = this.size++;
      if (p === this.left.length) this.grow();
      this.index.set(key, p);
      this.left[p] = a;
      this.right[p] = b;
      this.words.push([]);
      this.lastWord[p] = -1;
    }
    this.count[p] += delta;
    if (delta > 0 && this.lastWord[p] !== w) {
      this.words[p].push(w);
      this.lastWord[p] = w;
    }
    return p;
  }

  /** The words pair p may occur in (some may no longer hold it), forgetting them. */
  takeWords(p: number): number[] {
    const ws = this.words[p];
    this.words[p] = [];
    this.lastWord[p] = -1;
    return ws;
  }

  private grow(): void {
    const g = <T extends Int32Array | Float64Array>(x: T): T => {
      const y = new (x.constructor as new (n: number) => T)(x.length * 2);
      y.set(x);
      return y;
    };
    this.left = g(this.left);
    this.right = g(this.right);
    this.count = g(this.count);
    this.lastWord = g(this.lastWord);
  }
}

/** Max-heap of (count, pair); ties go to the smaller (left, right). */
class PairHeap {
  private ids: number[] = [];
  private counts: number[] = [];
  constructor(private readonly pairs: PairCounts) {}

  get size(): number {
    return this.ids.length;
  }

  private above(i: number, j: number): boolean {
    const ci = this.counts[i];
    const cj = this.counts[j];
    if (ci !== cj) return ci > cj;
    const { left, right } = this.pairs;
    const pi = this.ids[i];
    const pj = this.ids[j];
    return left[pi] !== left[pj] ? left[pi] < left[pj] : right[pi] < right[pj];
  }

  private swap(i: number, j: number): void {
    [this.ids[i], this.ids[j]] = [this.ids[j], this.ids[i]];
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
  }

  push(p: number, c: number): void {
    let k = this.ids.length;
    this.ids.push(p);
    this.counts.push(c);
    while (k > 0) {
      const up = (k - 1) >> 1;
      if (!this.above(k, up)) break;
      this.swap(k, up);
      k = up;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.ids[0], this.counts[0]];
    const last = this.ids.length - 1;
    this.swap(0, last);
    this.ids.pop();
    this.counts.pop();
    for (let k = 0; ; ) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < last && this.above(l, m)) m = l;
      if (r < last && this.above(r, m)) m = r;
      if (m === k) break;
      this.swap(k, m);
      k = m;
    }
    return top;
  }
}
