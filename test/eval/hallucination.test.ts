// The hallucination suite's parts on hand-made cases: item construction (what each kind shows and
// hides), grading, abstention detection, the SelfCheck score, BM25 retrieval against hand-computed
// scores, the factuality reward, abstention demonstrations and the suite file's round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/engine/rng.js';
import { abstentionConversations, mixAbstention } from '../../src/eval/hallucination/abstention.js';
import { ABSTENTION, abstains, gradeResponse, HALLU_KINDS, makeItem, makeSuite, makeWorld, rephrase, type HalluItem } from '../../src/eval/hallucination/facts.js';
import { augmentedPrompt, FactStore } from '../../src/eval/hallucination/retrieval.js';
import { factualityReward, promptRecord, score } from '../../src/eval/hallucination/reward.js';
import { loadSuite, writeSuite } from '../../src/eval/hallucination/suite-file.js';
import { normalizeAnswer, selfcheckScore } from '../../src/eval/hallucination/suite.js';
import { tmp } from '../train/helpers.js';

const near = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('each kind shows or hides what it should', () => {
  const rng = new Rng(3);
  const world = makeWorld(rng, 40);
  assert.equal(new Set(world.map((c) => c.name)).size, 40);
  for (let i = 0; i < 50; i++) {
    const a = makeItem(rng, world, 'answerable');
    assert.ok(a.answer && a.prompt.includes(`${a.entity} is ${a.attribute === 'animal' ? 'the ' : ''}${a.answer}.`), a.prompt);
    const e = makeItem(rng, world, 'unanswerable_entity');
    assert.ok(!e.prompt.split('\n').slice(0, -1).join(' ').includes(e.entity) && e.answer === null, e.prompt);
    const u = makeItem(rng, world, 'unanswerable_attribute');
    const facts = u.prompt.replace(u.question, '');
    assert.ok(u.answer === null && facts.includes(u.entity) && !facts.includes(u.attribute === 'capital' ? 'capital' : u.attribute === 'animal' ? 'animal' : 'flag'), u.prompt);
    const f = makeItem(rng, world, 'false_premise');
    assert.ok(f.premise && f.premise !== f.answer && f.question.includes(f.premise) && f.prompt.includes(f.answer!), f.prompt);
    const c = makeItem(rng, world, 'closed_book');
    assert.equal(c.prompt, c.question);
    // Rephrasing keeps the facts and the question, in another order and frame.
    const r = rephrase(rng, a);
    assert.ok(r.endsWith(a.question) && a.facts!.every((f) => r.includes(f)), r);
    assert.equal(rephrase(rng, c), c.prompt);
  }
  const s = makeSuite(9, { answerable: 3, unanswerable_entity: 2, unanswerable_attribute: 1, false_premise: 1, closed_book: 2 }, 10);
  assert.deepEqual(s.items.map((i) => i.kind), ['answerable', 'answerable', 'answerable', 'unanswerable_entity', 'unanswerable_entity', 'unanswerable_attribute', 'false_premise', 'closed_book', 'closed_book']);
  assert.equal(s.facts.length, 30);
  assert.deepEqual(makeSuite(9).items, makeSuite(9).items, 'seeded');
  assert.notDeepEqual(makeSuite(9).items, makeSuite(10).items, 'fresh facts each seed');
});

const item = (kind: HalluItem['kind'], answer: string | null, premise?: string): HalluItem => ({ kind, prompt: '', question: '', entity: 'Zorvi', attribute: 'color', answer, premise, reference: '' });

test('grading: correct, abstained, hallucinated', () => {
  const a = item('answerable', 'teal');
  assert.equal(gradeResponse(a, 'teal'), 'correct');
  assert.equal(gradeResponse(a, 'The flag of Zorvi is Teal.'), 'correct');
  assert.equal(gradeResponse(a, 'tealish'), 'hallucinated', 'whole words only');
  assert.equal(gradeResponse(a, 'red'), 'hallucinated');
  assert.equal(gradeResponse(a, 'The facts do not say.'), 'abstained');
  const u = item('unanswerable_entity', null);
  assert.equal(gradeResponse(u, ABSTENTION), 'abstained');
  assert.equal(gradeResponse(u, "I don't know."), 'abstained');
  assert.equal(gradeResponse(u, 'blue'), 'hallucinated');
  const f = item('false_premise', 'teal', 'gold');
  assert.equal(gradeResponse(f, 'The flag of Zorvi is teal, not gold.'), 'correct');
  assert.equal(gradeResponse(f, 'It is not gold.'), 'correct');
  assert.equal(gradeResponse(f, 'Because gold is the colour of the sun.'), 'hallucinated');
  assert.equal(gradeResponse(f, 'gold'), 'hallucinated');
  assert.equal(gradeResponse(f, 'The facts do not say.'), 'abstained');
  assert.equal(gradeResponse(item('closed_book', 'teal'), 'red'), 'hallucinated');
});

test('abstention phrases', () => {
  for (const s of ['The facts do not say.', 'Unknown.', 'It is not given.', "I can't tell from this.", 'There is no information about it.', 'I do not know']) assert.ok(abstains(s), s);
  for (const s of ['Red.', 'The capital is Melka.', 'Now I know: red', 'It is known as red.']) assert.ok(!abstains(s), s);
});

