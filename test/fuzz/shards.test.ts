// Token shards under fuzzing: mutated copies of a small shard and of one whose header promises
// 10^15 documents either open and read every document, or fail naming the file, within the
// memory bound of docs/robustness.md (the index is checked against the file's size before it is
// read).
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ShardReader } from '../../src/data/shards.js';
import { Budget, cleanly, corpus, mutatedBytes, params, scratch } from './harness.js';

const SEEDS = ['small.bin', 'huge-doc-count.bin'].map((f) => corpus(`shards/${f}`));

test('fuzz: token shards open and read, or fail naming the file', () => {
  const tmp = scratch('shards');
  const path = join(tmp.dir, 's.bin');
  const budget = new Budget('token shards', 48, 500);
  try {
    const input = fc.oneof(...SEEDS.map((s) => mutatedBytes(s)), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)));
    fc.assert(fc.property(input, (bytes) => {
      writeFileSync(path, bytes);
      budget.time(() => cleanly(() => {
        const r = new ShardReader(path);
        try {
          let n = 0;
          for (let i = 0; i < r.numDocs; i++) n += r.document(i).length;
          return n;
        } finally {
          r.close();
        }
      }, [path], bytes));
    }), params(400));
    budget.check();
  } finally {
    tmp.done();
  }
});
