// The hand-written GPT-2 and cl100k scanners against the regexes they implement (as js-tiktoken
// spells them, run with matchAll), plus the regex splitter's handling of gaps and ranges.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Int32Buf } from '../../src/tokenizer/buf.js';
import { CL100K_PATTERN, GPT2_PATTERN, MetaspaceSplitter, RegexSplitter, patternSplitter, toJsRegex, type Splitter } from '../../src/tokenizer/pretokenize.js';
import { ADVERSARIAL, randomText, rng } from './gen.js';

const ranks = (name: string) => (createRequire(import.meta.url)(`js-tiktoken/ranks/${name}`) as { pat_str: string }).pat_str;

function pieces(sp: Splitter, s: string, start = 0, end = s.length): string[] {
  const out = new Int32Buf(4);
  sp.split(s, start, end, out);
  const res: string[] = [];
  for (let k = 0, a = start; k < out.length; a = out.data[k++]) res.push(s.slice(a, out.data[k]));
  return res;
}

const byRegex = (pattern: string, s: string) => [...s.matchAll(new RegExp(pattern, 'gu'))].map((m) => m[0]);

for (const [name, ours, spec] of [
  ['gpt2', GPT2_PATTERN, ranks('gpt2')],
  ['cl100k', CL100K_PATTERN, ranks('cl100k_base')],
] as const) {
  test(`${name} scanner splits exactly as the regex, on adversarial and 20000 random strings`, () => {
    const scanner = patternSplitter(ours);
    assert.ok(!(scanner instanceof RegexSplitter), 'the fast scanner is chosen for this pattern');
    const r = rng(name.length);
    const inputs = [...ADVERSARIAL, ...Array.from({ length: 20000 }, () => randomText(r))];
    for (const s of inputs) assert.deepEqual(pieces(scanner, s), byRegex(spec, s), JSON.stringify(s));
  });

  test(`${name} scanner and regex splitter agree on sub-ranges (the range end acts as end of text)`, () => {
    const scanner = patternSplitter(ours);
    const regex = new RegexSplitter(ours);
    const r = rng(99);
    for (let k = 0; k < 3000; k++) {
      const s = randomText(r);
      const a = Math.floor(r() * s.length);
      const b = a + Math.floor(r() * (s.length - a + 1));
      assert.deepEqual(pieces(scanner, s, a, b), byRegex(spec, s.slice(a, b)), JSON.stringify([s, a, b]));
      assert.deepEqual(pieces(regex, s, a, b), byRegex(spec, s.slice(a, b)));
    }
  });
}

test('scanners: contractions, spaces before words, whitespace runs, digit groups', () => {
  const gpt2 = patternSplitter(GPT2_PATTERN);
  assert.deepEqual(pieces(gpt2, "I'm  here's 12345"), ['I', "'m", ' ', ' here', "'s", ' 12345']);
  assert.deepEqual(pieces(gpt2, "DON'T"), ['DON', "'", 'T']); // GPT-2's contractions are lowercase only
  const cl = patternSplitter(CL100K_PATTERN);
  assert.deepEqual(pieces(cl, "DON'T 12345\n\n  x"), ['DON', "'T", ' ', '123', '45', '\n\n', ' ', ' x']);
});

test('regex splitter keeps the text between matches as pieces (no byte is dropped)', () => {
  assert.deepEqual(pieces(new RegexSplitter('\\p{N}'), 'ab12c3'), ['ab', '1', '2', 'c', '3']);
  assert.deepEqual(pieces(new RegexSplitter('x'), '😀😀x'), ['😀😀', 'x']);
});

test('o200k (regex path) matches its pattern', () => {
  const pat = ranks('o200k_base');
  const sp = patternSplitter(pat);
  const r = rng(5);
  for (let k = 0; k < 2000; k++) {
    const s = randomText(r);
    assert.deepEqual(pieces(sp, s), byRegex(pat, s));
  }
});

test('toJsRegex expands (?i:…) groups; Metaspace splits before each ▁', () => {
  assert.equal(toJsRegex("(?i:'s|'ll)|\\p{L}+"), "(?:'[sS]|'[lL][lL])|\\p{L}+");
  assert.throws(() => toJsRegex('(?i:[a-z])'), /character class/);
  assert.deepEqual(pieces(new MetaspaceSplitter(), '▁Hello▁▁world'), ['▁Hello', '▁', '▁world']);
});
