// The merge table: (left id, right id) → (rank, merged id), an open-addressing hash keyed by the two
// integers, so the hot loop never builds a string to look up a pair.

export class PairTable {
  private left: Int32Array;
  private right: Int32Array;
  private ranks: Int32Array;
  private ids: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected = 1024) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.mask = cap - 1;
    this.left = new Int32Array(cap).fill(-1);
    this.right = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.ids = new Int32Array(cap);
  }

  private static hash(a: number, b: number): number {
    const h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    return h ^ (h >>> 15);
  }

  /** Slot of the pair (a, b), or -1 when the two do not merge. */
  find(a: number, b: number): number {
    const left = this.left;
    for (let slot = PairTable.hash(a, b) & this.mask; ; slot = (slot + 1) & this.mask) {
      const l = left[slot];
      if (l === a && this.right[slot] === b) return slot;
      if (l === -1) return -1;
    }
  }

  rankAt(slot: number): number {
    return this.ranks[slot];
  }

  idAt(slot: number): number {
    return this.ids[slot];
  }

  /** Adds (or replaces) the rule a + b → id with the given rank. */
  set(a: number, b: number, rank: number, id: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    let slot = PairTable.hash(a, b) & this.mask;
    while (this.left[slot] !== -1 && !(this.left[slot] === a && this.right[slot] === b)) slot = (slot + 1) & this.mask;
    if (this.left[slot] === -1) this.size++;
    this.left[slot] = a;
    this.right[slot] = b;
    this.ranks[slot] = rank;
    this.ids[slot] = id;
  }

  private grow(): void {
    const { left, right, ranks, ids } = this;
    const cap = (this.mask + 1) * 2;
    this.mask = cap - 1;
    this.left = new Int32Array(cap).fill(-1);
    this.right = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.ids = new Int32Array(cap);
    this.size = 0;
    for (let s = 0; s < left.length; s++) if (left[s] !== -1) this.set(left[s], right[s], ranks[s], ids[s]);
  }
}

const NONE = 0x7fffffff;

/**
 * Applies BPE merges to syms[0, n) in place and returns the new length: repeatedly merge the
 * adjacent pair of lowest rank, the leftmost one on a tie (as tiktoken and Hugging Face both do).
 * Short sequences use a linear scan; long ones (a 10 kB run of digits, say) a heap, so a piece
 * costs O(n log n) rather than O(n²). Both give identical results (test/tokenizer/bpe.test.ts).
 */
export function applyMerges(pairs: PairTable, syms: Int32Array, n: number, heapFrom = 96): number {
  return n >= heapFrom ? mergeWithHeap(pairs, syms, n) : mergeLinear(pairs, syms, n);
}

let rankBuf = new Int32Array(256);
let idBuf = new Int32Array(256);

function mergeLinear(pairs: PairTable, syms: Int32Array, n: number): number {
  if (rankBuf.length < n) {
    rankBuf = new Int32Array(n * 2);
    idBuf = new Int32Array(n * 2);
  }
  const rank = rankBuf; // rank[i]: rank of the pair (syms[i], syms[i + 1])
  const merged = idBuf;
  for (let i = 0; i + 1 < n; i++) {
    const slot = pairs.find(syms[i], syms[i + 1]);
    rank[i] = slot < 0 ? NONE : pairs.rankAt(slot);
    merged[i] = slot < 0 ? -1 : pairs.idAt(slot);
  }
  while (n > 1) {
    let best = NONE;
    let at = -1;
    for (let i = 0; i + 1 < n; i++) {
      if (rank[i] < best) {
        best = rank[i];
        at = i;
      }
    }
    if (at < 0) break;
    syms[at] = merged[at];
    for (let i = at + 1; i + 1 < n; i++) {
      syms[i] = syms[i + 1];
      rank[i] = rank[i + 1];
      merged[i] = merged[i + 1];
    }
    n--;
    for (let i = Math.max(0, at - 1); i <= at && i + 1 < n; i++) {
      const slot = pairs.find(syms[i], syms[i + 1]);
      rank[i] = slot < 0 ? NONE : pairs.rankAt(slot);
      merged[i] = slot < 0 ? -1 : pairs.idAt(slot);
    }
  }
  return n;
}

/** Heap of candidate merges keyed by (rank, left position); stale entries are skipped when popped. */
function mergeWithHeap(pairs: PairTable, syms: Int32Array, n: number): number {
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const version = new Int32Array(n); // bumped when a node's symbol changes or it is removed
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  // Heap entries: rank, position of the left node, versions of both nodes at push time.
  let hRank = new Int32Array(n);
  let hPos = new Int32Array(n);
  let hVerL = new Int32Array(n);
  let hVerR = new Int32Array(n);
  let size = 0;
  const less = (x: number, y: number) => hRank[x] < hRank[y] || (hRank[x] === hRank[y] && hPos[x] < hPos[y]);
  const swap = (x: number, y: number) => {
    let t = hRank[x]; hRank[x] = hRank[y]; hRank[y] = t;
    t = hPos[x]; hPos[x] = hPos[y]; hPos[y] = t;
    t = hVerL[x]; hVerL[x] = hVerL[y]; hVerL[y] = t;
    t = hVerR[x]; hVerR[x] = hVerR[y]; hVerR[y] = t;
  };
  const push = (i: number) => {
    if (i < 0 || next[i] < 0) return;
    const j = next[i];
    const slot = pairs.find(syms[i], syms[j]);
    if (slot < 0) return;
    if (size === hRank.length) {
      const grow = (a: Int32Array) => { const b = new Int32Array(a.length * 2); b.set(a); return b; };
      hRank = grow(hRank); hPos = grow(hPos); hVerL = grow(hVerL); hVerR = grow(hVerR);
    }
    let k = size++;
    hRank[k] = pairs.rankAt(slot);
    hPos[k] = i;
    hVerL[k] = version[i];
    hVerR[k] = version[j];
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!less(k, p)) break;
      swap(k, p);
      k = p;
    }
  };
  const pop = () => {
    swap(0, --size);
    for (let k = 0; ; ) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < size && less(l, m)) m = l;
      if (r < size && less(r, m)) m = r;
      if (m === k) break;
      swap(k, m);
      k = m;
    }
  };
  for (let i = 0; i + 1 < n; i++) push(i);
  let count = n;
  while (size > 0) {
    const i = hPos[0];
    const j = next[i];
    const valid = version[i] === hVerL[0] && j >= 0 && version[j] === hVerR[0];
    pop();
    if (!valid) continue;
    syms[i] = pairs.idAt(pairs.find(syms[i], syms[j]));
    version[i]++;
    version[j]++;
    next[i] = next[j];
    if (next[j] >= 0) prev[next[j]] = i;
    count--;
    push(prev[i]);
    push(i);
  }
  let k = 0;
  for (let i = 0; i >= 0; i = next[i]) syms[k++] = syms[i];
  return count;
}
