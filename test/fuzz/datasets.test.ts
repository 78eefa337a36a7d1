// Dataset readers under fuzzing: mutated lines of every format's seed file, random bytes (invalid
// UTF-8 included) and the invalid-UTF-8 and empty files go through loadDataset in every
// format and through each stage's loader (SFT conversations, reward rankings, DPO pairs, policy
// prompts, gold prompts): records come back, or an error names file:line. Memory stays within the
// bound of docs/robustness.md: one line at a time, plus the records kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { DATASET_FORMATS, loadDataset, type DatasetFormat } from '../../src/data/formats.js';
import { loadTokenizer } from '../../src/tokenizer/index.js';
import { loadConversations } from '../../src/train/sft-data.js';
import { loadGoldPrompts } from '../../src/train/accuracy.js';
import { loadRankings } from '../../src/rlhf/reward/data.js';
import { loadPairs } from '../../src/rlhf/dpo/data.js';
import { loadPolicyPrompts } from '../../src/rlhf/core/prompts.js';
import { Budget, CORPUS, cleanlyAsync, corpus, mutatedBytes, mutatedJson, params, scratch } from './harness.js';

const tok = loadTokenizer(join(CORPUS, 'tokenizer'));
const SEEDS = DATASET_FORMATS.map((f) => corpus(`data/${f}.jsonl`));

/** A JSONL file of mutated records of one seed, or mutated bytes of any seed. */
const jsonl: fc.Arbitrary<Buffer> = fc.oneof(
  ...SEEDS.map((s) => {
    const records = s.toString().trim().split('\n').map((l) => JSON.parse(l) as unknown);
    return fc.array(fc.oneof(mutatedJson(records[0]), fc.constant(records[0]), fc.constantFrom('', '{', 'null', '[]', '"x"')), { minLength: 1, maxLength: 4 })
      .map((ls) => Buffer.from(ls.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n'));
  }),
  ...[...SEEDS, corpus('data/invalid-utf8.jsonl'), corpus('data/empty.jsonl')].map((s) => mutatedBytes(s)),
  fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b)),
);

const READERS: [string, (file: string) => Promise<unknown>][] = [
  ...(['auto', ...DATASET_FORMATS] as (DatasetFormat | 'auto')[]).flatMap((f): [string, (file: string) => Promise<unknown>][] => [
    [`loadDataset ${f}`, (file) => loadDataset(file, f as 'auto')],
    [`loadDataset ${f} (skip bad lines, replace invalid UTF-8)`, (file) => loadDataset(file, f as 'auto', { onError: 'skip', invalidUtf8: 'replace' })],
  ]),
  ['SFT conversations', (file) => loadConversations(file)],
  ['reward rankings', (file) => loadRankings(file, tok, 64)],
  ['DPO pairs', (file) => loadPairs(file, tok, 64)],
  ['policy prompts', (file) => loadPolicyPrompts(file, tok, 64)],
  ['gold prompts', (file) => loadGoldPrompts(file)],
];

test('the seed files: invalid UTF-8 is an error naming file:line:column, or counted when allowed', async () => {
  const file = join(CORPUS, 'data', 'invalid-utf8.jsonl');
  await assert.rejects(loadDataset(file), /invalid-utf8\.jsonl:2:47: invalid UTF-8 \(byte 0xe9\).*--allow-invalid-utf8/);
  const warned: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => warned.push(m);
  try {
    const ds = await loadDataset(file, 'messages', { invalidUtf8: 'replace' });
    assert.equal(ds.records[1].messages[0].content, 'caf\uFFFD');
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warned, [`warning: ${file}: invalid UTF-8 on 1 line (2) read as U+FFFD`]);
  await assert.rejects(loadDataset(join(CORPUS, 'data', 'empty.jsonl')), /empty\.jsonl: no valid records/);
});

test('fuzz: every dataset reader returns records or names file:line', async () => {
  const tmp = scratch('datasets');
  const file = join(tmp.dir, 'data.jsonl');
  const budget = new Budget('dataset readers', 64, 1000);
  const warn = console.warn;
  console.warn = () => {};
  try {
    await fc.assert(fc.asyncProperty(jsonl, fc.nat({ max: READERS.length - 1 }), async (bytes, r) => {
      writeFileSync(file, bytes);
      await budget.timeAsync(() => cleanlyAsync(() => READERS[r][1](file), [file], { reader: READERS[r][0], text: bytes.toString('latin1') }));
    }), params(400));
  } finally {
    console.warn = warn;
    tmp.done();
  }
  budget.check();
});
