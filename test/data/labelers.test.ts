import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { goldMax, goldRank, goldRanking, goldScore, isCorrect, isWellFormed, loadGoldPrompts, measureAlignment, partialCredit, type InstructionGold } from '../../src/data/default/labelers.js';
import type { DataError } from '../../src/data/jsonl.js';

const gold = (task: InstructionGold['task'], answer: string): InstructionGold => ({ kind: 'instruction', task, answer });

test('correctness per task: the answer committed to, not merely mentioned', () => {
  const add = gold('add', '42');
  assert.ok(isCorrect(add, '42'));
  assert.ok(isCorrect(add, '17 + 25 = 42.'));
  assert.ok(!isCorrect(add, '43'));
  assert.ok(!isCorrect(add, 'It is 42, no wait, 43.'));
  assert.ok(isCorrect(gold('convert_units', '3000 meters'), 'That is 3,000 meters.'));
  assert.ok(!isCorrect(gold('convert_units', '3000 meters'), '300 meters'));
  const rev = gold('reverse_words', 'jumps fox red');
  assert.ok(isCorrect(rev, 'The reversed words are: Jumps, fox, red.'));
  assert.ok(!isCorrect(rev, 'red fox jumps'));
  assert.ok(isCorrect(gold('uppercase', 'RED FOX'), 'RED FOX'));
  assert.ok(!isCorrect(gold('uppercase', 'RED FOX'), 'red fox'));
  assert.ok(!isCorrect(gold('title_case', 'Red Fox'), 'RED FOX'));
  assert.ok(isCorrect(gold('lookup', 'Melk'), 'The capital is Melk.'));
  assert.ok(!isCorrect(gold('lookup', 'Melk'), 'The capital is Melkor.'));
});

test('well-formedness catches loops, unbalanced quotes and brackets, ragged endings', () => {
  assert.ok(isWellFormed('The answer is 42.'));
  assert.ok(isWellFormed('42'));
  for (const bad of ['', '   ', '42 42 42 42', 'red fox red fox red fox red fox', 'He said "yes.', 'It is (probably 4.', 'The answer is 4,']) {
    assert.ok(!isWellFormed(bad), JSON.stringify(bad));
  }
});

test('instruction ranking: correct first, then well-formed, then concise', () => {
  const responses = ['43', '42 42 42 42', 'Sure! Let me think step by step about it. The answer is 42.', '42', 'The answer is 42.'];
  assert.deepEqual(goldRank(gold('add', '42'), responses), [3, 4, 2, 1, 0]);
  assert.ok(goldScore(gold('add', '42'), '42 42 42 42') > goldScore(gold('add', '42'), '43'), 'a looping right answer still beats a clean wrong one');
  // The concise right answer reaches the maximum; nothing goes above it.
  assert.ok(Math.abs(goldScore(gold('add', '42'), '42') - goldMax(gold('add', '42'))) < 1e-9);
  for (const r of responses) assert.ok(goldScore(gold('add', '42'), r) <= goldMax(gold('add', '42')) + 1e-9, r);
});

test('equal scores are ties: grouped, adjacent in the ranking, in index order', () => {
  // 3.99, 1.99, 3.99, and 2 + 1 + 0.99 / (1 + 3/5) = 3.61875 for three words beyond the answer.
  const add = gold('add', '42');
  assert.equal(goldScore(add, 'The answer is 42.'), 3 + 0.99 / 1.6);
  assert.deepEqual(goldRanking(add, ['42', '43', '42', 'The answer is 42.']), { ranking: [0, 2, 3, 1], ties: [[0, 2]] });
  assert.deepEqual(goldRanking(add, ['41', '43']), { ranking: [0, 1], ties: [[0, 1]] });
  assert.deepEqual(goldRank(add, ['43', '42']), [1, 0]);
});

