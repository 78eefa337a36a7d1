// The BPE core: the linear and heap merge loops agree; the model (with and without its cache)
// agrees with a naive string-based BPE written straight from the definition.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BpeModel } from '../../src/tokenizer/bpe.js';
import { Int32Buf } from '../../src/tokenizer/buf.js';
import { bytesToUnicode, utf8 } from '../../src/tokenizer/bytes.js';
import { PieceCache } from '../../src/tokenizer/cache.js';
import { PairTable, applyMerges } from '../../src/tokenizer/pairs.js';
import { fromTiktoken, trainBpe } from '../../src/tokenizer/index.js';
import { randomText, rng } from './gen.js';

test('applyMerges: linear scan and heap give identical results on random merge tables', () => {
  const r = rng(1);
  for (let trial = 0; trial < 300; trial++) {
    const alphabet = 2 + Math.floor(r() * 4);
    const pairs = new PairTable();
    let next = alphabet;
    for (let m = 0; m < 40; m++) {
      const a = Math.floor(r() * next);
      const b = Math.floor(r() * next);
      if (pairs.find(a, b) < 0) pairs.set(a, b, m, next++);
    }
    const n = 1 + Math.floor(r() * 200);
    const seq = Int32Array.from({ length: n }, () => Math.floor(r() * alphabet));
    const lin = seq.slice();
    const heap = seq.slice();
    const nl = applyMerges(pairs, lin, n, Infinity);
    const nh = applyMerges(pairs, heap, n, 0);
    assert.deepEqual(heap.subarray(0, nh), lin.subarray(0, nl), `trial ${trial}`);
  }
});

/** BPE from the definition: merge the lowest-ranked adjacent pair of strings, leftmost first. */
function naiveBpe(pieceTokens: string[], ranks: Map<string, number>): string[] {
  const parts = [...pieceTokens];
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < parts.length; i++) {
      const rank = ranks.get(`${parts[i]} ${parts[i + 1]}`);
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        best = i;
      }
    }
    if (best < 0) return parts;
    parts.splice(best, 2, parts[best] + parts[best + 1]);
  }
}

test('a trained model encodes every piece as the naive definition does (cached and uncached)', () => {
  const r = rng(3);
  const corpus = Array.from({ length: 400 }, () => randomText(r, 30));
  const tok = trainBpe(corpus, { vocabSize: 600, minFrequency: 1, specialTokens: [] });
  const m = tok.model;
  const ranks = new Map(m.merges.map(([a, b], i) => [`${m.tokens[a]} ${m.tokens[b]}`, i] as const));
  const out = new Int32Buf();
  for (let k = 0; k < 2000; k++) {
    const piece = randomText(r, 3);
    const want = naiveBpe([...bytesToUnicode(utf8(piece))], ranks).map((t) => m.vocab.get(t));
    out.length = 0;
    m.encodeUncached(piece, 0, piece.length, out);
    assert.deepEqual([...out.data.subarray(0, out.length)], want, JSON.stringify(piece));
    out.length = 0;
    m.encodePiece(piece, 0, piece.length, out);
    m.encodePiece(piece, 0, piece.length, out); // the second one comes from the cache
    assert.deepEqual([...out.data.subarray(0, out.length)], [...want, ...want]);
  }
});

test('piece cache: a tiny cache that keeps filling up still returns the right ids', () => {
  const cache = new PieceCache(8, 16);
  const out = new Int32Buf();
  const r = rng(11);
  const words = Array.from({ length: 50 }, () => randomText(r, 2));
  const ids = (w: string) => Array.from({ length: 1 + (w.length % 3) }, (_, i) => w.charCodeAt(0) * 10 + i);
  for (let k = 0; k < 2000; k++) {
    const w = words[Math.floor(r() * words.length)];
    out.length = 0;
    if (!cache.get(w, 0, w.length, out)) {
      cache.put(w, 0, w.length, ids(w), ids(w).length);
      continue;
    }
    assert.deepEqual([...out.data.subarray(0, out.length)], ids(w), JSON.stringify(w));
  }
});

test('long pieces cost O(n log n): 200 000 digits or spaces encode in well under a second', () => {
  const gpt2 = fromTiktoken('gpt2');
  for (const s of ['7'.repeat(200_000), ' '.repeat(200_000) + 'x', 'ab'.repeat(100_000)]) {
    const t0 = performance.now();
    const ids = gpt2.encode(s);
    const ms = performance.now() - t0;
    assert.equal(gpt2.decode(ids), s);
    assert.ok(ms < 1500, `${ms.toFixed(0)} ms for ${JSON.stringify(s.slice(0, 6))}…`);
  }
});

test('model errors name the problem', () => {
  assert.throws(() => new BpeModel({ kind: 'bytes', tokens: ['a', 'b'], merges: [[0, 1]] }), /merge 0 .*missing from the vocabulary/);
  assert.throws(() => new BpeModel({ kind: 'bytes', tokens: ['a', 'a'], merges: [] }), /twice/);
  const noBytes = new BpeModel({ kind: 'bytes', tokens: ['a'], merges: [] });
  assert.throws(() => noBytes.encodeUncached('b', 0, 1, new Int32Buf()), /byte 0x62 has no token/);
});
