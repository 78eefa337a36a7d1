import assert from 'node:assert/strict';
import { mkdtempSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NO_EOS, SHARD_HEADER_BYTES, ShardReader, ShardSetWriter, ShardWriter, bytesPerTokenFor } from '../../src/data/shards.js';

const dir = mkdtempSync(join(tmpdir(), 'shards-'));

test('uint16 when the vocabulary fits, else uint32', () => {
  assert.equal(bytesPerTokenFor(8192), 2);
  assert.equal(bytesPerTokenFor(65536), 2);
  assert.equal(bytesPerTokenFor(65537), 4);
});

test('round trip: header, index, documents with end tokens, byte size', () => {
  for (const vocab of [300, 100_000]) {
    const path = join(dir, `rt-${vocab}.bin`);
    const w = new ShardWriter(path, vocab, vocab - 1, 4); // tiny buffer: flushes mid-document
    const docs = [[1, 2, 3], [], [vocab - 2, 0, 7, 7, 9]];
    for (const d of docs) w.addDocument(d);
    const header = w.close();
    assert.deepEqual(header, { bytesPerToken: vocab > 65536 ? 4 : 2, vocabSize: vocab, eosId: vocab - 1, numTokens: 11, numDocs: 3 });
    assert.equal(statSync(path).size, SHARD_HEADER_BYTES + 11 * header.bytesPerToken + 4 * 8);
    const r = new ShardReader(path);
    assert.deepEqual(r.header, header);
    assert.deepEqual([...r.offsets], [0, 4, 5, 11]);
    docs.forEach((d, i) => assert.deepEqual([...r.document(i)], [...d, vocab - 1]));
    assert.deepEqual([...r.read(2, 4)], [3, vocab - 1, vocab - 1, vocab - 2]);
    assert.throws(() => r.read(8, 4), /outside \[0, 11\)/);
    r.close();
  }
});

test('bad tokens and damaged files are refused with what is wrong', () => {
  const w = new ShardWriter(join(dir, 'bad.bin'), 10);
  assert.throws(() => w.addDocument([1, 10]), /token 10 at position 1 of document 0 is outside the vocabulary of 10/);
  w.close();
  const notShard = join(dir, 'text.bin');
  writeFileSync(notShard, 'hello, this is not a shard at all, just some text padding it out to 64 bytes....');
  assert.throws(() => new ShardReader(notShard), /not a token shard/);
  const cut = join(dir, 'cut.bin');
  const cw = new ShardWriter(cut, 50, NO_EOS);
  cw.addDocument([1, 2, 3, 4]);
  cw.close();
  truncateSync(cut, statSync(cut).size - 4);
  assert.throws(() => new ShardReader(cut), /truncated/);
});

test('a shard set rolls over at the token limit without splitting documents', () => {
  const set = new ShardSetWriter(join(dir, 'set'), 100, 99, 10);
  for (const len of [4, 4, 4, 12, 1]) set.addDocument(Array(len).fill(1));
  const shards = set.close();
  // With an end token each: 5+5 | 5 | 13 (alone, over the limit) | 2
  assert.deepEqual(shards.map((s) => s.header.numTokens), [10, 5, 13, 2]);
  assert.deepEqual(shards.map((s) => s.path.slice(-14)), ['set-00000.bin', 'set-00001.bin', 'set-00002.bin', 'set-00003.bin'].map((p) => '/' + p));
});
