// GGUF read back under fuzzing: mutated copies of a tiny exported model (and of its truncated
// copy) either parse into a header whose tensors lie inside the file, or fail naming the file;
// counts and lengths are checked against the bytes left before anything is allocated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { readGgufHeader } from '../../src/models/index.js';
import { Budget, cleanly, corpus, mutatedBytes, params, scratch } from './harness.js';

const SEEDS = ['tiny.gguf', 'truncated.gguf'].map((f) => corpus(`gguf/${f}`));

test('the seed GGUF reads back: metadata, tokenizer and tensors', () => {
  const h = readGgufHeader('test/fixtures/fuzz/gguf/tiny.gguf');
  assert.equal(h.metadata.get('general.architecture'), 'llama');
  assert.equal((h.metadata.get('tokenizer.ggml.tokens') as string[]).length, 270);
  assert.equal(h.tensors.length, 12);
  assert.deepEqual(h.tensors.find((t) => t.name === 'token_embd.weight')!.shape, [270, 8]);
  assert.throws(() => readGgufHeader('test/fixtures/fuzz/gguf/truncated.gguf'), /truncated\.gguf: .*(left|past the end)/);
});

test('fuzz: GGUF headers parse, or fail naming the file', () => {
  const tmp = scratch('gguf');
  const path = join(tmp.dir, 'm.gguf');
  const budget = new Budget('GGUF header', 64, 1000);
  try {
    const input = fc.oneof(...SEEDS.map((s) => mutatedBytes(s, 4)), fc.uint8Array({ maxLength: 128 }).map((b) => Buffer.concat([Buffer.from('GGUF\x03\0\0\0'), b])));
    fc.assert(fc.property(input, (bytes) => {
      writeFileSync(path, bytes);
      const h = budget.time(() => cleanly(() => readGgufHeader(path), [path], bytes));
      for (const t of h?.tensors ?? []) assert.ok(h!.dataStart + t.offset + t.bytes <= bytes.length, `${t.name} lies outside the file`);
    }), params(300));
    budget.check();
  } finally {
    tmp.done();
  }
});
