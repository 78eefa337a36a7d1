// Data parallelism under mpirun: two ranks reproduce one process on the same global batch and seed
// (losses within 1e-5 relative over 20 steps of pretraining and of SFT), with and without ZeRO-1;
// a 2-rank run resumed on 2 ranks (through the CLI) continues the uninterrupted one exactly, and a
// 2-rank ZeRO checkpoint resumes on 1 rank; a rank that throws or is killed ends the job with an
// error naming it, and the last checkpoint still resumes. Skipped, saying why, without Open MPI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listCheckpoints } from '../../src/train/checkpoint.js';
import { SFT_DEFAULTS, type PretrainConfig, type SftConfig } from '../../src/train/config.js';
import { readMetrics, type MetricsRecord } from '../../src/train/metrics.js';
import { pretrain } from '../../src/train/pretrain.js';
import { sft } from '../../src/train/sft.js';
import { mpiSkipReason, mpirun, output } from '../distributed/helpers.js';
import { failingRun, type WorkerRun } from './dp-worker.js';
import { byteShards, tinyChatModel, tinyPretrain, tmp, writeJsonlFile } from './helpers.js';

const WORKER = fileURLToPath(new URL('./dp-worker.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function runWorker(np: number, runs: WorkerRun[]): ReturnType<typeof mpirun> {
  const job = join(tmp('dp-job'), 'job.json');
  writeFileSync(job, JSON.stringify(runs));
  return mpirun(np, [WORKER, '--worker', job]);
}

const records = (dir: string): MetricsRecord[] => readMetrics(join(dir, 'metrics.jsonl')).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/S$|tokS/.test(k))) as MetricsRecord);

/** Every loss of b within 1e-5 relative of a's, record by record. */
function assertSameLosses(a: string, b: string, label: string): void {
  const ra = records(a), rb = records(b);
  assert.deepEqual(rb.map((r) => r.step), ra.map((r) => r.step), `${label}: the same records`);
  let losses = 0;
  ra.forEach((r, i) => {
    for (const k of ['loss', 'evalLoss'] as const) {
      if (r[k] === undefined) continue;
      const x = r[k] as number, y = rb[i][k] as number;
      assert.ok(Math.abs(x - y) <= 1e-5 * Math.abs(x), `${label}: step ${r.step} ${k} ${y} vs ${x}`);
      losses++;
    }
  });
  assert.ok(losses >= 20, `${label}: ${losses} losses compared`);
}

