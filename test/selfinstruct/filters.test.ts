// The heuristic filters, the prompt parsers, the diversity figure's verb–object reading, the seed
// file's validation, and the histogram, each on hand-made cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FILTER_DEFAULTS, cleanInstruction, dedupeKey, filterInstances, instructionFilter } from '../../src/selfinstruct/filters.js';
import {
  classificationPrompt, instructionPrompt, parseClassification, parseInputFirst, parseInstructions, parseOutputFirst,
} from '../../src/selfinstruct/prompts.js';
import { histogram, verbObject, verbObjectCounts } from '../../src/selfinstruct/diversity.js';
import { DEFAULT_SEED_TASKS, loadSeedTasks, toConversation } from '../../src/selfinstruct/tasks.js';
import { cutAtStop } from '../../src/selfinstruct/teacher.js';
import { tmp } from '../train/helpers.js';

const f = (s: string): string | null => instructionFilter(s, FILTER_DEFAULTS);

test('instruction filters: length, keywords, prefixes, punctuation', () => {
  assert.equal(f('Write a haiku about rain.'), null);
  assert.equal(f('Tell me more'), 'too_short', 'three words is at most 3');
  assert.equal(f('Tell me more now'), null, 'four words pass');
  assert.equal(f(Array(151).fill('word').join(' ')), 'too_long');
  assert.equal(f(Array(150).fill('word').join(' ')), null);
  assert.equal(f('Describe the image of a sunset.'), 'blocklisted');
  assert.equal(f('Describe the imagery of a sunset.'), null, 'whole words only');
  assert.equal(f('Please go to the store and buy milk.'), 'blocklisted', 'phrases too');
  assert.equal(f('Write a program that sorts numbers.'), 'blocked_prefix');
  assert.equal(f('"Quoted" instructions are dropped here.'), 'starts_with_punctuation');
  assert.equal(f('画一张猫的图片给我看看'), 'blocklisted', 'Chinese keywords as substrings');
  assert.equal(f('写一首关于春天的诗'), null);
  assert.equal(f(''), 'empty');
});

test('cleaning and dedupe keys', () => {
  assert.equal(cleanInstruction('  List   three\nfruits:  '), 'List three fruits');
  assert.equal(dedupeKey('List three fruits.'), dedupeKey('list THREE fruits'));
});

test('instance filters drop empty, copied, over-long and duplicate instances', () => {
  const kept = filterInstances([
    { input: 'a', output: 'b' }, { input: 'a', output: 'b' }, { input: 'x', output: 'x' }, { input: 'y', output: '  ' },
    { input: '', output: Array(401).fill('w').join(' ') }, { input: '', output: 'fine' },
  ], FILTER_DEFAULTS);
  assert.deepEqual(kept, [{ input: 'a', output: 'b' }, { input: '', output: 'fine' }]);
});

test('instruction prompt and its parse', () => {
  const p = instructionPrompt(['Do one thing:', 'Do  another\nthing']);
  assert.equal(p, 'Come up with a series of tasks:\n1. Do one thing\n2. Do another thing\n3.');
  const r = parseInstructions(' Name a color.\n4. List two birds.\n5. Count to', false);
  assert.deepEqual(r, { instructions: ['Name a color.', 'List two birds.', 'Count to'], truncated: 0 });
  assert.deepEqual(parseInstructions(' Name a color.\n4. Count to', true), { instructions: ['Name a color.'], truncated: 1 });
  assert.deepEqual(parseInstructions(' 写一首诗。\n4、 翻译这句话。', false).instructions, ['写一首诗。', '翻译这句话。']);
});

test('classification question and answers', () => {
  assert.match(classificationPrompt('Is it raining?'), /Task: Is it raining\?\nIs it classification\?$/);
  assert.equal(parseClassification(' Yes'), true);
  assert.equal(parseClassification('no, it is not'), false);
  assert.equal(parseClassification('是'), true);
  assert.equal(parseClassification('maybe'), null);
});

test('input-first and output-first instances', () => {
  assert.deepEqual(parseInputFirst('Example 1\nInput: The sky.\nOutput: What is above?\nExample 2\nInput: Dogs bark.\nOutput: What do dogs do?'), [
    { input: 'The sky.', output: 'What is above?' }, { input: 'Dogs bark.', output: 'What do dogs do?' },
  ]);
  assert.deepEqual(parseInputFirst('Output: Oranges and kiwis.'), [{ input: '', output: 'Oranges and kiwis.' }]);
  assert.deepEqual(parseInputFirst('no marker here'), []);
  assert.deepEqual(parseOutputFirst('Class label: positive\nInput: I loved it.\nClass label: negative\nInput: Awful.\nClass label: neutral'), [
    { input: 'I loved it.', output: 'positive' }, { input: 'Awful.', output: 'negative' }, { input: '', output: 'neutral' },
  ]);
});

test('stop sequences cut at the earliest one', () => {
  assert.deepEqual(cutAtStop('a\n\nb\n16. c', ['\n16', '\n\n']), { text: 'a', stopped: true });
  assert.deepEqual(cutAtStop('abc', ['x']), { text: 'abc', stopped: false });
});

test('root verb and object of imperative instructions', () => {
  assert.deepEqual(verbObject('Write a short poem about the sea.'), { verb: 'write', object: 'poem' });
  assert.deepEqual(verbObject('Please give three examples of mammals.'), { verb: 'give', object: 'examples' });
  assert.deepEqual(verbObject('Can you explain how tides work?'), { verb: 'explain', object: null });
  assert.equal(verbObject('写一首诗'), null);
  const c = verbObjectCounts(['Write a poem about cats.', 'Write a poem.', 'Write a story.', 'List fruits.', '写一首诗']);
  assert.deepEqual(c.verbs[0], { verb: 'write', count: 3, objects: [{ object: 'poem', count: 2 }, { object: 'story', count: 1 }] });
  assert.equal(c.distinctVerbs, 2);
  assert.equal(c.nonLatin, 1);
});

test('histogram bins, 1.0 in the last bin', () => {
  const h = histogram([0, 0.05, 0.1, 0.69, 0.7, 1], 10);
  assert.deepEqual(h.map((b) => b.count), [2, 1, 0, 0, 0, 0, 1, 1, 0, 1]);
});

test('seed tasks: the shipped file loads; bad lines name file and line', async () => {
  const seeds = await loadSeedTasks(DEFAULT_SEED_TASKS);
  assert.ok(seeds.length >= 30);
  assert.ok(seeds.some((s) => /\p{Script=Han}/u.test(s.instruction)), 'Chinese seeds');
  assert.ok(seeds.some((s) => s.is_classification) && seeds.some((s) => !s.is_classification));
  const file = join(tmp('seeds'), 'seeds.jsonl');
  writeFileSync(file, '{"instruction": "Ok task here", "instances": [{"input": "", "output": "x"}]}\n{"instruction": "Broken", "instances": [{"input": ""}]}\n');
  await assert.rejects(loadSeedTasks(file), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: instances\\[0\\]`));
  assert.deepEqual(toConversation({ instruction: 'Sort these.', input: '3 1 2', output: '1 2 3' }).messages, [
    { role: 'user', content: 'Sort these.\n\n3 1 2' }, { role: 'assistant', content: '1 2 3' },
  ]);
});
