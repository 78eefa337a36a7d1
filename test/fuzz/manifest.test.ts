// Checkpoint manifests under fuzzing: mutated manifests (and random text) either parse into
// entries that stay inside the checkpoint folder, or fail naming the file; verifyCheckpoint never
// throws, it says what is wrong. The seed naming "../../outside" must be refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseManifest, verifyCheckpoint } from '../../src/util/checkpoint-manifest.js';
import { Budget, cleanly, corpus, mutatedBytes, mutatedJson, params, scratch } from './harness.js';

test('the seed manifests: the real one verifies, the escaping one is refused', () => {
  const tmp = scratch('manifest-seed');
  try {
    const dir = join(tmp.dir, 'step-00000005');
    mkdirSync(dir);
    writeFileSync(join(dir, 'trainer_state.json'), '{"step": 5}\n');
    copyFileSync('test/fixtures/fuzz/safetensors/small.safetensors', join(dir, 'model.safetensors'));
    copyFileSync('test/fixtures/fuzz/manifest/manifest.json', join(dir, 'manifest.json'));
    assert.equal(verifyCheckpoint(dir), null);
    copyFileSync('test/fixtures/fuzz/manifest/escape.json', join(dir, 'manifest.json'));
    assert.match(verifyCheckpoint(dir)!, /"\.\.\/\.\.\/outside" leaves the checkpoint folder/);
  } finally {
    tmp.done();
  }
});

test('fuzz: manifests parse to names inside the folder, or fail naming the file; verification never throws', () => {
  const tmp = scratch('manifest');
  const dir = join(tmp.dir, 'ck');
  mkdirSync(dir);
  writeFileSync(join(dir, 'trainer_state.json'), '{"step": 5}\n');
  copyFileSync('test/fixtures/fuzz/safetensors/small.safetensors', join(dir, 'model.safetensors'));
  const path = join(dir, 'manifest.json');
  const seed = corpus('manifest/manifest.json');
  const budget = new Budget('checkpoint manifest', 32, 500);
  try {
    const input = fc.oneof(mutatedJson(JSON.parse(seed.toString())).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')), mutatedBytes(seed), mutatedBytes(corpus('manifest/escape.json')));
    fc.assert(fc.property(input, (bytes) => {
      writeFileSync(path, bytes);
      const m = budget.time(() => cleanly(() => parseManifest(bytes.toString('utf8'), path), [path], bytes));
      for (const name of Object.keys(m?.files ?? {})) assert.ok(!name.split('/').includes('..') && !name.startsWith('/'), `${name} leaves the folder`);
      const problem = budget.time(() => verifyCheckpoint(dir));
      assert.ok(problem === null || typeof problem === 'string');
    }), params(300));
    budget.check();
  } finally {
    tmp.done();
  }
});
