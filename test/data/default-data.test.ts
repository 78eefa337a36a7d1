import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_DATA, isContinuationAt, makeDefaultData, resolveDefaultDataConfig, sideOf } from '../../src/data/default/make.js';
import { TASK_KINDS, makeTask } from '../../src/data/default/tasks.js';
import { goldMax, goldScore, isCorrect } from '../../src/data/default/labelers.js';
import { ALL_NAMES } from '../../src/data/default/stories/lexicon.js';
import { formatValidator, type DatasetFormat, type Message, type Turns } from '../../src/data/formats.js';
import { Rng } from '../../src/engine/rng.js';

const cfg = resolveDefaultDataConfig({ stories: 300, storiesVal: 30, sft: 400, sftVal: 40, rankings: 60, rankingsVal: 40, prompts: 80, dev: 40, eval: 60 });
const data = makeDefaultData(cfg);
const text = (p: Turns): string => (typeof p === 'string' ? p : p.find((m) => m.role === 'user')!.content);

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

test('canonical keys: a question in another order is the same question', () => {
  const rng = new Rng(2);
  for (let i = 0; i < 400; i++) {
    const t = makeTask(rng, TASK_KINDS[i % TASK_KINDS.length]);
    if (t.task === 'add' || t.task === 'multiply') {
      const [a, b] = t.prompt.match(/\d+/g)!.map(Number);
      assert.equal(t.key, `${t.task}:${Math.min(a, b)}:${Math.max(a, b)}`, t.prompt);
    } else if (t.task === 'subtract') {
      assert.match(t.key, /^subtract:\d+:\d+$/);
    } else if (!['convert_units', 'lookup'].includes(t.task)) {
      // Every word task over the same words shares one key, whatever their order.
      const ws = t.prompt.match(/[:?]\s+([a-z ]+)$/)![1].split(' ');
      assert.equal(t.key, `words:${ws.sort().join(' ')}`, t.prompt);
    }
  }
});

test('the same seed gives the same data; files do not depend on each other’s size', () => {
  assert.deepEqual(makeDefaultData(cfg), data);
  const bigger = makeDefaultData({ ...cfg, sft: 500, eval: 70 });
  assert.deepEqual(bigger.rankings, data.rankings);
  assert.deepEqual(bigger.stories, data.stories);
  assert.notDeepEqual(makeDefaultData({ ...cfg, seed: 99 }).sft, data.sft);
});

test('every record is valid in its format; each file holds the configured count of each kind, interleaved', () => {
  const files: [DatasetFormat, unknown[]][] = [
    ['text', data.stories], ['text', data.storiesVal], ['messages', data.sft], ['messages', data.sftVal], ['ranking', data.rankings], ['ranking', data.rankingsVal],
    ['preference', data.preference], ['prompt', data.prompts], ['prompt', data.dev], ['prompt', data.eval],
  ];
  for (const [format, records] of files) {
    const v = formatValidator(format);
    for (const r of records) assert.ok('value' in v(r), `${format}: ${JSON.stringify(v(r))}`);
  }
  assert.equal(data.stories.length, 300);
  for (const r of data.rankings) assert.equal(r.responses.length, DEFAULT_DATA.k);
  const kinds = (rs: { gold: { kind: string } }[]): number => rs.filter((r) => r.gold.kind === 'continuation').length;
  assert.deepEqual([kinds(data.prompts), kinds(data.dev), kinds(data.eval)], [80, 40, 60]);
  assert.equal(data.eval.length, 120);
  // Any prefix holds both kinds in proportion (the pipeline reads the first N).
  assert.equal(kinds(data.eval.slice(0, 20)), 10);
  assert.equal(data.sft.filter((c) => / named /.test(text(c.messages))).length, 100);
  // floor((j + 1) · 3 / 7) > floor(j · 3 / 7) at j = 2, 4, 6.
  assert.deepEqual(Array.from({ length: 7 }, (_, j) => isContinuationAt(j, 3, 7)), [false, false, true, false, true, false, true]);
});

test('the defaults give the held-out eval 400 prompts of each kind and the training side thousands', () => {
  assert.ok(DEFAULT_DATA.eval >= 400);
  assert.ok(DEFAULT_DATA.prompts >= 2000 && DEFAULT_DATA.rankings >= 2000);
  assert.ok(DEFAULT_DATA.dev > 0);
});

/** The canonical key of a question, read back from its text: an instruction's operands or words in
 * sorted order; a story's hero, companion and home. */
