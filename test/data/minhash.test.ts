import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATA_DEFAULTS } from '../../src/data/config.js';
import { LshIndex, MinHasher, NearDupStage, estimateJaccard, jaccard, lshParams, shingleHashes } from '../../src/data/minhash.js';

/** n pseudo-random words (distinct enough that 5-shingles never repeat). */
function words(n: number, seed: number): string[] {
  let s = seed;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push('w' + (s % 5000).toString(36));
  }
  return out;
}

/** A copy with m words replaced, at least 5 apart: each change swaps 5 of the 196 shingles, so
 * Jaccard = (196 − 5m) / (196 + 5m) exactly. */
function edited(base: string[], m: number): string[] {
  const out = base.slice();
  for (let i = 0; i < m; i++) out[10 + i * 12] = 'changed' + i;
  return out;
}

test('shingles and exact Jaccard of hand-built pairs', () => {
  const a = words(200, 1);
  assert.equal(shingleHashes(a.join(' '), 5).length, 196);
  for (const m of [1, 2, 5, 7]) {
    const j = jaccard(shingleHashes(a.join(' '), 5), shingleHashes(edited(a, m).join(' '), 5));
    assert.equal(j, (196 - 5 * m) / (196 + 5 * m), `m=${m}`);
  }
  // Case and punctuation do not change the shingles.
  assert.deepEqual(shingleHashes('The cat, the HAT!', 2), shingleHashes('the cat the hat', 2));
});

test('MinHash estimates Jaccard within a few percent', () => {
  const h = new MinHasher(256, 5, 7);
  let worst = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const a = words(300, seed);
    const b = edited(a, seed % 15);
    const exact = jaccard(shingleHashes(a.join(' '), 5), shingleHashes(b.join(' '), 5));
    const est = estimateJaccard(h.signature(a.join(' '))!, h.signature(b.join(' '))!);
    worst = Math.max(worst, Math.abs(est - exact));
  }
  assert.ok(worst < 0.1, `worst error ${worst}`);
});

test('LSH parameters put the S-curve at the threshold', () => {
  for (const t of [0.5, 0.7, 0.8, 0.9]) {
    const { bands, rows } = lshParams(t, 128);
    assert.ok(bands * rows <= 128);
    const p = (s: number): number => 1 - (1 - s ** rows) ** bands;
    assert.ok(p(t) >= 0.99, `t=${t}: P(candidate) at threshold ${p(t)}`);
    assert.ok(p(t / 2) < 0.5, `t=${t}: P(candidate) at half the threshold ${p(t / 2)}`);
  }
});

test('near duplicates found at the threshold and not below it', () => {
  const h = new MinHasher(128, 5, 1);
  const a = words(200, 42);
  const sa = h.signature(a.join(' '))!;
  for (const m of [1, 2, 3, 5, 8]) {
    const sb = h.signature(edited(a, m).join(' '))!;
    const s = estimateJaccard(sa, sb);
    const at = new LshIndex(128, s);
    at.insert(sa);
    assert.equal(at.query(sb)?.similarity, s, `m=${m}: found at threshold ${s}`);
    const above = new LshIndex(128, s + 1 / 128);
    above.insert(sa);
    assert.equal(above.query(sb), null, `m=${m}: not found at threshold ${s + 1 / 128}`);
  }
});

test('NearDupStage at 0.8 keeps the first copy, drops J≈0.90 and J≈0.86, keeps J≈0.70 and unrelated text', () => {
  const stage = new NearDupStage({ ...DATA_DEFAULTS.nearDup, threshold: 0.8 });
  const a = words(200, 3);
  const docs = [
    a, // original
    edited(a, 2), // J = 186/206 = 0.903
    edited(a, 3), // J = 181/211 = 0.858
    edited(a, 7), // J = 161/231 = 0.697
    words(200, 4), // unrelated
  ];
  const kept = docs.map((d, i) => stage.run({ id: String(i), text: d.join(' ') }) !== null);
  assert.deepEqual(kept, [true, false, false, true, true]);
  assert.deepEqual(stage.counts.detail, { near_duplicate: 2 });
});
