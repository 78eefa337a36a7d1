// The correctness oracle: our GPT-2 (built from js-tiktoken's ranks) must give js-tiktoken's ids
// exactly, on every Brown document and on adversarial and random strings, directly and after a
// round trip through tokenizer.json.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getEncoding } from 'js-tiktoken';
import { brownDocuments } from '../../src/data/brown.js';
import { fromTiktoken, tokenizerFromJson, tokenizerToJson } from '../../src/tokenizer/index.js';
import { ADVERSARIAL, randomText, rng } from './gen.js';

const oracle = getEncoding('gpt2');
const gpt2 = fromTiktoken('gpt2');
// Through JSON text, as a file would go.
const reread = tokenizerFromJson(JSON.parse(JSON.stringify(tokenizerToJson(gpt2))));
// js-tiktoken throws on special-token text by default; ours encodes it as characters.
const expected = (s: string) => oracle.encode(s, [], []);

function firstDifference(a: number[], b: number[]): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `first difference at ${i}: ours ${JSON.stringify(a.slice(i, i + 5))}, js-tiktoken ${JSON.stringify(b.slice(i, i + 5))}`;
}

test('GPT-2: every Brown document encodes exactly as js-tiktoken', () => {
  let docs = 0;
  let tokens = 0;
  for (const d of brownDocuments()) {
    const want = expected(d.text);
    const got = gpt2.encode(d.text);
    if (got.length !== want.length || got.some((x, i) => x !== want[i])) assert.fail(`${d.id}: ${firstDifference(got, want)}`);
    const again = reread.encode(d.text);
    if (again.length !== want.length || again.some((x, i) => x !== want[i])) assert.fail(`${d.id} via tokenizer.json: ${firstDifference(again, want)}`);
    assert.equal(gpt2.decode(got), d.text, `${d.id}: decode(encode(text))`);
    docs++;
    tokens += got.length;
  }
  assert.equal(docs, 500);
  assert.ok(tokens > 1_200_000, `only ${tokens} tokens`);
});

test('GPT-2: adversarial strings encode exactly as js-tiktoken', () => {
  for (const s of ADVERSARIAL) {
    assert.deepEqual(gpt2.encode(s), expected(s), JSON.stringify(s));
    assert.deepEqual(reread.encode(s), expected(s), `${JSON.stringify(s)} via tokenizer.json`);
  }
});

test('GPT-2: 3000 random strings encode exactly as js-tiktoken', () => {
  const r = rng(7);
  for (let k = 0; k < 3000; k++) {
    const s = randomText(r, 16);
    assert.deepEqual(gpt2.encode(s), expected(s), JSON.stringify(s));
  }
});

test('GPT-2: known ids, vocabulary shape, all 50000 merges recovered from the ranks', () => {
  assert.deepEqual(gpt2.encode('Hello world'), [15496, 995]);
  assert.equal(gpt2.vocabSize, 50257);
  assert.equal(gpt2.model.merges.length, 50000);
  assert.equal(gpt2.tokenToId('<|endoftext|>'), 50256);
  assert.equal(gpt2.idToToken(220), 'Ġ');
  assert.deepEqual(gpt2.encode('<|endoftext|>', { allowedSpecial: 'all' }), [50256]);
  assert.deepEqual(gpt2.encode('a<|endoftext|>b', { allowedSpecial: ['<|endoftext|>'] }), oracle.encode('a<|endoftext|>b', 'all'));
});
