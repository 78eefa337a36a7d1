import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TokenLoader } from '../../src/data/loader.js';
import { NO_EOS, ShardWriter } from '../../src/data/shards.js';

// Two shards whose tokens are their own positions in the concatenation (0 … 99, 100 … 160), so a
// window says where it came from.
const dir = mkdtempSync(join(tmpdir(), 'loader-'));
const paths = [join(dir, 'a.bin'), join(dir, 'b.bin')];
{
  const a = new ShardWriter(paths[0], 1000, NO_EOS);
  a.addDocument(Array.from({ length: 100 }, (_, i) => i));
  a.close();
  const b = new ShardWriter(paths[1], 1000, NO_EOS);
  b.addDocument(Array.from({ length: 61 }, (_, i) => 100 + i));
  b.close();
}
const cfg = { seqLen: 10, batchSize: 3, seed: 7 };

test('windows of T+1 tokens at stride T, y is x shifted by one, every window once per epoch', () => {
  const loader = TokenLoader.open(paths, cfg);
  assert.equal(loader.numWindows, 9 + 6); // floor(99/10) + floor(60/10)
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { x, y } = loader.next();
    for (let b = 0; b < 3; b++) {
      const row = x.subarray(b * 10, b * 10 + 10);
      for (let t = 0; t < 10; t++) {
        assert.equal(row[t], row[0] + t, 'contiguous, within one shard');
        assert.equal(y[b * 10 + t], row[t] + 1);
      }
      starts.push(row[0]);
    }
  }
  assert.deepEqual(starts.slice().sort((p, q) => p - q), [0, 10, 20, 30, 40, 50, 60, 70, 80, 100, 110, 120, 130, 140, 150]);
  assert.notDeepEqual(starts, starts.slice().sort((p, q) => p - q), 'shuffled');
  assert.equal(loader.state().epoch, 0);
  const next = loader.next();
  assert.equal(next.epoch, 1);
  loader.close();
});

test('resuming from a saved state gives exactly the batches that would have come next', () => {
  const a = TokenLoader.open(paths, cfg);
  for (let i = 0; i < 7; i++) a.next(); // into the second epoch
  const saved = JSON.parse(JSON.stringify(a.state()));
  const expected = [a.next(), a.next(), a.next()];
  a.close();
  const b = TokenLoader.open(paths, cfg, saved);
  for (const e of expected) assert.deepEqual(b.next(), e);
  b.close();
});

test('the seed fixes the order; a different seed or changed data is refused on resume', () => {
  const first = (seed: number): number[] => {
    const l = TokenLoader.open(paths, { ...cfg, seed });
    const x = [...l.next().x];
    l.close();
    return x;
  };
  assert.deepEqual(first(7), first(7));
  assert.notDeepEqual(first(7), first(8));
  const l = TokenLoader.open(paths, cfg);
  const s = l.state();
  l.close();
  assert.throws(() => TokenLoader.open(paths, { ...cfg, seed: 8 }, s), /saved state has seed=7 but the loader was opened with seed=8/);
  assert.throws(() => TokenLoader.open([paths[0]], cfg, s), /shards of \[100,61\] tokens, these have \[100\]/);
});
