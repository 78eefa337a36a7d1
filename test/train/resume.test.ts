// Exact resumption: a pretraining run killed with SIGKILL part-way and resumed with --resume logs
// the same losses, bit for bit, as a run that was never interrupted; so does SFT with LoRA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LORA_DEFAULTS, SFT_DEFAULTS } from '../../src/train/config.js';
import { readMetrics } from '../../src/train/metrics.js';
import { sft } from '../../src/train/sft.js';
import { assertExactResume, byteShards, tinyChatModel, tinyPretrain, tmp, writeJsonlFile } from './helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function lastStep(metrics: string): number {
  if (!existsSync(metrics)) return 0;
  const lines = readFileSync(metrics, 'utf8').split('\n').filter((l) => l.endsWith('}'));
  return lines.length ? (JSON.parse(lines[lines.length - 1]) as { step: number }).step : 0;
}

test('a run killed with SIGKILL and resumed logs the same losses as an uninterrupted run', async () => {
  const shards = byteShards();
  const run = (name: string): { dir: string; config: string } => {
    const dir = join(tmp('resume'), name);
    const config = join(tmp('cfg'), 'config.json');
    // Wide enough that a step takes milliseconds, so the kill lands mid-run.
    const c = tinyPretrain(dir, shards, { steps: 120, saveEvery: 10, evalEvery: 40 });
    c.model = { ...c.model, hiddenSize: 64, intermediateSize: 128 };
    c.data.seqLen = 48;
    writeFileSync(config, JSON.stringify(c));
    return { dir, config };
  };

  const whole = run('whole');
  const r = spawnSync(process.execPath, [CLI, 'pretrain', '--config', whole.config, '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);

  const killed = run('killed');
  const child = spawn(process.execPath, [CLI, 'pretrain', '--config', killed.config, '--quiet'], { stdio: 'ignore' });
  const metrics = join(killed.dir, 'metrics.jsonl');
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  while (lastStep(metrics) < 45 && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 2));
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', 'the run finished before it could be killed');
  const stoppedAt = lastStep(metrics);
  assert.ok(stoppedAt < 120, `killed at step ${stoppedAt}`);

  const resumed = spawnSync(process.execPath, [CLI, 'pretrain', '--config', killed.config, '--quiet', '--resume'], { encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, /resumed at (\d+)/);
  const from = Number(/resumed at (\d+)/.exec(resumed.stdout)![1]);
  assert.ok(from > 0 && from <= stoppedAt, `resumed at ${from}, killed after ${stoppedAt}`);

  const a = readMetrics(join(whole.dir, 'metrics.jsonl'));
  const b = readMetrics(metrics);
  assert.deepEqual(b.map((m) => m.step), a.map((m) => m.step), 'one record per step, as if never interrupted');
  const losses = (ms: typeof a): unknown[] => ms.map((m) => m.loss ?? m.evalLoss);
  assert.deepEqual(losses(b), losses(a));
  assert.deepEqual(readFileSync(join(killed.dir, 'model', 'model.safetensors')), readFileSync(join(whole.dir, 'model', 'model.safetensors')));
  assert.deepEqual(readdirSync(join(killed.dir, 'checkpoints')), ['step-00000110', 'step-00000120'], 'keepLast checkpoints, no partial ones');
});

test('--resume refuses a different config, and a fresh run refuses a folder with checkpoints', () => {
  const shards = byteShards();
  const dir = tmp('refuse');
  const config = join(dir, 'c.json');
  writeFileSync(config, JSON.stringify(tinyPretrain(join(dir, 'run'), shards, { steps: 5 })));
  assert.equal(spawnSync(process.execPath, [CLI, 'pretrain', '--config', config, '--quiet']).status, 0);
  const again = spawnSync(process.execPath, [CLI, 'pretrain', '--config', config, '--quiet'], { encoding: 'utf8' });
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already holds checkpoints.*--resume/);
  const changed = spawnSync(process.execPath, [CLI, 'pretrain', '--config', config, '--quiet', '--resume', '--train.lr', '0.1'], { encoding: 'utf8' });
  assert.notEqual(changed.status, 0);
  assert.match(changed.stderr, /different config \(train\.lr\)/);
  const longer = spawnSync(process.execPath, [CLI, 'pretrain', '--config', config, '--quiet', '--resume', '--train.steps', '8'], { encoding: 'utf8' });
  assert.equal(longer.status, 0, longer.stderr);
  assert.match(longer.stdout, /8 \(resumed at 5\)/);
});

test('SFT with LoRA (adapter dropout, EMA) resumed after a checkpoint repeats the whole run exactly', async () => {
  const base = tinyChatModel();
  const dir = tmp('sft-resume');
  const convo = (q: string, a: string): unknown => ({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });
  const data = writeJsonlFile(join(dir, 'sft.jsonl'), [convo('What is 2 + 3?', '5'), convo('Reverse: cat dog', 'dog cat'), convo('Uppercase: sun', 'SUN')]);
  const out = join(dir, 'run');
  await assertExactResume(out, 4, ['adapter/adapter_model.safetensors', 'adapter_ema/adapter_model.safetensors', 'model/model.safetensors'], (resume) => sft({
    ...structuredClone(SFT_DEFAULTS), out, model: base,
    data: { ...SFT_DEFAULTS.data, train: data, val: data, maxLen: 64 },
    train: { ...SFT_DEFAULTS.train, steps: 8, batchSize: 2, gradAccum: 2, lr: 1e-2, warmupSteps: 2, evalEvery: 3, saveEvery: 4, logEvery: 3, emaDecay: 0.9 },
    lora: { ...LORA_DEFAULTS, enabled: true, dropout: 0.1 },
    accuracy: { file: '', limit: 0, maxNewTokens: 4 },
  }, { resume, quiet: true }));
});
