import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { goldMax, goldRank, goldScore, isCorrect, isWellFormed, loadGoldPrompts, measureAlignment, sentimentScore, type InstructionGold } from '../../src/data/default/labelers.js';
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
  assert.ok(Math.abs(goldScore({ kind: 'continuation' }, 'Outstanding!') - goldMax({ kind: 'continuation' })) < 1e-9, 'a lone +5 word reaches the continuation maximum');
});

test('continuation ranking: positive sentiment first, a degenerate loop last', () => {
  const responses = [
    'and the harvest failed, which was a terrible disaster.',
    'and the harvest came in on time.',
    'and the harvest was wonderful, and everyone was happy.',
    'good good good good good',
  ];
  assert.ok(sentimentScore(responses[3]) > sentimentScore(responses[2]), 'AFINN alone would prefer the loop');
  assert.deepEqual(goldRank({ kind: 'continuation' }, responses), [2, 1, 0, 3]);
});

test('measureAlignment summarises a policy against the rubric', () => {
  const r = measureAlignment([
    { gold: gold('add', '4'), response: '4' },
    { gold: gold('add', '5'), response: '6' },
    { gold: { kind: 'continuation' }, response: 'and it was good.' },
  ]);
  assert.equal(r.instructions, 2);
  assert.equal(r.accuracy, 0.5);
  assert.equal(r.continuations, 1);
  assert.ok(r.sentiment > 0);
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
  ].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const errors: DataError[] = [];
  const prompts = await loadGoldPrompts(file, { onError: 'skip', errors });
  assert.equal(prompts.length, 2);
  assert.match(errors[0].message, /prompts\.jsonl:3: gold\.task must be one of add, .*got "addition"/);
  assert.match(errors[1].message, /prompts\.jsonl:4: gold is missing/);
});
