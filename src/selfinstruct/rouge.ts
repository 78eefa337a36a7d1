// ROUGE-L (Lin 2004) between instructions, the novelty test of Self-Instruct (Wang et al. 2022): a
// new instruction joins the pool only if its ROUGE-L F-measure against every instruction already
// there is below 0.7. With β = 1, as rouge_score's RougeScorer(['rougeL']) computes it,
//   P = LCS / |a|, R = LCS / |b|, F = 2PR / (P + R) = 2 · LCS / (|a| + |b|).
//
// The pool grows to thousands of instructions and every candidate meets all of them, so this is the
// loop's hot path. Three things make it fast, each checked against the plain version:
//   - words become integer ids once (Vocab), never compared as strings;
//   - the LCS length is computed bit-parallel (Allison & Dix 1986, Hyyrö 2004): one machine word
//     holds 32 cells of a DP row, so a pair costs |b| · ⌈|a|/32⌉ word operations instead of |a|·|b|;
//   - a prefilter (RougePool.max) bounds each pool item's score from the bag of shared words,
//     LCS ≤ Σ_w min(count_a(w), count_b(w)), and computes exact scores in decreasing order of that
//     bound, stopping once no remaining bound can beat the best score found. Items sharing no word
//     score 0 and are never visited.
// Written by hand: the `rouge` package compares strings with an O(|a|·|b|) table per pair and
// rouge_score is Python; neither has ids, a bit-parallel kernel or a pool index.

/** Lowercased words of letters and digits; each Han, kana or Hangul character is a token of its
 * own. rouge_score drops every non-ASCII character, which would give two Chinese instructions a
 * score of 0; Chinese ROUGE is conventionally computed over characters, as here. */
export function rougeTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|[\p{L}\p{N}]+/gu) ?? [];
}

/** Token strings → dense integer ids, growing as new words appear. */
export class Vocab {
  private readonly ids = new Map<string, number>();

  get size(): number {
    return this.ids.size;
  }

  encode(text: string): Int32Array {
    return Int32Array.from(rougeTokens(text), (w) => {
      let id = this.ids.get(w);
      if (id === undefined) this.ids.set(w, (id = this.ids.size));
      return id;
    });
  }
}

/** LCS length by the textbook dynamic programme, O(|a|·|b|): the specification the fast kernel is
 * tested against. */
export function lcsLengthRef(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let prev = new Int32Array(b.length + 1), cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** Match masks of one sequence `a`: for each token of a, the bit set of positions where it occurs,
 * ⌈|a|/32⌉ words per token. Built once per candidate, reused against every pool item. */
export class LcsPattern {
  readonly words: number;
  private readonly slot = new Map<number, number>();
  private readonly masks: Uint32Array;
  private readonly v: Uint32Array;

  constructor(readonly a: ArrayLike<number>) {
    this.words = Math.max(1, Math.ceil(a.length / 32));
    for (let i = 0; i < a.length; i++) if (!this.slot.has(a[i])) this.slot.set(a[i], this.slot.size);
    this.masks = new Uint32Array(this.slot.size * this.words);
    for (let i = 0; i < a.length; i++) this.masks[this.slot.get(a[i])! * this.words + (i >>> 5)] |= 1 << (i & 31);
    this.v = new Uint32Array(this.words);
  }

  /** LCS length of a and b. V starts all ones (bits past |a| stay ones and are not counted); per
   * token of b: U = V & M[b_j], V = (V + U) | (V − U). Since U ⊆ V, V − U = V & ~U (no borrow), so
   * only the addition carries between words. The LCS is the number of zero bits of V. */
  lcs(b: ArrayLike<number>): number {
    const W = this.words, v = this.v, m = this.masks;
    v.fill(0xffffffff);
    for (let j = 0; j < b.length; j++) {
      const s = this.slot.get(b[j]);
      if (s === undefined) continue; // U = 0 leaves V unchanged
      const base = s * W;
      let carry = 0;
      for (let w = 0; w < W; w++) {
        const vw = v[w], u = vw & m[base + w];
        const sum = vw + (u >>> 0) + carry; // < 2^33: exact in a double
        carry = sum > 0xffffffff ? 1 : 0;
        v[w] = (sum >>> 0) | (vw & ~u);
      }
    }
    let zeros = 0;
    for (let i = 0; i < this.a.length; i++) if ((v[i >>> 5] & (1 << (i & 31))) === 0) zeros++;
    return zeros;
  }
}

/** ROUGE-L F-measure (β = 1) from an LCS length and the two lengths. */
export const rougeLFromLcs = (lcs: number, la: number, lb: number): number => (lcs === 0 ? 0 : (2 * lcs) / (la + lb));

/** ROUGE-L F-measure of two id sequences. */
export function rougeL(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) return 0;
  return rougeLFromLcs(new LcsPattern(a).lcs(b), a.length, b.length);
}

