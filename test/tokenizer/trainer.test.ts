// Training: the incremental trainer learns exactly the merges a naive trainer (recount every pair
// after every merge) learns, and the trained tokenizer is laid out as documented.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brownDocuments } from '../../src/data/brown.js';
import { utf8 } from '../../src/tokenizer/bytes.js';
import { CL100K_PATTERN, DIGITS_PATTERN, GPT2_PATTERN, PieceCounter, tokenizerFromJson, tokenizerToJson, trainBpe } from '../../src/tokenizer/index.js';
import { learnMerges } from '../../src/tokenizer/trainer.js';
import { ADVERSARIAL, randomText, rng } from './gen.js';

/** The definition: count all adjacent pairs, merge the most frequent (smallest pair on a tie). */
function naiveMerges(counts: Map<string, number>, target: number, minFrequency: number): Array<[number, number]> {
  const words = [...counts].map(([w, c]) => ({ syms: [...utf8(w)], c }));
  const merges: Array<[number, number]> = [];
  while (merges.length < target) {
    const pc = new Map<string, number>();
    for (const { syms, c } of words) for (let i = 0; i + 1 < syms.length; i++) pc.set(`${syms[i]},${syms[i + 1]}`, (pc.get(`${syms[i]},${syms[i + 1]}`) ?? 0) + c);
    let best: [number, number] | undefined;
    let bestCount = 0;
    for (const [k, c] of pc) {
      const [a, b] = k.split(',').map(Number) as [number, number];
      if (c > bestCount || (c === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestCount = c;
      }
    }
    if (!best || bestCount < minFrequency) break;
    const z = 256 + merges.length;
    merges.push(best);
    for (const w of words) {
      const out: number[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === best[0] && w.syms[i + 1] === best[1]) {
          out.push(z);
          i++;
        } else out.push(w.syms[i]);
      }
      w.syms = out;
    }
  }
  return merges;
}

test('incremental pair counts learn the same merges as recounting from scratch', () => {
  const r = rng(21);
  for (const [texts, target, minFreq] of [
    [['aaaa aaaa aaa', 'abab abab ab', 'banana bandana'], 30, 1],
    [Array.from({ length: 300 }, () => randomText(r, 20)), 300, 2],
    [ADVERSARIAL, 200, 1],
  ] as const) {
    const counter = new PieceCounter(GPT2_PATTERN);
    for (const t of texts) counter.add(t);
    assert.deepEqual(learnMerges(counter.counts, target, minFreq), naiveMerges(counter.counts, target, minFreq));
  }
});

test('vocabulary layout: bytes, then merges, then special tokens; minFrequency stops early', () => {
  const tok = trainBpe(['low lower lowest', 'new newer newest'], { vocabSize: 300, minFrequency: 2, specialTokens: ['<|endoftext|>', '<|im_end|>'] });
  assert.equal(tok.idToToken(0x61), 'a');
  assert.equal(tok.idToToken(0x20), 'Ġ');
  const merges = tok.model.merges.length;
  assert.ok(merges > 0 && merges < 300 - 258, `${merges} merges: only pairs seen twice`);
  assert.equal(tok.tokenToId('<|endoftext|>'), 256 + merges);
  assert.equal(tok.tokenToId('<|im_end|>'), 257 + merges);
  assert.equal(tok.vocabSize, 258 + merges);
  assert.deepEqual(tok.encode(' lowest').map((id) => tok.idToToken(id)), ['Ġlo', 'west']); // w+e, l+o, Ġ+lo, s+t, we+st
  assert.throws(() => trainBpe(['x'], { vocabSize: 100 }), /below 256 bytes/);
});

test('Brown, 2k vocabulary, cl100k pattern: round-trips every document and reports progress', () => {
  const docs = [...brownDocuments()].slice(0, 60).map((d) => d.text);
  const seen: number[] = [];
  const tok = trainBpe(docs, { vocabSize: 2048, pattern: CL100K_PATTERN, onProgress: (p) => seen.push(p.merges) });
  assert.equal(tok.vocabSize, 2048);
  assert.deepEqual(seen, [1000, 1791]);
  for (const d of docs) assert.equal(tok.decode(tok.encode(d)), d);
  const ids = tok.encode('The jury said 12345');
  assert.ok(ids.length < 12, `${ids.length} tokens`);
  assert.ok(tok.encode('12345').length >= 2, 'cl100k splits digits in threes');
});

test('digits pattern: every digit is a token of its own, words merge as with GPT-2, tokenizer.json keeps it', () => {
  const docs = [...brownDocuments()].slice(0, 40).map((d) => d.text);
  const tok = trainBpe([...docs, 'In 1961 there were 2345 of them, and 1961 again: 1961.'], { vocabSize: 1500, pattern: DIGITS_PATTERN });
  const pieces = (s: string): string[] => tok.encode(s).map((id) => tok.idToToken(id)!);
  assert.deepEqual(pieces('1961 42 2003'), ['1', '9', '6', '1', 'Ġ', '4', '2', 'Ġ', '2', '0', '0', '3']);
  const withDigits = Array.from({ length: tok.vocabSize }, (_, id) => tok.decode([id])).filter((t) => /\d/.test(t));
  assert.deepEqual(withDigits.filter((t) => !/^\d$/.test(t)), [], 'no token holds a digit beside anything else');
  assert.deepEqual(pieces(' the'), ['Ġthe']);
  for (const d of docs) assert.equal(tok.decode(tok.encode(d)), d);
  const back = tokenizerFromJson(tokenizerToJson(tok));
  for (const s of [...docs.slice(0, 5), 'What is 17 + 25? It is 42.']) assert.deepEqual(back.encode(s), tok.encode(s));
});

test('training is deterministic', () => {
  const docs = [...brownDocuments()].slice(0, 20).map((d) => d.text);
  const a = trainBpe(docs, { vocabSize: 1000 });
  const b = trainBpe([...docs].reverse(), { vocabSize: 1000 });
  assert.deepEqual(a.model.merges, b.model.merges);
});