function questionKey(prompt: string): string {
  const names = new Set(ALL_NAMES);
  const home = /lived in ([^.]+?)\./.exec(prompt);
  if (home) {
    const found = (prompt.match(/[A-Z][a-z]+/g) ?? []).filter((w) => names.has(w));
    const [hero, pal] = [found[0], found.find((w) => w !== found[0])];
    const kind = new RegExp(`(\\w+)(?: named|,) ${pal}\\b`).exec(prompt)![1];
    return `story:${hero}|${kind}:${pal}|${home[1]}`;
  }
  const nums = prompt.match(/\d+/g);
  if (/(\+|plus|add|sum)/i.test(prompt) && nums) return `add:${nums.map(Number).sort((a, b) => a - b).join(':')}`;
  if (/(\*|times|multiply|product)/i.test(prompt) && nums) return `multiply:${nums.map(Number).sort((a, b) => a - b).join(':')}`;
  const ws = /[:?]\s+([a-z ]+)$/.exec(prompt);
  if (ws && !/Facts|facts/.test(prompt)) return `words:${ws[1].split(' ').sort().join(' ')}`;
  return prompt; // subtraction, conversions and lookups: the question itself
}

test('no question crosses sides: held-out and dev questions are absent from training in any order', () => {
  const keys = (prompts: string[]): Set<string> => new Set(prompts.map(questionKey));
  const train = keys([
    ...data.stories.map((s) => s.text), ...data.sft.map((c) => text(c.messages)), ...data.rankings.map((r) => text(r.prompt)), ...data.prompts.map((p) => text(p.prompt)),
  ]);
  const dev = keys([...data.storiesVal.map((s) => s.text), ...data.sftVal.map((c) => text(c.messages)), ...data.dev.map((p) => text(p.prompt))]);
  const held = keys([...data.eval.map((p) => text(p.prompt)), ...data.rankingsVal.map((r) => text(r.prompt))]);
  const shared = (a: Set<string>, b: Set<string>): string[] => [...a].filter((k) => b.has(k));
  assert.ok([...held].filter((k) => k.startsWith('story:')).length > 50 && [...held].filter((k) => k.startsWith('add:')).length > 2);
  assert.deepEqual(shared(held, train), []);
  assert.deepEqual(shared(held, dev), []);
  assert.deepEqual(shared(dev, train), []);
  // The held-out rankings are held out by question from the rankings the reward model trains on.
  assert.deepEqual(shared(keys(data.rankingsVal.map((r) => text(r.prompt))), keys(data.rankings.map((r) => text(r.prompt)))), []);
  // The split itself: a fixed share of keys per side.
  const sides = Array.from({ length: 4000 }, (_, i) => sideOf(`add:${i}`, cfg));
  assert.ok(Math.abs(sides.filter((s) => s === 'eval').length / 4000 - cfg.heldOutShare) < 0.02);
  assert.ok(Math.abs(sides.filter((s) => s === 'dev').length / 4000 - cfg.devShare) < 0.015);
});

test('rankings carry ties where the labeler scores equally; preferences are best vs worst', () => {
  assert.ok(data.rankings.some((r) => r.ties?.length), 'some rankings have ties');
  assert.equal(data.preference.length, data.rankings.length, 'no default ranking is a full tie');
  data.rankings.forEach((r, i) => {
    assert.equal(data.preference[i].chosen, r.responses[r.ranking[0]]);
    assert.equal(data.preference[i].rejected, r.responses[r.ranking[r.ranking.length - 1]]);
  });
});

test('continuation prompts: story openings, references from the story, mostly neutral and far below the maximum', () => {
  const conts = data.eval.filter((e) => e.gold.kind === 'continuation');
  for (const e of conts) {
    const names = e.gold.kind === 'continuation' ? e.gold.names ?? [] : [];
    assert.ok(names.length >= 2 && names.every((n) => text(e.prompt).includes(n)), JSON.stringify(e.gold));
  }
  const scores = conts.map((e) => goldScore(e.gold, e.reference));
  assert.ok(scores.every((s) => s >= -1), 'every reference is a fault-free continuation');
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  assert.ok(Math.abs(mean) < 0.2, `mean reference score ${mean}`);
  assert.ok(scores.filter((s) => s === 0).length / scores.length > 0.4, 'mostly neutral');
  assert.ok(scores.filter((s) => s === goldMax(conts[0].gold)).length / scores.length < 0.1, 'rarely at the maximum');
  // SFT demonstrations of the task are the stories' own next beats, as mostly neutral.
  const demos = data.sft.filter((c) => / named /.test(text(c.messages))).map((c) => (c.messages as Message[]).at(-1)!.content);
  const demoMean = demos.map((d) => goldScore({ kind: 'continuation' }, d)).reduce((a, b) => a + b, 0) / demos.length;
  assert.ok(Math.abs(demoMean) < 0.2, `mean SFT demonstration score ${demoMean}`);
});
