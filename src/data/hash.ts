// Hashes for the pipeline. Dedup keys and split buckets use SHA-1 (collisions must not silently
// merge documents); MinHash and n-gram sets use a fast 32-bit string hash finished by murmur3's
// fmix32, whose avalanche makes `fmix32(x ^ seed)` behave as an independent permutation per seed.
import { createHash } from 'node:crypto';

/** murmur3's 32-bit finaliser: a bijection on uint32 with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, then fmix32. */
export function hashString32(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** Mixes a sequence of uint32 hashes into one (order matters). */
export function combineHashes(hashes: ArrayLike<number>, start: number, end: number, seed = 0): number {
  let h = seed >>> 0;
  for (let i = start; i < end; i++) h = fmix32((Math.imul(h, 0x9e3779b1) + hashes[i]) >>> 0);
  return h;
}

/** 64 bits of SHA-1 as 16 hex characters: the exact-dedup key of a text. */
export function contentKey(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 16);
}

/** A number in [0, 1) fixed by the text and a salt: the split bucket of a document. */
export function unitHash(text: string, salt: string): number {
  const d = createHash('sha1').update(salt).update('\u0000').update(text).digest();
  return d.readUInt32BE(0) / 4294967296;
}
