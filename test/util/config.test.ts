import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, check, flagsToObject, resolveConfig } from '../../src/util/config.js';
import { writeJsonAtomic } from '../../src/util/fs.js';

const DEFAULTS = { lr: 1e-3, steps: 100, name: 'run', cosine: true, model: { layers: 4, dim: 256 }, stop: [1, 2] };

test('defaults ← YAML file ← flags, with types kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'lr: 3.0e-4\nmodel:\n  layers: 6\n');
  const c = resolveConfig(DEFAULTS, { file, flags: flagsToObject({ 'model.dim': '384', cosine: 'false', stop: '5,6' }) });
  assert.deepEqual(c, { lr: 3e-4, steps: 100, name: 'run', cosine: false, model: { layers: 6, dim: 384 }, stop: [5, 6] });
  assert.deepEqual(DEFAULTS.model, { layers: 4, dim: 256 }, 'defaults untouched');
});

test('unknown keys, wrong types and failed rules are rejected with the key path', () => {
  assert.throws(() => resolveConfig(DEFAULTS, { flags: { stpes: 5 } }), /unknown key "stpes"/);
  assert.throws(() => resolveConfig(DEFAULTS, { flags: { model: { layrs: 1 } } }), /unknown key "model.layrs"/);
  assert.throws(() => resolveConfig(DEFAULTS, { flags: { lr: 'fast' } }), /"lr" must be a number/);
  assert.throws(() => resolveConfig(DEFAULTS, { validate: (c) => check([[c.steps > 1000, `steps must exceed 1000, got ${c.steps}`]]) }),
    (e: unknown) => e instanceof ConfigError && /got 100/.test((e as Error).message));
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  writeFileSync(join(dir, 'bad.json'), '{"lr": ');
  assert.throws(() => resolveConfig(DEFAULTS, { file: join(dir, 'bad.json') }), /bad\.json:1:8: not valid JSON: expected a value, found the end of the file/);
});

test('atomic JSON writes leave no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
  writeJsonAtomic(join(dir, 'sub', 'a.json'), { x: 1 });
  writeJsonAtomic(join(dir, 'sub', 'a.json'), { x: 2 });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'sub', 'a.json'), 'utf8')), { x: 2 });
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['a.json']);
});
