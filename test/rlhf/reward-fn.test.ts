// Reward-function plug-ins: the example modules load and score; a missing file, a module that does
// not load, a missing export, a throw and a non-finite score each stop with the module's path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldScore } from '../../src/data/default/labelers.js';
import { callRewardFn, loadRewardFn } from '../../src/rlhf/reward/plugin.js';

const example = (name: string): string => fileURLToPath(new URL(`../../examples/reward-fns/${name}`, import.meta.url));

function moduleFile(source: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rlhf-reward-fn-')), 'fn.mjs');
  writeFileSync(file, source);
  return file;
}

test('the gold-labeler example scores by the prompt record\'s gold field', async () => {
  const fn = await loadRewardFn(example('gold.js'));
  const add = { kind: 'instruction' as const, task: 'add' as const, answer: '12' };
  const cont = { kind: 'continuation' as const };
  const scores = await callRewardFn(fn, [
    { prompt: 'What is 5 + 7?', response: '12', record: { prompt: 'What is 5 + 7?', gold: add } },
    { prompt: 'What is 5 + 7?', response: 'thirteen', record: { prompt: 'What is 5 + 7?', gold: add } },
    { prompt: 'The day was', response: 'bright and happy.', record: { prompt: 'The day was', gold: cont } },
  ]);
  assert.ok(Math.abs(scores[0] - goldScore(add, '12')) < 1e-6 && scores[0] > 3.9);
  assert.ok(scores[1] < scores[0]);
  assert.ok(Math.abs(scores[2] - goldScore(cont, 'bright and happy.')) < 1e-6);
  await assert.rejects(callRewardFn(fn, [{ prompt: 'x', response: 'y', record: { prompt: 'x' } }]), /gold\.js: score\(\) threw on response 1 .*no gold field/);
});

test('the async length example peaks at its target word count', async () => {
  const fn = await loadRewardFn(example('length.js'));
  const words = (n: number): string => Array(n).fill('word').join(' ');
  const s = await callRewardFn(fn, [0, 6, 12, 18].map((n) => ({ prompt: '', response: words(n), record: {} })));
  assert.deepEqual([...s], [0, 0.5, 1, 0.5]);
});

test('plug-in errors name the module and what is wrong', async () => {
  await assert.rejects(loadRewardFn('no/such/reward.js'), /reward function no\/such\/reward\.js: no such file/);
  await assert.rejects(loadRewardFn(moduleFile('export const x = ;')), /fn\.mjs: the module failed to load/);
  await assert.rejects(loadRewardFn(moduleFile('export const x = 1; export function judge() { return 1; }')), /fn\.mjs: exports no function score\(prompt, response, record\) \(its exports: judge, x\)/);
  const nan = await loadRewardFn(moduleFile('export function score(p, r) { return r === "bad" ? NaN : 1; }'));
  await assert.rejects(callRewardFn(nan, [{ prompt: 'p', response: 'ok', record: {} }, { prompt: 'p', response: 'bad', record: {} }]), /fn\.mjs: score\(\) must return a finite number, got NaN for response 2/);
  const text = await loadRewardFn(moduleFile('export async function score() { return "1"; }'));
  await assert.rejects(callRewardFn(text, [{ prompt: 'p', response: 'r', record: {} }]), /must return a finite number, got "1"/);
});

test('the answer checker pays exact, correct-in-a-longer-answer, and graded credit for a near miss', async () => {
  const { checkerSource } = await import('../../src/rlhf/reward/source.js');
  const { fromTiktoken } = await import('../../src/tokenizer/index.js');
  const tok = fromTiktoken('gpt2');
  const gold = { kind: 'instruction' as const, task: 'add' as const, answer: '20' };
  const prompt = { ids: [1], messages: [{ role: 'user' as const, content: 'Add 12 and 8.' }], text: 'Add 12 and 8.', gold };
  const responses = ['20', 'The answer is 20.', '15', 'no idea'].map((t) => tok.encode(t));
  const prompts = responses.map(() => prompt);
  // exact 1 (+ correct 0.5, since an exact answer is also correct); 0.5 for the right number in a
  // sentence; 15 is |15 − 20| / 20 = 0.25 off → graded 0.4 × 0.75; no number → 0.
  assert.deepEqual([...await checkerSource(tok, { exact: 1, correct: 0.5, graded: 0.4 }).score(prompts, responses)].map((x) => Number(x.toFixed(6))), [1.5, 0.5, 0.3, 0]);
  assert.deepEqual([...await checkerSource(tok, { exact: 1, correct: 0, graded: 0 }).score(prompts, responses)], [1, 0, 0, 0]);
});