test('partial credit: 1 when correct, else numeric distance, word order, right case', () => {
  const add = gold('add', '42');
  assert.equal(partialCredit(add, '42'), 1);
  assert.equal(partialCredit(add, '43'), 1 - 1 / 42);
  assert.equal(partialCredit(add, 'It is 40.'), 1 - 2 / 42);
  assert.equal(partialCredit(add, '100'), 0);
  assert.equal(partialCredit(add, 'no idea'), 0);
  assert.equal(partialCredit(gold('convert_units', '3000 meters'), '300 meters'), 1 - 2700 / 3000);
  assert.equal(partialCredit(gold('subtract', '0'), '2'), 0, 'the distance is measured against at least 1');
  assert.equal(partialCredit(gold('count_words', '4'), '3'), 0.75);
  const rev = gold('reverse_words', 'jumps fox red');
  assert.equal(partialCredit(rev, 'red fox jumps'), 1 / 3); // longest common subsequence: one word
  assert.equal(partialCredit(rev, 'fox jumps red'), 2 / 3); // "fox red"
  assert.equal(partialCredit(rev, 'jumps fox'), 2 / 3);
  assert.equal(partialCredit(rev, 'The words: jumps, red, fox.'), 2 / 3);
  assert.equal(partialCredit(gold('sort_words', 'apple river stone'), 'stone river apple'), 1 / 3);
  const upper = gold('uppercase', 'RED FOX');
  assert.equal(partialCredit(upper, 'Red Fox'), 2 / 6);
  assert.equal(partialCredit(upper, 'It is RED Fox.'), 4 / 6);
  assert.equal(partialCredit(upper, 'red fox'), 0);
  assert.equal(partialCredit(upper, 'blue cat'), 0);
  const title = gold('title_case', 'Red Fox');
  assert.equal(partialCredit(title, 'red fox'), 4 / 6);
  assert.equal(partialCredit(title, 'RED FOX'), 2 / 6);
  assert.equal(partialCredit(gold('lookup', 'Melk'), 'Zorvi'), 0);
  assert.equal(partialCredit(gold('lookup', 'Melk'), 'It is Melk.'), 1);
});

test('measureAlignment summarises a policy against the rubric', () => {
  const r = measureAlignment([
    { gold: gold('add', '4'), response: '4' },
    { gold: gold('add', '5'), response: '6' },
    { gold: { kind: 'continuation' }, response: 'Lily and Max had a wonderful day.' },
    { gold: { kind: 'continuation' }, response: 'gold' },
  ]);
  assert.equal(r.instructions, 2);
  assert.equal(r.accuracy, 0.5);
  assert.equal(r.continuations, 2);
  assert.equal(r.continuationScore, (0.8 + (-2 + 1 / 5 / 8)) / 2); // "gold": one of five words, the first check failed
  assert.equal(r.fluent, 0.5);
  assert.equal(r.sentiment, (4 / 7 + 2) / 2);
  assert.equal(r.wellFormed, 1);
});

test('loadGoldPrompts checks the prompt and the gold record of every line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gold-'));
  const file = join(dir, 'prompts.jsonl');
  writeFileSync(file, [
    { prompt: [{ role: 'user', content: 'What is 2 + 2?' }], gold: { kind: 'instruction', task: 'add', answer: '4' } },
    { prompt: 'Continue the text: It was', gold: { kind: 'continuation' } },
    { prompt: 'What is 2 + 3?', gold: { kind: 'instruction', task: 'addition', answer: '5' } },
    { prompt: 'What is 2 + 4?' },
    { prompt: 'Continue the story: Lily had a dog named Max.', gold: { kind: 'continuation', names: ['Lily', 'Max'] } },
    { prompt: 'Continue the story: Lily had a dog named Max.', gold: { kind: 'continuation', names: 'Lily' } },
  ].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const errors: DataError[] = [];
  const prompts = await loadGoldPrompts(file, { onError: 'skip', errors });
  assert.equal(prompts.length, 3);
  assert.match(errors[0].message, /prompts\.jsonl:3: gold\.task must be one of add, .*got "addition"/);
  assert.match(errors[1].message, /prompts\.jsonl:4: gold is missing/);
  assert.match(errors[2].message, /prompts\.jsonl:6: gold\.names must be a list of names, got "Lily"/);
});