/** ROUGE-L F-measure of two texts by the plain dynamic programme (tests, the bench's baseline). */
export function rougeLText(a: string, b: string): number {
  const v = new Vocab(), x = v.encode(a), y = v.encode(b);
  return x.length && y.length ? rougeLFromLcs(lcsLengthRef(x, y), x.length, y.length) : 0;
}

export interface PoolMatch {
  /** The highest ROUGE-L against the pool (0 for an empty pool). */
  score: number;
  /** Index of the pool item reaching it (-1 when none shares a word). */
  index: number;
  /** Pool items whose exact LCS was computed (the rest were ruled out by the bound). */
  computed: number;
}

/** A growing set of token sequences with an inverted index (token → items and counts), answering
 * "which item is most similar to this one" exactly. */
export class RougePool {
  readonly vocab = new Vocab();
  private readonly items: Int32Array[] = [];
  private readonly postings = new Map<number, number[]>(); // token → [item, count, item, count, ...]
  private overlap = new Int32Array(64);

  get size(): number {
    return this.items.length;
  }

  /** Adds a text; returns its index. */
  add(text: string): number {
    return this.addIds(this.vocab.encode(text));
  }

  addIds(ids: Int32Array): number {
    const index = this.items.length;
    this.items.push(ids);
    for (const [t, c] of counts(ids)) {
      let p = this.postings.get(t);
      if (!p) this.postings.set(t, (p = []));
      p.push(index, c);
    }
    return index;
  }

  /** The most similar pool item to `text` by ROUGE-L. */
  max(text: string): PoolMatch {
    return this.maxIds(this.vocab.encode(text));
  }

  maxIds(a: Int32Array): PoolMatch {
    const n = this.items.length;
    if (a.length === 0 || n === 0) return { score: 0, index: -1, computed: 0 };
    if (this.overlap.length < n) this.overlap = new Int32Array(Math.max(n, 2 * this.overlap.length));
    const ov = this.overlap;
    const touched: number[] = [];
    for (const [t, c] of counts(a)) {
      const p = this.postings.get(t);
      if (!p) continue;
      for (let k = 0; k < p.length; k += 2) {
        if (ov[p[k]] === 0) touched.push(p[k]);
        ov[p[k]] += Math.min(c, p[k + 1]);
      }
    }
    // Upper bound of each touched item's F from its bag overlap, then exact LCS best-bound first.
    const bound = new Float64Array(touched.length);
    touched.forEach((j, i) => {
      const lb = this.items[j].length;
      bound[i] = rougeLFromLcs(Math.min(ov[j], a.length, lb), a.length, lb);
      ov[j] = 0;
    });
    const order = Array.from(touched.keys()).sort((x, y) => bound[y] - bound[x] || touched[x] - touched[y]);
    const pattern = new LcsPattern(a);
    let best = 0, index = -1, computed = 0;
    for (const i of order) {
      if (bound[i] <= best) break;
      const b = this.items[touched[i]];
      const f = rougeLFromLcs(pattern.lcs(b), a.length, b.length);
      computed++;
      if (f > best) {
        best = f;
        index = touched[i];
      }
    }
    return { score: best, index, computed };
  }
}

function counts(ids: Int32Array): Map<number, number> {
  const m = new Map<number, number>();
  for (const t of ids) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}
