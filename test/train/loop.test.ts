// The loop: accumulation equals one large batch, NaN/Inf stops with the step and keeps the last
// good checkpoint, the learning-rate schedule, metrics records, checkpoints on disk; step methods
// with several updates per step, parameter sets, the per-update EMA, and exact resumption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/engine/rng.js';
import { Tensor } from '../../src/engine/tensor.js';
import { mul, sub, sum } from '../../src/engine/ops/index.js';
import { CausalLM, SafetensorsFile, loadWeights, modelConfig, writeSafetensors } from '../../src/models/index.js';
import { LOOP_DEFAULTS, type LoopConfig } from '../../src/train/config.js';
import { IGNORE, evaluate, trainLanguageModel, type LmBatch, type TrainRun } from '../../src/train/lm.js';
import { TrainingDiverged, train as runLoop, type StepMethod } from '../../src/train/loop.js';
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

const train = async (run: TrainRun): Promise<Awaited<ReturnType<typeof trainLanguageModel>>['result']> => (await trainLanguageModel(run, { quiet: true })).result;

test('gradient accumulation over micro-batches equals one batch of them all', async () => {
  const micro = rows(8, 8, 1);
  const big: LmBatch[] = [stack(micro.slice(0, 4)), stack(micro.slice(4, 8))];
  const small: LmBatch[] = micro.map((b) => b);
  const a = makeRun(tmp('acc-a'), { steps: 2, gradAccum: 1, batchSize: 4 }, big);
  const b = makeRun(tmp('acc-b'), { steps: 2, gradAccum: 4, batchSize: 1 }, small);
  await train(a);
  await train(b);
  const la = readMetrics(join(a.runDir, 'metrics.jsonl')), lb = readMetrics(join(b.runDir, 'metrics.jsonl'));
  for (let i = 0; i < 2; i++) assert.ok(Math.abs((la[i].loss as number) - (lb[i].loss as number)) < 1e-5, `step ${i + 1}: ${la[i].loss} vs ${lb[i].loss}`);
  const pa = a.model.namedParameters(), pb = b.model.namedParameters();
  let maxDiff = 0;
  for (const [name, p] of pa) for (let i = 0; i < p.size; i++) maxDiff = Math.max(maxDiff, Math.abs(p.data[i] - pb.get(name)!.data[i]));
  assert.ok(maxDiff < 1e-5, `weights differ by ${maxDiff}`);
});

