import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { detectFormat, iterateDataset, loadDataset, type RankingRecord } from '../../src/data/formats.js';
import { DataError } from '../../src/data/jsonl.js';

const FIX = 'test/fixtures/data';

test('malformed lines are reported as file:line with what is wrong, and skipped on request', async () => {
  const file = join(FIX, 'mixed-errors.jsonl');
  const { format, records, errors } = await loadDataset(file, 'messages', { onError: 'skip' });
  assert.equal(format, 'messages');
  assert.equal(records.length, 2);
  // JSON.parse's own wording differs between Node versions: only its prefix is checked.
  assert.match(errors[1].message, new RegExp(`^${file}:4: invalid JSON \\(`));
  errors[1] = new DataError(file, 4, 'invalid JSON');
  assert.deepEqual(errors.map((e) => e.message), [
    `${file}:2: messages[1].role must be one of system, user, assistant, got "bot" (format messages)`,
    `${file}:4: invalid JSON`,
    `${file}:5: messages must not be empty (format messages)`,
    `${file}:6: messages[0].content must be a string, got 42 (format messages)`,
    `${file}:7: expected a JSON object, got [1,2,3]`,
    `${file}:9: messages[1]: a system message may only come first (format messages)`,
  ]);
});

test('by default the first bad line is fatal', async () => {
  const file = join(FIX, 'mixed-errors.jsonl');
  await assert.rejects(loadDataset(file, 'messages'), (e: unknown) => e instanceof DataError && e.line === 2 && e.file === file);
});

test('rankings must be permutations of the responses, best first', async () => {
  const file = join(FIX, 'rankings.jsonl');
  const { format, records, errors } = await loadDataset(file, 'auto', { onError: 'skip' });
  assert.equal(format, 'ranking');
  assert.deepEqual(records.map((r) => (r as RankingRecord).ranking), [[0, 2, 1], [0, 1]]);
  assert.deepEqual(errors.map((e) => e.message), [
    `${file}:2: ranking must list each of 0…1 once (best first), got [0,0] (format ranking)`,
    `${file}:3: responses must be a list of at least 2, got ["9"] (format ranking)`,
  ]);
});

test('every format: a valid example line loads, keys announce the format, extra fields survive', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmt-'));
  const examples = {
    text: { text: 'Once upon a time.' },
    messages: { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }] },
    completion: { prompt: 'What is 2 + 3?', completion: '5' },
    preference: { prompt: [{ role: 'user', content: 'What is 2 + 3?' }], chosen: [{ role: 'assistant', content: '5' }], rejected: [{ role: 'assistant', content: '6' }] },
    unpaired: { prompt: [{ role: 'user', content: 'What is 2 + 3?' }], completion: [{ role: 'assistant', content: '6' }], label: false },
    ranking: { prompt: 'What is 2 + 3?', responses: ['6', '5'], ranking: [1, 0] },
    prompt: { prompt: 'Continue: The harbour was quiet', gold: { kind: 'continuation' } },
  } as const;
  for (const [fmt, rec] of Object.entries(examples)) {
    assert.equal(detectFormat(rec as Record<string, unknown>), fmt);
    const file = join(dir, `${fmt}.jsonl`);
    writeFileSync(file, JSON.stringify(rec) + '\n');
    const loaded = await loadDataset(file);
    assert.equal(loaded.format, fmt);
    assert.deepEqual(loaded.records, [rec]);
  }
  const streamed = [];
  for await (const r of iterateDataset(join(dir, 'completion.jsonl'), 'completion')) streamed.push(r.completion);
  assert.deepEqual(streamed, ['5']);
});

test('unpaired records need a boolean label', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'fmt-')), 'kto.jsonl');
  writeFileSync(file, JSON.stringify({ prompt: 'Hi', completion: 'Hello.', label: 'yes' }) + '\n');
  await assert.rejects(loadDataset(file), /kto\.jsonl:1: label must be true \(desirable\) or false \(undesirable\), got "yes" \(format unpaired\)/);
});

test('a file of the wrong format fails on its first line', async () => {
  await assert.rejects(loadDataset(join(FIX, 'rankings.jsonl'), 'messages'), /rankings\.jsonl:1: messages must be a list/);
});
