// ROUGE-L against hand-computed values, the bit-parallel LCS kernel against the dynamic programme
// on random sequences (across word boundaries: 31, 32, 33, 64, 65 tokens), and the pool's pruned
// search against a brute-force maximum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/engine/rng.js';
import { LcsPattern, RougePool, Vocab, lcsLengthRef, rougeL, rougeLText, rougeTokens } from '../../src/selfinstruct/rouge.js';

const near = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

test('tokens: lowercase words of letters and digits; each Chinese character a token', () => {
  assert.deepEqual(rougeTokens('Write a 3-line poem, please!'), ['write', 'a', '3', 'line', 'poem', 'please']);
  assert.deepEqual(rougeTokens('写一首诗 about spring'), ['写', '一', '首', '诗', 'about', 'spring']);
  assert.deepEqual(rougeTokens('...'), []);
});

test('ROUGE-L by hand', () => {
  // "the cat sat on the mat" vs "the cat lay on a mat": LCS "the cat on mat" = 4;
  // F = 2·4 / (6 + 6) = 2/3.
  near(rougeLText('the cat sat on the mat', 'the cat lay on a mat'), 2 / 3);
  // P = 2/3, R = 2/4: F = 2PR/(P+R) = (2/3)/(7/6) = 4/7 = 2·2/(3+4).
  near(rougeLText('give three examples', 'give me some examples'), 4 / 7);
  near(rougeLText('Write a poem.', 'write a POEM'), 1);
  near(rougeLText('alpha beta', 'gamma delta'), 0);
  near(rougeLText('', 'anything'), 0);
  // Order matters: reversed words share only one in order.
  near(rougeLText('a b c d', 'd c b a'), (2 * 1) / 8);
  // Chinese by characters: 写一首诗 vs 写一首歌: LCS 3 of 4 and 4 → 6/8.
  near(rougeLText('写一首诗', '写一首歌'), 0.75);
});

test('bit-parallel LCS equals the dynamic programme, across word boundaries', () => {
  const rng = new Rng(7);
  for (const la of [1, 5, 31, 32, 33, 64, 65, 100]) {
    for (let rep = 0; rep < 20; rep++) {
      const alphabet = 2 + rng.int(12);
      const a = Int32Array.from({ length: la }, () => rng.int(alphabet));
      const b = Int32Array.from({ length: 1 + rng.int(90) }, () => rng.int(alphabet));
      assert.equal(new LcsPattern(a).lcs(b), lcsLengthRef(a, b), `|a| ${la}, |b| ${b.length}, alphabet ${alphabet}`);
    }
  }
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 80 }), fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 80 }), (a, b) => {
    assert.equal(new LcsPattern(a).lcs(b), lcsLengthRef(a, b));
  }), { seed: 3, numRuns: 300 });
});

test('the pattern is reusable: repeated queries give the same answers', () => {
  const p = new LcsPattern([1, 2, 3, 1, 2, 3]);
  assert.equal(p.lcs([3, 2, 1]), 2);
  assert.equal(p.lcs([1, 2, 3]), 3);
  assert.equal(p.lcs([3, 2, 1]), 2);
  assert.equal(p.lcs([]), 0);
  near(rougeL([1, 2, 3], [1, 2, 3]), 1);
});

test('pool search: the pruned maximum equals brute force, and prunes', () => {
  const rng = new Rng(11);
  const words = Array.from({ length: 60 }, (_, i) => `w${i}`);
  const sentence = (): string => Array.from({ length: 4 + rng.int(12) }, () => words[Math.min(words.length - 1, Math.floor(-Math.log(1 - rng.uniform()) * 8))]).join(' ');
  const pool = new RougePool();
  const texts: string[] = [];
  for (let i = 0; i < 400; i++) {
    const t = sentence();
    texts.push(t);
    pool.add(t);
  }
  let computed = 0;
  for (let q = 0; q < 60; q++) {
    const query = q % 3 === 0 ? texts[rng.int(texts.length)] : sentence();
    const m = pool.max(query);
    const brute = Math.max(...texts.map((t) => rougeLText(query, t)));
    near(m.score, brute);
    if (m.index >= 0) near(rougeLText(query, texts[m.index]), brute);
    computed += m.computed;
  }
  assert.ok(computed < 60 * 400 * 0.5, `the bound should rule out most pairs, computed ${computed} of ${60 * 400}`);
  assert.deepEqual(new RougePool().max('anything'), { score: 0, index: -1, computed: 0 });
});

test('vocab ids are dense and stable', () => {
  const v = new Vocab();
  assert.deepEqual([...v.encode('a b a')], [0, 1, 0]);
  assert.deepEqual([...v.encode('b c')], [1, 2]);
  assert.equal(v.size, 3);
});
