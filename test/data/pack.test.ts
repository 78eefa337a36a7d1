import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { packDocuments, type EncoderSpec } from '../../src/data/pack.js';
import { ShardReader } from '../../src/data/shards.js';

const spec: EncoderSpec = { module: new URL('./byte-encoder.js', import.meta.url).href, exportName: 'makeByteEncoder', args: [] };
const docs = Array.from({ length: 300 }, (_, i) => ({ id: String(i), text: `document ${i}: ${'é'.repeat(i % 7)}` }));

async function packAll(workers: number): Promise<number[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'pack-'));
  const r = await packDocuments(docs, spec, { prefix: join(dir, 'train'), vocabSize: 257, eosId: 256, shardTokens: 2000, workers, batchDocs: 16 });
  assert.equal(r.documents, 300);
  const out: number[][] = [];
  for (const s of r.shards) {
    const reader = new ShardReader(s.path);
    for (let i = 0; i < reader.numDocs; i++) out.push([...reader.document(i)]);
    reader.close();
  }
  assert.ok(r.shards.length > 1, 'several shards');
  assert.equal(r.tokens + r.documents, r.shards.reduce((a, s) => a + s.header.numTokens, 0));
  return out;
}

test('workers pack the same tokens in the same order as the calling thread', async () => {
  const inline = await packAll(0);
  assert.deepEqual(inline[5], [...new TextEncoder().encode(docs[5].text), 256]);
  assert.deepEqual(await packAll(3), inline);
});

test('a missing encoder export is reported', async () => {
  const bad = { ...spec, exportName: 'nope' };
  await assert.rejects(packDocuments(docs.slice(0, 2), bad, { prefix: join(mkdtempSync(join(tmpdir(), 'pack-')), 'x'), vocabSize: 257, eosId: 256, shardTokens: 100, workers: 0 }), /no function export "nope"/);
});
