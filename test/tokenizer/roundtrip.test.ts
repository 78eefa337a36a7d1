// decode(encode(s)) === s for every well-formed string; lone surrogates, which have no UTF-8 form,
// are defined to encode as U+FFFD (as TextEncoder, tiktoken and Hugging Face do), so for any string
// decode(encode(s)) === s.toWellFormed(). cl100k and o200k are checked against js-tiktoken too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getEncoding } from 'js-tiktoken';
import { brownDocuments } from '../../src/data/brown.js';
import { fromTiktoken, trainBpe, type Tokenizer } from '../../src/tokenizer/index.js';
import { ADVERSARIAL, randomText, rng } from './gen.js';

/** String.prototype.toWellFormed (ES2024): each lone surrogate becomes U+FFFD. */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

const trained = trainBpe([...brownDocuments()].slice(0, 30).map((d) => d.text), { vocabSize: 1500 });
const tokenizers: Array<[string, () => Tokenizer]> = [
  ['gpt2', () => fromTiktoken('gpt2')],
  ['cl100k_base', () => fromTiktoken('cl100k_base')],
  ['trained on Brown', () => trained],
];

for (const [name, make] of tokenizers) {
  test(`${name}: decode(encode(s)) === s.toWellFormed() on adversarial and 5000 random strings`, () => {
    const tok = make();
    const r = rng(name.length * 31);
    for (const s of [...ADVERSARIAL, ...Array.from({ length: 5000 }, () => randomText(r, 16))]) {
      const ids = tok.encode(s);
      assert.equal(tok.decode(ids), wellFormed(s), JSON.stringify(s));
    }
  });
}

test('lone surrogates encode exactly as U+FFFD would', () => {
  const tok = fromTiktoken('gpt2');
  for (const s of ['\ud800', 'a\udc00b', '\ud83d\ud83d', 'x\udfff\ud800y', '😀\ud83d']) {
    assert.deepEqual(tok.encode(s), tok.encode(wellFormed(s)), JSON.stringify(s));
    assert.ok(tok.decode(tok.encode(s)).includes('\ufffd'));
  }
});

test('decodeBytes gives the raw bytes of a partial character (for streaming); decode marks it U+FFFD', () => {
  const tok = fromTiktoken('gpt2');
  const ids = tok.encode('春');
  assert.ok(ids.length > 1, 'a CJK character spans several GPT-2 tokens');
  assert.deepEqual([...tok.decodeBytes(ids.slice(0, 1))], [...new TextEncoder().encode('春')].slice(0, tok.decodeBytes(ids.slice(0, 1)).length));
  assert.ok(tok.decode(ids.slice(0, 1)).includes('\ufffd'));
  assert.throws(() => tok.decode([50257]), /token id 50257 \(at 0\) is not in the vocabulary/);
  assert.equal(tok.decode(tok.encode('a<|endoftext|>b', { allowedSpecial: 'all' }), { skipSpecialTokens: true }), 'ab');
});

for (const name of ['cl100k_base', 'o200k_base'] as const) {
  test(`${name}: ids equal js-tiktoken on adversarial and 2000 random strings`, () => {
    const tok = fromTiktoken(name);
    const oracle = getEncoding(name);
    const r = rng(17);
    for (const s of [...ADVERSARIAL, ...Array.from({ length: 2000 }, () => randomText(r, 16))]) {
      assert.deepEqual(tok.encode(s), oracle.encode(s, [], []), JSON.stringify(s));
    }
  });
}
