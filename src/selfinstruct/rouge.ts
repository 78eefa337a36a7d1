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
 * ⌈|a|/32⌉ words per token. Built once per candidate, reused against every pool item. Tokens map
 * to their masks through a dense table indexed by id (ids are small and dense, see Vocab). */
export class LcsPattern {
  readonly words: number;
  /** token id → its row of masks, -1 for tokens not in a. */
  private readonly slot: Int32Array;
  private readonly masks: Uint32Array;
  private readonly v: Uint32Array;

  constructor(readonly a: ArrayLike<number>) {
    this.words = Math.max(1, Math.ceil(a.length / 32));
    let maxId = -1;
    for (let i = 0; i < a.length; i++) maxId = Math.max(maxId, a[i]);
    this.slot = new Int32Array(maxId + 1).fill(-1);
    let rows = 0;
    for (let i = 0; i < a.length; i++) if (this.slot[a[i]] < 0) this.slot[a[i]] = rows++;
    this.masks = new Uint32Array(rows * this.words);
    for (let i = 0; i < a.length; i++) this.masks[this.slot[a[i]] * this.words + (i >>> 5)] |= 1 << (i & 31);
    this.v = new Uint32Array(this.words);
  }

  /** LCS length of a and b. V starts all ones (bits past |a| stay ones and are not counted); per
   * token of b: U = V & M[b_j], V = (V + U) | (V − U). Since U ⊆ V, V − U = V & ~U (no borrow), so
   * only the addition carries between words. The LCS is the number of zero bits of V. */
  lcs(b: ArrayLike<number>): number {
    const W = this.words, m = this.masks, slot = this.slot, n = slot.length;
    if (W === 1) {
      // One word: V in a plain number, the common case (instructions under 33 words).
      let v = 0xffffffff;
      for (let j = 0; j < b.length; j++) {
        const t = b[j];
        const s = t < n ? slot[t] : -1;
        if (s < 0) continue; // U = 0 leaves V unchanged
        const u = (v & m[s]) >>> 0;
        v = (((v + u) >>> 0) | (v & ~u)) >>> 0;
      }
      return this.a.length - popcount(this.a.length === 32 ? v : v & ((1 << this.a.length) - 1));
    }
    const v = this.v;
    v.fill(0xffffffff);
    for (let j = 0; j < b.length; j++) {
      const t = b[j];
      const s = t < n ? slot[t] : -1;
      if (s < 0) continue;
      const base = s * W;
      let carry = 0;
      for (let w = 0; w < W; w++) {
        const vw = v[w], u = (vw & m[base + w]) >>> 0;
        const sum = vw + u + carry; // < 2^33: exact in a double
        carry = sum > 0xffffffff ? 1 : 0;
        v[w] = (sum >>> 0) | (vw & ~u);
      }
    }
    let ones = 0;
    for (let w = 0; w < W; w++) {
      const bits = Math.min(32, this.a.length - 32 * w);
      ones += popcount(bits === 32 ? v[w] : v[w] & ((1 << bits) - 1));
    }
    return this.a.length - ones;
  }
}

/** Set bits of a 32-bit value (SWAR). */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
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
    // Upper bound of each touched item's F from its bag overlap; items are visited best bound
    // first by a counting sort into BUCKETS bins (a full sort would cost more than the LCS work it
    // saves), and the search stops at the first bin whose top cannot beat the best score found.
    const m = touched.length;
    const bound = new Float64Array(m), bin = new Int32Array(m), starts = new Int32Array(BUCKETS + 1);
    for (let i = 0; i < m; i++) {
      const j = touched[i], lb = this.items[j].length;
      bound[i] = rougeLFromLcs(Math.min(ov[j], a.length, lb), a.length, lb);
      ov[j] = 0;
      bin[i] = Math.min(BUCKETS - 1, Math.floor(bound[i] * BUCKETS));
      starts[BUCKETS - 1 - bin[i] + 1]++;
    }
    for (let k = 0; k < BUCKETS; k++) starts[k + 1] += starts[k];
    const order = new Int32Array(m), fill = starts.slice(0, BUCKETS);
    for (let i = 0; i < m; i++) order[fill[BUCKETS - 1 - bin[i]]++] = i;
    const pattern = new LcsPattern(a);
    let best = 0, index = -1, computed = 0;
    for (let k = 0; k < BUCKETS; k++) {
      if ((BUCKETS - k) / BUCKETS <= best) break; // every bound in this bin and below is ≤ best
      for (let p = starts[k]; p < starts[k + 1]; p++) {
        const i = order[p];
        if (bound[i] <= best) continue;
        const b = this.items[touched[i]];
        const f = rougeLFromLcs(pattern.lcs(b), a.length, b.length);
        computed++;
        if (f > best || (f === best && touched[i] < index)) {
          best = f;
          index = touched[i];
        }
      }
    }
    return { score: best, index, computed };
  }
}

/** Bins of the bound for the best-first visit. */
const BUCKETS = 64;

function counts(ids: Int32Array): Map<number, number> {
  const m = new Map<number, number>();
  for (const t of ids) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}