test('a NaN loss stops the run with its step number and keeps the last good checkpoint', async () => {
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
  await assert.rejects(train(run), (e: unknown) => {
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

test('learning rate: linear warm-up, then cosine decay to the floor; metrics and eval records', async () => {
  const dir = tmp('lr');
  const run = makeRun(dir, { steps: 10, warmupSteps: 4, lr: 0.01, minLrRatio: 0.1, evalEvery: 5, logEvery: 1 }, rows(4, 8, 3));
  const r = await train(run);
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

test('keepLast prunes old checkpoints; half-written ones are ignored and cleaned up', async () => {
  const dir = tmp('keep');
  mkdirSync(join(dir, 'checkpoints', 'step-00000004.tmp-123'), { recursive: true });
  await train(makeRun(dir, { steps: 9, saveEvery: 2, keepLast: 3 }, rows(2, 8, 4)));
  assert.deepEqual(readdirSync(join(dir, 'checkpoints')).sort(), ['step-00000006', 'step-00000008', 'step-00000009']);
  assert.deepEqual(readdirSync(join(dir, 'checkpoints', 'step-00000009')).sort(),
    ['config.json', 'generation_config.json', 'manifest.json', 'model.safetensors', 'optimizer.safetensors', 'trainer_state.json']);
});

/** A step method on a toy objective, Σ (w − target)², with `updates` optimizer updates per step;
 * the target moves by a draw of the loop's RNG each step, and `position` counts the steps taken. */
function toyMethod(runDir: string, config: Partial<LoopConfig>, o: { updates?: number; failAt?: number; onUpdate?: () => void } = {}) {
  const w = Tensor.from([0.5, -1, 2]).requireGrad();
  const frozen = Tensor.from([1, 2]).requireGrad();
  let taken = 0;
  const method: StepMethod = {
    label: 'toy', runDir, modules: [],
    config: { ...LOOP_DEFAULTS, steps: 6, lr: 0.1, warmupSteps: 0, weightDecay: 0, maxGradNorm: 0, evalEvery: 0, saveEvery: 0, logEvery: 1, ...config },
    params: [{ params: new Map([['w', w]]) }, { params: new Map([['frozen', frozen]]), lrScale: 0, ema: false }],
    saveWeights: (dir) => writeSafetensors(join(dir, 'toy.safetensors'), [{ name: 'w', shape: w.shape, data: w.f }, { name: 'frozen', shape: frozen.shape, data: frozen.f }]),
    loadWeights: (dir) => {
      const f = new SafetensorsFile(join(dir, 'toy.safetensors'));
      w.f.set(f.readFloat('w'));
      frozen.f.set(f.readFloat('frozen'));
      f.close();
    },
    start: (position) => { taken = (position as number | undefined) ?? 0; },
    position: () => taken,
    step: (ctx) => {
      if (ctx.step === o.failAt) throw new Error('killed');
      const draw = ctx.rng.uniform();
      let loss = 0;
      for (let u = 0; u < (o.updates ?? 1); u++) {
        const l = sum(mul(sub(w, draw), sub(w, draw)));
        sum(mul(frozen, frozen)).backward();
        l.backward();
        loss = l.item();
        ctx.update({ loss });
        o.onUpdate?.();
      }
      taken++;
      return { metrics: { loss, draw, taken } };
    },
  };
  return { method, w, frozen };
}

test('a step method takes several updates per step; the EMA follows every update; a set with lrScale 0 stays put', async () => {
  const dir = tmp('toy-updates');
  const snapshots: Float32Array[] = [];
  const toy = toyMethod(dir, { steps: 3, schedule: 'constant', emaDecay: 0.5 }, { updates: 2, onUpdate: () => snapshots.push(toy.w.f.slice()) });
  const start = toy.w.f.slice();
  const r = await runLoop(toy.method, { quiet: true });
  assert.equal(snapshots.length, 6, 'two updates in each of three steps');
  // θ_ema ← d·θ_ema + (1 − d)·θ after each update, from the starting weights.
  const expected = start.slice();
  for (const s of snapshots) for (let i = 0; i < s.length; i++) expected[i] = 0.5 * expected[i] + 0.5 * s[i];
  assert.deepEqual(r.ema!.withAveraged(() => toy.w.f.slice()), expected);
  assert.deepEqual(toy.frozen.f, Float32Array.from([1, 2]), 'learning-rate scale 0: the gradient moved nothing');
  const ckpt = listCheckpoints(dir).at(-1)!;
  const opt = new SafetensorsFile(join(ckpt.dir, 'optimizer.safetensors'));
  assert.equal(opt.metadata.step, '6', 'AdamW took six steps');
  opt.close();
  assert.ok(existsSync(join(ckpt.dir, 'ema.safetensors')));
  const m = readMetrics(join(dir, 'metrics.jsonl'));
  assert.deepEqual(m.map((x) => x.step), [1, 2, 3]);
  for (const x of m) assert.ok(typeof x.gradNorm === 'number' && x.lr === 0.1 && typeof x.draw === 'number');
});

test('a step method killed after a checkpoint resumes exactly: its position, the RNG and the open log window', async () => {
  // Logs every 2 steps, saves every 3: the checkpoint of step 3 holds step 3's figures, unlogged.
  const config = { steps: 6, logEvery: 2, saveEvery: 3, keepLast: 5 };
  const whole = toyMethod(tmp('toy-whole'), config);
  await runLoop(whole.method, { quiet: true });
  const dir = tmp('toy-killed');
  await assert.rejects(runLoop(toyMethod(dir, config, { failAt: 4 }).method, { quiet: true }), /killed/);
  const resumed = toyMethod(dir, config);
  const r = await runLoop(resumed.method, { quiet: true, resume: true });
  assert.equal(r.resumedFrom, 3);
  assert.deepEqual(readMetrics(join(dir, 'metrics.jsonl')), readMetrics(join(whole.method.runDir, 'metrics.jsonl')));
  assert.deepEqual(resumed.w.f, whole.w.f);
  assert.equal(resumed.method.position(), 6);
});

test('a non-finite loss passed to ctx.update stops the step method, naming it', async () => {
  const toy = toyMethod(tmp('toy-nan'), { steps: 4, saveEvery: 1 });
  const step = toy.method.step;
  toy.method.step = (ctx) => {
    if (ctx.step === 2) return ctx.update({ 'policy loss': NaN }) as never;
    return step(ctx);
  };
  await assert.rejects(runLoop(toy.method, { quiet: true }), (e: unknown) => {
    assert.ok(e instanceof TrainingDiverged);
    assert.match(e.message, /the policy loss became NaN at step 3.*step-00000002/);
    return true;
  });
});
