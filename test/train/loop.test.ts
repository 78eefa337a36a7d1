// The loop: accumulation equals one large batch, NaN/Inf stops with the step and keeps the last
// good checkpoint, the learning-rate schedule, metrics records, checkpoints on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/engine/rng.js';
import { CausalLM, loadWeights, modelConfig } from '../../src/models/index.js';
import { LOOP_DEFAULTS, type LoopConfig } from '../../src/train/config.js';
import { IGNORE, TrainingDiverged, evaluate, train, type LmBatch, type TrainRun } from '../../src/train/loop.js';
import { listCheckpoints } from '../../src/train/checkpoint.js';
import { readMetrics } from '../../src/train/metrics.js';
import { tmp } from './helpers.js';

const V = 50;
const cfgModel = modelConfig({ vocabSize: V, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 48, maxPositions: 32 });

/** Batches of rows drawn from a seeded RNG, with a ragged prompt part masked out. */
function rows(n: number, T: number, seed: number): LmBatch[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const ids = Int32Array.from({ length: T }, () => rng.int(V));
    const targets = Int32Array.from({ length: T }, (_, t) => (t < 1 + rng.int(3) ? IGNORE : rng.int(V)));
    return { ids, targets, mask: null, B: 1, T };
  });
}

function stack(bs: LmBatch[]): LmBatch {
  const T = bs[0].T;
  const ids = new Int32Array(bs.length * T), targets = new Int32Array(bs.length * T);
  bs.forEach((b, i) => { ids.set(b.ids, i * T); targets.set(b.targets, i * T); });
  return { ids, targets, mask: null, B: bs.length, T };
}

function makeRun(runDir: string, config: Partial<LoopConfig>, batches: LmBatch[], model = new CausalLM(cfgModel, { seed: 3 })): TrainRun {
  return {
    label: 'test', runDir, model, trainable: model.namedParameters(),
    openStream: (state) => {
      let i = (state as number | undefined) ?? 0;
      return { next: () => batches[i++ % batches.length], state: () => i };
    },
    evalBatches: rows(2, 8, 99),
    saveWeights: (dir) => model.save(dir),
    loadWeights: (dir) => loadWeights(model, dir),
    config: { ...LOOP_DEFAULTS, logEvery: 1, evalEvery: 0, saveEvery: 0, warmupSteps: 0, ...config },
  };
}

test('gradient accumulation over micro-batches equals one batch of them all', () => {
  const micro = rows(8, 8, 1);
  const big: LmBatch[] = [stack(micro.slice(0, 4)), stack(micro.slice(4, 8))];
  const small: LmBatch[] = micro.map((b) => b);
  const a = makeRun(tmp('acc-a'), { steps: 2, gradAccum: 1, batchSize: 4 }, big);
  const b = makeRun(tmp('acc-b'), { steps: 2, gradAccum: 4, batchSize: 1 }, small);
  train(a, { quiet: true });
  train(b, { quiet: true });
  const la = readMetrics(join(a.runDir, 'metrics.jsonl')), lb = readMetrics(join(b.runDir, 'metrics.jsonl'));
  for (let i = 0; i < 2; i++) assert.ok(Math.abs((la[i].loss as number) - (lb[i].loss as number)) < 1e-5, `step ${i + 1}: ${la[i].loss} vs ${lb[i].loss}`);
  const pa = a.model.namedParameters(), pb = b.model.namedParameters();
  let maxDiff = 0;
  for (const [name, p] of pa) for (let i = 0; i < p.size; i++) maxDiff = Math.max(maxDiff, Math.abs(p.data[i] - pb.get(name)!.data[i]));
  assert.ok(maxDiff < 1e-5, `weights differ by ${maxDiff}`);
});

test('a NaN loss stops the run with its step number and keeps the last good checkpoint', () => {
  const dir = tmp('nan');
  const batches = rows(4, 8, 2);
  const run = makeRun(dir, { steps: 20, saveEvery: 3, keepLast: 2 }, batches);
  const stream = run.openStream;
  let calls = 0;
  run.openStream = (s) => {
    const inner = stream(s);
    return {
      ...inner,
      next: () => {
        // Poison a weight when the 8th step's batch is drawn.
        if (++calls === 8) run.model.model.norm.weight.data[0] = NaN;
        return inner.next();
      },
    };
  };
  assert.throws(() => train(run, { quiet: true }), (e: unknown) => {
    assert.ok(e instanceof TrainingDiverged);
    assert.equal(e.step, 8);
    assert.match(e.message, /loss became NaN at step 8.*step-00000006/);
    return true;
  });
  assert.deepEqual(listCheckpoints(dir).map((c) => c.step), [3, 6]);
  const saved = new CausalLM(cfgModel);
  loadWeights(saved, listCheckpoints(dir)[1].dir);
  assert.ok(saved.parameters().every((p) => p.f.every(Number.isFinite)), 'the kept checkpoint is finite');
  assert.equal(readMetrics(join(dir, 'metrics.jsonl')).at(-1)!.step, 7, 'no record for the diverged step');
});

test('learning rate: linear warm-up, then cosine decay to the floor; metrics and eval records', () => {
  const dir = tmp('lr');
  const run = makeRun(dir, { steps: 10, warmupSteps: 4, lr: 0.01, minLrRatio: 0.1, evalEvery: 5, logEvery: 1 }, rows(4, 8, 3));
  const r = train(run, { quiet: true });
  const m = readMetrics(join(dir, 'metrics.jsonl'));
  const lrs = m.filter((x) => 'lr' in x).map((x) => x.lr as number);
  assert.deepEqual(lrs.slice(0, 4).map((x) => +x.toFixed(6)), [0.0025, 0.005, 0.0075, 0.01]);
  for (let i = 4; i < 9; i++) assert.ok(lrs[i + 1] < lrs[i], 'decays after warm-up');
  assert.ok(Math.abs(lrs[9] - 0.01 * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 5 / 6)))) < 1e-9);
  const evals = m.filter((x) => 'evalLoss' in x);
  assert.deepEqual(evals.map((x) => x.step), [5, 10]);
  assert.ok(Math.abs((evals[1].evalPpl as number) - Math.exp(evals[1].evalLoss as number)) < 1e-9);
  assert.deepEqual(r.eval, evaluate(run.model, run.evalBatches));
  assert.equal(r.steps, 10);
  assert.ok(existsSync(join(dir, 'checkpoints', 'step-00000010', 'optimizer.safetensors')), 'a checkpoint at the end');
});

test('keepLast prunes old checkpoints; half-written ones are ignored and cleaned up', () => {
  const dir = tmp('keep');
  mkdirSync(join(dir, 'checkpoints', 'step-00000004.tmp-123'), { recursive: true });
  train(makeRun(dir, { steps: 9, saveEvery: 2, keepLast: 3 }, rows(2, 8, 4)), { quiet: true });
  assert.deepEqual(readdirSync(join(dir, 'checkpoints')).sort(), ['step-00000006', 'step-00000008', 'step-00000009']);
  assert.deepEqual(readdirSync(join(dir, 'checkpoints', 'step-00000009')).sort(),
    ['config.json', 'generation_config.json', 'manifest.json', 'model.safetensors', 'optimizer.safetensors', 'trainer_state.json']);
});
