// The 13-gram contamination report on hand-made items: a shared 13-gram marks an item, 12 shared
// words do not, case and punctuation cannot hide an overlap, short items are matched whole or left
// unchecked, and JSONL training lines are read field by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contamination, lineText, trainingFileTexts } from '../../src/eval/contamination.js';
import { tmp } from '../train/helpers.js';

const W = (n: number, from = 0): string => Array.from({ length: n }, (_, i) => `w${from + i}`).join(' ');

test('a shared 13-gram contaminates; 12 shared words do not', async () => {
  const items = [
    `${W(20)}`, // words w0..w19
    `${W(20, 100)}`, // w100..w119
    `${W(20, 200)}`,
  ];
  const train = [
    `unrelated text then ${W(13, 5)} and more`, // w5..w17: 13 words of item 0
    `${W(12, 100)} stop ${W(12, 108)}`, // item 1 only in runs of 12
    `${W(13, 207).toUpperCase().split(' ').join(', ')}!`, // item 2, cased and punctuated
  ];
  const r = await contamination(items, train);
  assert.equal(r.items, 3);
  assert.equal(r.checked, 3);
  assert.equal(r.trainingLines, 3);
  assert.deepEqual(r.contaminated.map((c) => c.index), [0, 2]);
  assert.equal(r.contaminated[0].overlap, W(13, 5));
  assert.equal(r.contaminated[1].overlap, W(13, 207));
});

test('items shorter than n are matched whole, those under minWords are not checked', async () => {
  const items = ['the quick brown fox jumps over the lazy dog', 'too short to check', 'a b c d e f g h i j k'];
  const r = await contamination(items, ['yesterday the quick brown fox jumps over the lazy dog again', 'a b c d e f g h i j'], { ngram: 13, minWords: 8 });
  assert.equal(r.checked, 2);
  assert.deepEqual(r.contaminated.map((c) => c.index), [0], 'item 2 needs all 11 of its words in one training line');
  const n5 = await contamination(['one two three four five six'], ['x two three four five six y'], { ngram: 5, minWords: 3 });
  assert.equal(n5.contaminated.length, 1);
});

test('training lines: JSONL fields are read, plain text is taken as is', async () => {
  assert.equal(lineText('{"messages": [{"role": "user", "content": "hello there"}], "n": 3}'), 'user\nhello there');
  assert.equal(lineText('plain line {not json'), 'plain line {not json');
  const file = join(tmp('contam'), 'train.jsonl');
  writeFileSync(file, `{"text": "${W(13)}"}\n\n{"text": "other"}\n`);
  const texts: string[] = [];
  for await (const t of trainingFileTexts(file)) texts.push(t);
  assert.deepEqual(texts, [W(13), 'other']);
  const r = await contamination([W(15)], trainingFileTexts(file));
  assert.equal(r.contaminated.length, 1);
});
