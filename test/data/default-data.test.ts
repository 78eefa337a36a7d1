import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_DATA, heldOutInstructions, makeDefaultData, resolveDefaultDataConfig } from '../../src/data/default/make.js';
import { TASK_KINDS, makeTask } from '../../src/data/default/tasks.js';
import { isCorrect } from '../../src/data/default/labelers.js';
import { formatValidator, type DatasetFormat, type Message } from '../../src/data/formats.js';
import { Rng } from '../../src/engine/rng.js';

const sentences = (doc: string, n: number): { docId: string; text: string }[] =>
  Array.from({ length: n }, (_, i) => ({ docId: doc, text: `The ${doc} story called ${String.fromCharCode(97 + (i % 26)).repeat(1 + Math.floor(i / 26))} tells of a quiet town where the river ran past the mill every day.` }));
const cfg = resolveDefaultDataConfig({ sft: 300, sftVal: 20, rankings: 200, rankingsVal: 20, prompts: 100, eval: 80 });
const data = makeDefaultData(cfg, sentences('train', 50), sentences('held', 20));

test('every task answer passes its own checker and no wrong answer does', () => {
  const rng = new Rng(5);
  for (let i = 0; i < 500; i++) {
    const t = makeTask(rng, TASK_KINDS[i % TASK_KINDS.length]);
    const g = { kind: 'instruction' as const, task: t.task, answer: t.answer };
    assert.ok(isCorrect(g, t.answer), `${t.key}: answer ${t.answer}`);
    assert.ok(t.wrong.length >= 2, `${t.key}: wrong answers ${t.wrong}`);
    for (const w of t.wrong) assert.ok(!isCorrect(g, w), `${t.key}: wrong answer ${w} judged correct`);
  }
});

test('lookups can only be answered by reading: every prompt brings its own facts', () => {
  const rng = new Rng(9);
  const lookups = Array.from({ length: 200 }, () => makeTask(rng, 'lookup'));
  for (const t of lookups) assert.match(t.prompt, new RegExp(`\\b${t.answer}\\b`), t.key);
  const countries = new Set(lookups.map((t) => t.key.split(':')[2]));
  assert.ok(countries.size > 150, `${countries.size} distinct countries asked about in 200 lookups`);
});

test('the same seed gives the same data; files do not depend on each other’s size', () => {
  assert.deepEqual(makeDefaultData(cfg, sentences('train', 50), sentences('held', 20)), data);
  const bigger = makeDefaultData({ ...cfg, sft: 400 }, sentences('train', 50), sentences('held', 20));
  assert.deepEqual(bigger.sft.slice(0, 300), data.sft);
  assert.deepEqual(bigger.rankings, data.rankings);
  assert.notDeepEqual(makeDefaultData({ ...cfg, seed: 99 }, sentences('train', 50), sentences('held', 20)).sft, data.sft);
});

test('every record is valid in its format; prompts mix instructions and continuations', () => {
  const files: [DatasetFormat, unknown[]][] = [
    ['messages', data.sft], ['messages', data.sftVal], ['ranking', data.rankings], ['preference', data.preference], ['prompt', data.prompts], ['prompt', data.eval],
  ];
  for (const [format, records] of files) {
    const v = formatValidator(format);
    for (const r of records) assert.ok('value' in v(r), `${format}: ${JSON.stringify(v(r))}`);
  }
  for (const r of data.rankings) assert.equal(r.responses.length, DEFAULT_DATA.k);
  const kinds = new Set(data.prompts.map((p) => p.gold.kind));
  assert.deepEqual([...kinds].sort(), ['continuation', 'instruction']);
});

test('held-out prompts never appear in training files; decontamination sees all of them', () => {
  const promptText = (p: unknown): string => (p as Message[])[0].content;
  const trainPrompts = new Set([
    ...data.sft.map((c) => c.messages.find((m) => m.role === 'user')!.content),
    ...data.rankings.map((r) => promptText(r.prompt)),
    ...data.prompts.map((p) => promptText(p.prompt)),
  ]);
  const evalInstr = data.eval.filter((e) => e.gold.kind === 'instruction').map((e) => promptText(e.prompt));
  assert.ok(evalInstr.length > 40);
  assert.deepEqual(evalInstr.filter((p) => trainPrompts.has(p)), []);
  const known = new Set(heldOutInstructions(cfg));
  assert.deepEqual(evalInstr.filter((p) => !known.has(p)), []);
  // Held-out continuations come from held-out sentences only.
  for (const e of data.eval.filter((x) => x.gold.kind === 'continuation')) assert.match(promptText(e.prompt), /The held story/);
});

test('preference pairs are the best and worst of each ranking', () => {
  for (let i = 0; i < data.rankings.length; i++) {
    const r = data.rankings[i];
    const goldFor = data.preference[i];
    assert.equal(goldFor.chosen, r.responses[r.ranking[0]]);
    assert.equal(goldFor.rejected, r.responses[r.ranking[r.ranking.length - 1]]);
    assert.notEqual(goldFor.chosen, goldFor.rejected);
  }
});
