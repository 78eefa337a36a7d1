// The baseline a pretrained model must beat: an add-one (Laplace) smoothed bigram model,
// p(b | a) = (count(a, b) + 1) / (count(a) + V), counted over the training shards' token stream
// (document ends included, as the model sees them) and scored on exactly the targets the model is
// evaluated on.
import { ShardReader } from '../data/shards.js';
import { IGNORE, type LmBatch } from './lm.js';

export class BigramModel {
  private readonly pairs = new Map<number, number>();
  private readonly unigrams: Float64Array;
  /** Pairs counted. */
  pairCount = 0;

  constructor(readonly vocabSize: number) {
    this.unigrams = new Float64Array(vocabSize);
  }

  /** Counts every adjacent pair of a token sequence. */
  add(ids: ArrayLike<number>): void {
    const V = this.vocabSize;
    for (let i = 0; i + 1 < ids.length; i++) {
      const key = ids[i] * V + ids[i + 1];
      this.pairs.set(key, (this.pairs.get(key) ?? 0) + 1);
      this.unigrams[ids[i]]++;
    }
    this.pairCount += Math.max(0, ids.length - 1);
  }

  logProb(a: number, b: number): number {
    return Math.log(((this.pairs.get(a * this.vocabSize + b) ?? 0) + 1) / (this.unigrams[a] + this.vocabSize));
  }

  /** Mean negative log-likelihood of the batches' targets given the token before each. */
  evaluate(batches: LmBatch[]): { loss: number; ppl: number; tokens: number } {
    let nll = 0, n = 0;
    for (const b of batches) {
      for (let i = 0; i < b.targets.length; i++) {
        if (b.targets[i] === IGNORE) continue;
        nll -= this.logProb(b.ids[i], b.targets[i]);
        n++;
      }
    }
    const loss = nll / n;
    return { loss, ppl: Math.exp(loss), tokens: n };
  }
}

/** Bigram counts over whole shards, read in chunks (pairs across chunk borders included). */
export function countShards(paths: string[], vocabSize: number, chunk = 1 << 20): BigramModel {
  const model = new BigramModel(vocabSize);
  for (const p of paths) {
    const r = new ShardReader(p);
    try {
      // Chunks overlap by one token so the pair across each border is counted once.
      for (let start = 0; start + 1 < r.numTokens; start += chunk) model.add(r.read(start, Math.min(chunk + 1, r.numTokens - start)));
    } finally {
      r.close();
    }
  }
  return model;
}
