// `rlhf eval` end to end on tiny random models: every part runs and reports its flat keys, the
// suite written by --suiteOut is judged by the factuality reward as a reward-function plug-in, the
// contaminated item is listed, and evaluateModel() (the library call the report card makes) agrees
// with the command. Also: a local model directory as the self-instruct teacher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evalConfig, evaluateModel } from '../../src/eval/evaluate.js';
import { makeSuite } from '../../src/eval/hallucination/facts.js';
import { SELF_INSTRUCT_DEFAULTS } from '../../src/selfinstruct/config.js';
import { selfInstruct } from '../../src/selfinstruct/loop.js';
import { LocalTeacher } from '../../src/selfinstruct/teacher.js';
import { tmp } from '../train/helpers.js';
import { tinyChatModel } from './tiny-model.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const REWARD_FN = fileURLToPath(new URL('../../examples/reward-fns/factuality.js', import.meta.url));
const SIZES = ['--suiteSizes.answerable', '4', '--suiteSizes.unanswerable_entity', '2', '--suiteSizes.unanswerable_attribute', '2', '--suiteSizes.false_premise', '2', '--suiteSizes.closed_book', '3'];

test('rlhf eval: perplexity, exact match, win rate, suite, contamination, JSON and Markdown', () => {
  const dir = tmp('eval');
  const model = tinyChatModel(1, join(dir, 'model')), baseline = tinyChatModel(2, join(dir, 'baseline'));
  const prompts = join(dir, 'prompts.jsonl');
  writeFileSync(prompts, [
    { prompt: 'What is 2 + 3?', gold: { kind: 'instruction', task: 'add', answer: '5' } },
    { prompt: [{ role: 'user', content: 'What is 4 + 4?' }], gold: { kind: 'instruction', task: 'add', answer: '8' } },
    { prompt: 'Continue: the sea', gold: { kind: 'continuation' } },
  ].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const text = join(dir, 'text.txt');
  writeFileSync(text, 'The capital of Zorvi is Melka. The flag of Tarsin is teal.\n\nWrite a short poem about the sea. '.repeat(20));
  // A training file holding one suite prompt verbatim: that item must be reported.
  const suitePrompt = makeSuite(20240607, { answerable: 4, unanswerable_entity: 2, unanswerable_attribute: 2, false_premise: 2, closed_book: 3 }).items[0].prompt;
  const train = join(dir, 'train.jsonl');
  writeFileSync(train, JSON.stringify({ messages: [{ role: 'user', content: suitePrompt }, { role: 'assistant', content: 'x' }] }) + '\n{"text": "nothing shared here"}\n');
  const json = join(dir, 'eval.json'), md = join(dir, 'eval.md'), suiteDir = join(dir, 'suite');
  const r = spawnSync(process.execPath, [CLI, 'eval', '--model', model, '--baseline', baseline, '--prompts', prompts, '--text', text, '--train', train,
    '--suite', 'hallucination', ...SIZES, '--suiteOut', suiteDir, '--hallucination.selfcheckSamples', '2', '--maxNewTokens', '4', '--perplexity.window', '32',
    '--bootstrap.resamples', '200', '--json', json, '--markdown', md, '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const flat = JSON.parse(readFileSync(json, 'utf8')) as Record<string, number | null>;
  for (const k of ['perplexity', 'exact_match', 'exact_match_add', 'win_rate', 'win_rate_ci_low', 'win_rate_ci_high', 'decisive_win_rate', 'score_diff', 'score_diff_ci_low',
    'hallucination_rate', 'abstention_rate', 'exact_match_answerable', 'hallucination_rate_closed_book', 'hallucination_rate_closed_book_retrieval', 'retrieval_recall', 'logprob_auroc', 'contaminated']) {
    assert.ok(k in flat, k);
  }
  assert.ok(flat.perplexity! > 1 && flat.perplexity! < 400, `perplexity ${flat.perplexity} of a random 330-token model`);
  assert.ok(flat.win_rate_ci_low! <= flat.win_rate! && flat.win_rate! <= flat.win_rate_ci_high!);
  assert.equal(flat.contaminated, 1);
  assert.equal(flat.hallucination_items, 13);
  const report = readFileSync(md, 'utf8');
  assert.match(report, /## Perplexity[\s\S]*## Exact match[\s\S]*## Win rate[\s\S]*## Hallucination[\s\S]*## Contamination/);
  assert.ok(report.includes(suitePrompt.split('\n')[0].slice(0, 40)), 'the contaminated item is listed');

  // The written suite as prompts, judged by the factuality reward plug-in.
  const fn = spawnSync(process.execPath, [CLI, 'eval', '--model', model, '--baseline', baseline, '--prompts', join(suiteDir, 'prompts.jsonl'), '--judge', `fn:${REWARD_FN}`,
    '--maxNewTokens', '4', '--bootstrap.resamples', '100', '--json', json, '--quiet'], { encoding: 'utf8' });
  assert.equal(fn.status, 0, fn.stderr);
  assert.match(fn.stdout, /Judge: reward function/);
  const bad = spawnSync(process.execPath, [CLI, 'eval', '--model', model, '--quiet'], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /nothing to evaluate/);
});

test('evaluateModel: the library call returns the same flat figures', async () => {
  const model = tinyChatModel(3);
  const cfg = evalConfig({ model, suite: 'hallucination', suiteSizes: { answerable: 3, unanswerable_entity: 1, unanswerable_attribute: 1, false_premise: 1, closed_book: 2 }, maxNewTokens: 3, hallucination: { selfcheckSamples: 0 } });
  const a = await evaluateModel(cfg), b = await evaluateModel(cfg);
  assert.deepEqual(a.flat, b.flat, 'deterministic');
  assert.equal(a.flat.selfcheck_auroc, null, 'no samples, no detector');
  assert.ok(typeof a.flat.hallucination_rate === 'number');
  assert.throws(() => evalConfig({ modle: 'x' }), /unknown key "modle"/);
});

test('a local model folder as the self-instruct teacher', async () => {
  const model = tinyChatModel(4);
  const teacher = await LocalTeacher.load(model, 'completion', 4);
  const replies = await teacher.complete([
    { prompt: 'Come up with a series of tasks:\n1. Write a poem.\n2.', maxTokens: 6, temperature: 1, topP: 1, stop: ['\n\n'], seed: 1 },
    { prompt: 'Task: x', maxTokens: 3, temperature: 0, topP: 1, stop: [], seed: 2 },
  ]);
  assert.equal(replies.length, 2);
  for (const r of replies) assert.ok(typeof r.text === 'string' && !r.text.includes('\n\n'));
  const out = join(tmp('si-local'), 'run');
  const r = await selfInstruct({ ...structuredClone(SELF_INSTRUCT_DEFAULTS), out, teacher: model, count: 2, maxRounds: 2, requestsPerRound: 2, generation: { maxTokens: 16, temperature: 1, topP: 1 }, instances: { maxTokens: 8, temperature: 0, topP: 1 } }, teacher, { quiet: true });
  assert.ok(r.rounds >= 1 && r.rounds <= 2, `${r.rounds} rounds`);
  assert.ok(r.stats.generated >= 0 && r.stats.teacher.requests >= 4);
});