test('data parallelism on 2 ranks', async (t) => {
  const skip = mpiSkipReason();
  if (skip) return t.skip(skip);
  const shards = byteShards();
  const base = tinyChatModel();
  const root = tmp('dp');
  const convo = (q: string, a: string): unknown => ({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });
  const data = writeJsonlFile(join(root, 'sft.jsonl'), ['What is 2 + 3?|5', 'Reverse: cat dog|dog cat', 'Uppercase: sun|SUN', 'Sort: b a|a b', 'What is 4 + 4?|8', 'Reverse: a good day|day good a', 'the cat|sat on the mat']
    .map((s) => convo(...(s.split('|') as [string, string]))));
  const pre = (name: string, zero = 0): PretrainConfig => tinyPretrain(join(root, name), shards, { steps: 20, saveEvery: 10, evalEvery: 10, zero });
  // Conversations of different lengths, grouped by length, two micro-batches a step: padding, the
  // per-rank cut of it, and accumulation all count.
  const sftCfg = (name: string, zero = 0): SftConfig => ({
    ...structuredClone(SFT_DEFAULTS), out: join(root, name), model: base,
    data: { ...SFT_DEFAULTS.data, train: data, val: data, maxLen: 64 },
    train: { ...SFT_DEFAULTS.train, steps: 20, batchSize: 3, gradAccum: 2, lr: 1e-2, warmupSteps: 2, evalEvery: 10, saveEvery: 10, logEvery: 1, zero },
    accuracy: { file: '', limit: 0, maxNewTokens: 4 },
  });

  await t.test('2 ranks reproduce one process on pretraining and SFT, with and without ZeRO-1', async () => {
    await pretrain(pre('pretrain-1'), { quiet: true });
    await sft(sftCfg('sft-1'), { quiet: true });
    const r = runWorker(2, [
      { kind: 'pretrain', config: pre('pretrain-2') }, { kind: 'pretrain', config: pre('pretrain-2z', 1) },
      { kind: 'sft', config: sftCfg('sft-2') }, { kind: 'sft', config: sftCfg('sft-2z', 1) },
    ]);
    assert.equal(r.status, 0, output(r));
    for (const run of ['pretrain', 'sft']) {
      assertSameLosses(join(root, `${run}-1`), join(root, `${run}-2`), `${run} on 2 ranks`);
      assertSameLosses(join(root, `${run}-2`), join(root, `${run}-2z`), `${run} with ZeRO-1`);
    }
    const summary = JSON.parse(readFileSync(join(root, 'pretrain-2z', 'summary.json'), 'utf8')) as { ranks: number; optimizer: { momentBytes: number; unshardedMomentBytes: number } };
    assert.equal(summary.ranks, 2);
    assert.ok(Math.abs(summary.optimizer.momentBytes / summary.optimizer.unshardedMomentBytes - 0.5) < 0.01, 'ZeRO-1 halves the moments on 2 ranks');
  });

  await t.test('a 2-rank run resumed on 2 ranks continues exactly; its ZeRO checkpoint resumes on 1 rank', async () => {
    const whole = join(root, 'pretrain-2');
    const again = join(root, 'resumed-2');
    cpSync(whole, again, { recursive: true });
    // As if killed after the checkpoint of step 10; the copy records its own folder as `out`.
    const cut = (dir: string, config: PretrainConfig): void => {
      for (const c of listCheckpoints(dir).filter((c) => c.step > 10)) rmSync(c.dir, { recursive: true });
      for (const f of ['model', 'summary.json']) rmSync(join(dir, f), { recursive: true, force: true });
      writeFileSync(join(dir, 'train_config.json'), JSON.stringify(config));
    };
    cut(again, pre('resumed-2'));
    const config = join(root, 'resume.json');
    writeFileSync(config, JSON.stringify(pre('resumed-2')));
    const r = mpirun(2, [CLI, 'pretrain', '--config', config, '--resume']);
    assert.equal(r.status, 0, output(r));
    assert.equal(r.stdout.match(/resumed at 10/g)?.length, 1, `rank 0 alone prints the summary:\n${r.stdout}`);
    assert.deepEqual(records(again), records(whole), 'the resumed 2-rank run logs what the whole one logged');
    assert.ok(readFileSync(join(again, 'model', 'model.safetensors')).equals(readFileSync(join(whole, 'model', 'model.safetensors'))));

    const one = join(root, 'resumed-1');
    cpSync(join(root, 'pretrain-2z'), one, { recursive: true });
    cut(one, pre('resumed-1', 1));
    const s = await pretrain({ ...pre('resumed-1'), train: { ...pre('resumed-1').train, zero: 0 } }, { resume: true, quiet: true });
    assert.equal(s.resumedFrom, 10);
    assertSameLosses(join(root, 'pretrain-2z'), one, '1 rank from a 2-rank ZeRO checkpoint');
  });

  await t.test('a rank that throws or is killed ends the job naming it; the last checkpoint resumes', async () => {
    const failing = (name: string): PretrainConfig => tinyPretrain(join(root, name), shards, { steps: 10, saveEvery: 5, evalEvery: 0 });
    const thrown = runWorker(2, [{ kind: 'fail', config: failing('throw'), rank: 1, step: 7, how: 'throw' }]);
    assert.notEqual(thrown.status, 0, output(thrown));
    assert.equal(thrown.error, undefined, 'the job ended by itself');
    assert.match(thrown.stderr, /rank 1 of 2: error: rank 1 failed on purpose at step 7/);
    const killed = runWorker(2, [{ kind: 'fail', config: failing('kill'), rank: 1, step: 7, how: 'kill' }]);
    assert.notEqual(killed.status, 0, output(killed));
    assert.equal(killed.error, undefined, 'the job ended by itself');
    assert.match(killed.stdout + killed.stderr, /process rank 1 .*signal 9/);
    assert.deepEqual(listCheckpoints(join(root, 'kill')).map((c) => c.step), [5]);
    assert.equal(await failingRun(failing('kill'), -1, 0, 'throw', true), 5);
    assert.equal(records(join(root, 'kill')).filter((r) => r.loss !== undefined).length, 10);
  });
});
