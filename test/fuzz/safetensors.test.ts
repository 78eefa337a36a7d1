// safetensors under fuzzing: mutated copies of the seed files (a small BF16 file, a header lying
// about a 10^18-element tensor, a truncated file) and random bytes either open and read every
// tensor, or fail naming the file; memory stays within the bound of docs/robustness.md.
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { SafetensorsFile } from '../../src/models/index.js';
import { Budget, cleanly, corpus, mutatedBytes, params, scratch } from './harness.js';

const SEEDS = ['small.safetensors', 'lying-header.safetensors', 'truncated.safetensors'].map((f) => corpus(`safetensors/${f}`));

/** Opens the file and reads every tensor as its kind of number. */
function readAll(path: string): number {
  const f = new SafetensorsFile(path);
  try {
    let n = 0;
    for (const t of f.tensors.values()) n += ['F64', 'F32', 'F16', 'BF16'].includes(t.dtype) ? f.readFloat(t.name).length : f.readInts(t.name).length;
    return n;
  } finally {
    f.close();
  }
}

test('fuzz: safetensors files open and read, or fail naming the file', () => {
  const tmp = scratch('safetensors');
  const path = join(tmp.dir, 'm.safetensors');
  const budget = new Budget('safetensors', 48, 500);
  try {
    const input = fc.oneof(fc.oneof(...SEEDS.map((s) => mutatedBytes(s))), fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)));
    fc.assert(fc.property(input, (bytes) => {
      writeFileSync(path, bytes);
      budget.time(() => cleanly(() => readAll(path), [path], bytes));
    }), params(400));
    budget.check();
  } finally {
    tmp.done();
  }
});
