// Config flags of the training commands: any config key as --section.key, a bare boolean key,
// comma lists, a --config file under the flags, and errors naming the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigCommand } from '../../src/cli/config-args.js';
import { SFT_DEFAULTS, validateSft } from '../../src/train/config.js';
import { tmp } from './helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const spec = { name: 'rlhf sft', summary: '', usage: '', flags: { config: { type: 'string' as const, help: '' }, resume: { type: 'boolean' as const, help: '' } } };

test('config keys as flags: numbers, bare booleans, comma lists, file under flags', () => {
  const dir = tmp('cli');
  const file = join(dir, 'sft.yaml');
  writeFileSync(file, 'model: base/\ndata:\n  train: a.jsonl\ntrain:\n  lr: 1.0e-4\n  steps: 7\n');
  const r = parseConfigCommand(spec, SFT_DEFAULTS, ['--config', file, '--train.steps', '9', '--lora.enabled', '--lora.targets', 'q_proj,o_proj', '--resume', '--train.lr=5e-4'], validateSft)!;
  assert.equal(r.config.train.steps, 9, 'flags override the file');
  assert.equal(r.config.train.lr, 5e-4);
  assert.equal(r.config.model, 'base/');
  assert.equal(r.config.lora.enabled, true);
  assert.deepEqual(r.config.lora.targets, ['q_proj', 'o_proj']);
  assert.equal(r.flags.resume, true);
  assert.equal(SFT_DEFAULTS.lora.enabled, false, 'defaults untouched');
});

test('bad keys and values stop the command with the key path', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'sft', '--model', 'm', '--data.train', 'd.jsonl', ...args], { encoding: 'utf8' });
  assert.match(run('--train.stpes', '3').stderr, /unknown key "train\.stpes" \(known: steps, batchSize/);
  assert.match(run('--train.lr', 'fast').stderr, /"train\.lr" must be a number/);
  assert.match(run('--lora.enabled', '--lora.rank', '0').stderr, /lora\.rank must be a positive integer, got 0/);
  assert.match(run('--train.schedule', 'step').stderr, /train\.schedule must be cosine \| linear \| constant/);
  const h = spawnSync(process.execPath, [CLI, 'sft', '--help'], { encoding: 'utf8' });
  assert.match(h.stdout, /--lora\.targets +\["q_proj","v_proj"\]/);
});
