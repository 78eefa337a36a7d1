// Added and special tokens: matched whole before pre-tokenization, special ones only when allowed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddedVocabulary } from '../../src/tokenizer/added.js';
import { addTokens, fromTiktoken } from '../../src/tokenizer/index.js';

const gpt2 = addTokens(addTokens(fromTiktoken('gpt2'), ['<|im_start|>', '<|im_end|>'], { special: true }), ['rlhf-ts'], { special: false });
const IM_START = 50257;
const IM_END = 50258;
const RLHF = 50259;

test('special tokens in text are plain characters unless allowed', () => {
  const text = '<|im_start|>user\nhi<|im_end|>';
  const plain = gpt2.encode(text);
  assert.ok(!plain.includes(IM_START) && !plain.includes(IM_END));
  assert.equal(gpt2.decode(plain), text);
  assert.deepEqual(gpt2.encode(text, { allowedSpecial: 'all' }), [IM_START, ...gpt2.encode('user\nhi'), IM_END]);
  const some = gpt2.encode(text, { allowedSpecial: ['<|im_end|>'] });
  assert.ok(!some.includes(IM_START) && some.at(-1) === IM_END);
  assert.throws(() => gpt2.encode(text, { allowedSpecial: ['<|nope|>'] }), /"<\|nope\|>", which is not a special token/);
});

test('non-special added tokens are always matched; ids of the base vocabulary do not move', () => {
  assert.deepEqual(gpt2.encode('use rlhf-ts now'), [...gpt2.encode('use '), RLHF, ...gpt2.encode(' now')]);
  assert.equal(gpt2.vocabSize, 50260);
  assert.deepEqual(gpt2.encode('Hello world'), [15496, 995]);
  assert.equal(gpt2.decode([RLHF, IM_START]), 'rlhf-ts<|im_start|>');
  assert.equal(gpt2.decode([RLHF, IM_START], { skipSpecialTokens: true }), 'rlhf-ts');
});

test('leftmost-longest matching, lstrip/rstrip and single-word tokens', () => {
  const v = new AddedVocabulary([
    { id: 1, content: '<a>', special: false },
    { id: 2, content: '<a><b>', special: false },
    { id: 3, content: '[M]', special: false, lstrip: true, rstrip: true },
    { id: 4, content: 'cat', special: false, singleWord: true },
  ]);
  const segs = (s: string) => v.split(s).map((g) => (g.id >= 0 ? g.id : s.slice(g.start, g.end)));
  assert.deepEqual(segs('x<a><b><a>y'), ['x', 2, 1, 'y']);
  assert.deepEqual(segs('one  [M]  two'), ['one', 3, 'two']);
  assert.deepEqual(segs('a cat, concat'), ['a ', 4, ', concat']);
});