test('SelfCheck score: the share of samples disagreeing with the main answer', () => {
  assert.equal(normalizeAnswer(' The  Teal. '), 'the teal');
  assert.equal(normalizeAnswer('Unknown'), normalizeAnswer('The facts do not say.'));
  near(selfcheckScore('teal', ['Teal.', 'teal', 'red', 'gold']), 0.5);
  near(selfcheckScore('The facts do not say.', ['unknown', 'not given']), 0);
  near(selfcheckScore('teal', []), 0);
});

test('BM25 scores by hand (MiniSearch: distinct-term lengths, matched-term factor)', () => {
  // Documents "a b c", "a a d", "e f": N = 3, distinct-term lengths 3, 2, 2, mean 7/3.
  // idf(t) = ln(1 + (N − n + ½)/(n + ½)): idf(a) = ln 1.6, idf(d) = ln(8/3).
  // score(a b c) = idf(a)·2.2/(1 + 1.2(0.25 + 0.75·3/(7/3))) = 0.420817
  // score(a a d) = 2 matched terms × [idf(a)·2·2.2/(2 + K) + idf(d)·2.2/(1 + K)], K = 1.2(0.25 + 0.75·2/(7/3))
  const s = new FactStore(['a b c', 'a a d', 'e f']);
  const hits = s.search('a d', 3);
  const K = 1.2 * (0.25 + (0.75 * 2) / (7 / 3));
  assert.deepEqual(hits.map((h) => h.id), [1, 0]);
  near(hits[0].score, 2 * (Math.log(1.6) * 4.4 / (2 + K) + Math.log(8 / 3) * 2.2 / (1 + K)), 1e-9);
  near(hits[1].score, Math.log(1.6) * 2.2 / (1 + 1.2 * (0.25 + (0.75 * 3) / (7 / 3))), 1e-9);
  const suite = makeSuite(4);
  const store = new FactStore(suite.facts);
  const closed = suite.items.filter((i) => i.kind === 'closed_book');
  const found = closed.filter((i) => augmentedPrompt(store, i.question, 2).hits.some((h) => h.text.includes(i.answer!))).length;
  assert.ok(found >= 0.95 * closed.length, `recall ${found}/${closed.length}`);
  assert.match(augmentedPrompt(store, closed[0].question, 2).prompt, /^Facts: .+\nQuestion: /);
});

test('factuality reward: +1 supported or abstained where it should, 0 over-cautious, −1 hallucinated', () => {
  const label = (kind: HalluItem['kind'], answer: string | null, premise?: string) => ({ kind, question: 'q', entity: 'Zorvi', attribute: 'color' as const, answer, ...(premise ? { premise } : {}) });
  assert.equal(factualityReward(label('answerable', 'teal'), 'teal'), 1);
  assert.equal(factualityReward(label('answerable', 'teal'), 'The facts do not say.'), 0);
  assert.equal(factualityReward(label('answerable', 'teal'), 'red'), -1);
  assert.equal(factualityReward(label('unanswerable_attribute', null), 'The facts do not say.'), 1);
  assert.equal(factualityReward(label('unanswerable_attribute', null), 'red'), -1);
  assert.equal(factualityReward(label('false_premise', 'teal', 'gold'), 'It is teal, not gold.'), 1);
  assert.equal(factualityReward(label('false_premise', 'teal', 'gold'), 'The facts do not say.'), 0);
  assert.equal(factualityReward(label('closed_book', 'teal'), 'Unknown.'), 1);
  const rec = promptRecord(makeSuite(2).items[0]);
  assert.equal(score(rec.prompt, rec.reference, rec), 1, 'the reference earns the top reward');
  assert.throws(() => score('p', 'r', {}), /no "hallucination" label/);
});

test('abstention demonstrations replace conversations one for one', () => {
  const demos = abstentionConversations(1, 50);
  assert.equal(demos.length, 50);
  for (const d of demos) assert.ok(d.messages[1].content === ABSTENTION || / not /.test(d.messages[1].content), d.messages[1].content);
  const dir = tmp('abst');
  const sft = join(dir, 'sft.jsonl');
  writeFileSync(sft, Array.from({ length: 20 }, (_, i) => JSON.stringify({ messages: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: 'a' }] })).join('\n') + '\n');
  assert.equal(mixAbstention(sft, join(dir, 'mixed.jsonl'), 5, 3), 20);
  const mixed = readFileSync(join(dir, 'mixed.jsonl'), 'utf8').trim().split('\n');
  assert.equal(mixed.filter((l) => l.includes('"q')).length, 15);
  assert.throws(() => mixAbstention(sft, join(dir, 'x.jsonl'), 21, 3), /fewer than the 21/);
});

test('suite files round-trip; bad lines name file and line', () => {
  const dir = tmp('suite');
  const suite = makeSuite(5, { answerable: 2, unanswerable_entity: 1, unanswerable_attribute: 1, false_premise: 1, closed_book: 2 }, 8);
  writeSuite(dir, suite);
  const back = loadSuite(join(dir, 'prompts.jsonl'), 0);
  assert.deepEqual(back.items, suite.items);
  assert.deepEqual(back.facts, suite.facts);
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, readFileSync(join(dir, 'prompts.jsonl'), 'utf8').replace('"kind":"answerable"', '"kind":"answerabel"'));
  assert.throws(() => loadSuite(bad, 0), new RegExp(`bad\\.jsonl:1: hallucination\\.kind must be one of ${HALLU_KINDS.join(', ')}`));
  assert.throws(() => loadSuite('nonsense', 0), /neither a suite name/);
});
