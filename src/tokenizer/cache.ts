// The encode cache: piece text → token ids. Text repeats (Zipf), so most pieces are found here and
// never reach BPE. Keys are looked up by hashing the characters of s[start, end) in place, so a hit
// allocates nothing; a piece made of one token (most English words) stores its id inline.
import type { Int32Buf } from './buf.js';

export class PieceCache {
  // Slot k: table[4k] hash, [4k+1] key offset, [4k+2] key length (0 = empty), [4k+3] value:
  // a token id (>= 0), or -(offset + 1) into `ids`, where ids[offset] is the count.
  private readonly table: Int32Array;
  private readonly mask: number;
  private keys: Uint16Array;
  private keyLen = 0;
  private ids: Int32Array;
  private idLen = 0;
  private count = 0;
  private pendingHash = 0;
  private pendingSlot = 0;

  /** `maxEntries` pieces are kept; when full the cache starts again empty. Longer pieces than
   * `maxPieceLength` are never cached. */
  constructor(readonly maxEntries = 1 << 16, readonly maxPieceLength = 256) {
    let cap = 16;
    while (cap < maxEntries * 2) cap *= 2;
    this.mask = cap - 1;
    this.table = new Int32Array(cap * 4);
    this.keys = new Uint16Array(maxEntries * 8);
    this.ids = new Int32Array(maxEntries * 4);
  }

  /** Appends the cached ids of s[start, end) to out and returns true, or returns false (and
   * remembers where a following `put` of the same piece goes). */
  get(s: string, start: number, end: number, out: Int32Buf): boolean {
    const len = end - start;
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    const t = this.table;
    const keys = this.keys;
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot << 2;
      const l = t[at + 2];
      if (l === 0) {
        this.pendingHash = h;
        this.pendingSlot = slot;
        return false;
      }
      if (t[at] !== h || l !== len) continue;
      let k = t[at + 1];
      let i = start;
      while (i < end && keys[k] === s.charCodeAt(i)) {
        i++;
        k++;
      }
      if (i < end) continue;
      const v = t[at + 3];
      if (v >= 0) out.push(v);
      else {
        const o = -v - 1;
        const n = this.ids[o];
        out.reserve(n);
        out.data.set(this.ids.subarray(o + 1, o + 1 + n), out.length);
        out.length += n;
      }
      return true;
    }
  }

  /** Stores ids[0, n) for s[start, end); must follow a `get` of the same piece that returned false. */
  put(s: string, start: number, end: number, ids: ArrayLike<number>, n: number): void {
    const len = end - start;
    if (len > this.maxPieceLength) return;
    if (this.count >= this.maxEntries || this.keyLen + len > this.keys.length || this.idLen + n + 1 > this.ids.length) {
      if (len * 4 > this.keys.length || n * 4 > this.ids.length) return;
      this.clear();
      this.pendingSlot = this.pendingHash & this.mask;
    }
    const at = this.pendingSlot << 2;
    const t = this.table;
    t[at] = this.pendingHash;
    t[at + 1] = this.keyLen;
    t[at + 2] = len;
    for (let i = start; i < end; i++) this.keys[this.keyLen++] = s.charCodeAt(i);
    if (n === 1) t[at + 3] = ids[0];
    else {
      t[at + 3] = -this.idLen - 1;
      this.ids[this.idLen++] = n;
      for (let i = 0; i < n; i++) this.ids[this.idLen++] = ids[i];
    }
    this.count++;
  }

  clear(): void {
    this.table.fill(0);
    this.keyLen = 0;
    this.idLen = 0;
    this.count = 0;
  }
}
