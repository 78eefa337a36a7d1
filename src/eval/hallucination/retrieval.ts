// Retrieval augmentation: BM25 over a store of fact sentences, the top hits put in the prompt in
// the suite's "Facts: ... Question: ..." layout. BM25 comes from MiniSearch (a small, well-kept,
// dependency-free full-text index); its scorer is BM25+ (Lv & Zhai 2011), and δ = 0 makes it
// classic Okapi BM25 (Robertson et al.), with the usual k1 = 1.2, b = 0.75. Exact terms only: no
// prefix or fuzzy matching, since invented names differ from each other by a syllable.
import MiniSearch from 'minisearch';

export interface Bm25Options { k1: number; b: number }
export const BM25_DEFAULTS: Bm25Options = { k1: 1.2, b: 0.75 };

export interface Hit { id: number; text: string; score: number }

export class FactStore {
  private readonly index: MiniSearch<{ id: number; text: string }>;

  constructor(readonly facts: readonly string[], private readonly o: Bm25Options = BM25_DEFAULTS) {
    this.index = new MiniSearch({ fields: ['text'], storeFields: ['text'], searchOptions: { prefix: false, fuzzy: false } });
    this.index.addAll(facts.map((text, id) => ({ id, text })));
  }

  /** The k best facts for a query, best first (ties by store order). */
  search(query: string, k: number): Hit[] {
    return this.index.search(query, { combineWith: 'OR', bm25: { k: this.o.k1, b: this.o.b, d: 0 } })
      .map((r) => ({ id: r.id as number, text: r.text as string, score: r.score }))
      .sort((x, y) => y.score - x.score || x.id - y.id)
      .slice(0, k);
  }
}

/** The retrieval-augmented prompt: the k retrieved facts, then the question. */
export function augmentedPrompt(store: FactStore, question: string, k: number): { prompt: string; hits: Hit[] } {
  const hits = store.search(question, k);
  return { prompt: `Facts: ${hits.map((h) => h.text).join(' ')}\nQuestion: ${question}`, hits };
}
