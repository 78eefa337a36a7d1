// The optimisation loop of the offline methods (reward model, DPO): AdamW over the trainable
// parameters with warm-up and decay (train/config's LoopConfig), gradient accumulation, global-norm
// clipping, NaN/Inf stops, evaluation, atomic checkpoints with exact resumption (train/checkpoint),
// metrics.jsonl and a progress bar. The method supplies a pure loss over one batch; the loop owns
// the optimizer, the step, the dropout RNG, the data cursor and the checkpoints.
import { join } from 'node:path';
import { Rng } from '../../engine/rng.js';
import { Tensor } from '../../engine/tensor.js';
import { clipGradNorm, learningRate, type Module } from '../../nn/index.js';
import type { LoopConfig } from '../../train/config.js';
import { loadCheckpoint, saveCheckpoint, type TrainerState } from '../../train/checkpoint.js';
import { TrainingDiverged, due, openRun } from '../../train/loop.js';
import { MetricsLog } from '../../train/metrics.js';
import { Progress } from '../../util/progress.js';
import { shuffledStream } from './stream.js';

export interface StepOutput { loss: Tensor; metrics: Record<string, number> }

export interface OfflineRun<T> {
  label: string;
  runDir: string;
  /** The modules that train (switched to training mode for steps, eval mode for evaluation). */
  modules: Module[];
  trainable: Map<string, Tensor>;
  examples: readonly T[];
  /** The loss of one micro-batch (a mean over its examples); `rng` drives dropout. */
  loss(batch: T[], rng: Rng): StepOutput;
  /** Held-out figures, run every config.evalEvery steps and at the end. */
  evaluate?(): Record<string, number>;
  saveWeights(dir: string): void;
  loadWeights(dir: string): void;
  config: LoopConfig;
}

export interface OfflineResult {
  steps: number;
  seconds: number;
  /** Each training metric averaged over the last logging window. */
  train: Record<string, number>;
  eval: Record<string, number> | null;
  resumedFrom: number | null;
}

export function optimize<T>(run: OfflineRun<T>, { resume = false, quiet = false } = {}): OfflineResult {
  const cfg = run.config;
  const { latest, opt } = openRun(run.runDir, run.trainable, cfg, resume);
  const params = [...run.trainable.values()];
  let state: TrainerState | null = null;
  let rng = new Rng(cfg.seed ^ 0x5eed);
  if (latest && resume) {
    run.loadWeights(latest.dir);
    state = loadCheckpoint(latest.dir, run.trainable, opt);
    rng = new Rng(state.rng);
  }
  const stream = shuffledStream(run.examples, cfg.batchSize, cfg.seed, state?.data, run.label);
  const metrics = new MetricsLog(join(run.runDir, 'metrics.jsonl'), state ? state.step : null);
  const start = state?.step ?? 0;
  let lastCheckpoint = latest && resume ? latest.dir : null;
  const schedule = { kind: cfg.schedule, warmupSteps: cfg.warmupSteps, totalSteps: cfg.steps, minRatio: cfg.minLrRatio };
  const bar = quiet ? null : new Progress({ label: start ? `${run.label} (from step ${start})` : run.label, total: cfg.steps - start, unit: 'step' });
  const setMode = (on: boolean): void => { for (const m of run.modules) m.train(on); };
  const t0 = performance.now();
  let window: Record<string, number> = {}, windowN = 0, lastWindow: Record<string, number> = {};
  let lastEval: Record<string, number> | null = null;

  for (let step = start; step < cfg.steps; step++) {
    setMode(true);
    const lr = learningRate(step, cfg.lr, schedule);
    const sums: Record<string, number> = {};
    for (let m = 0; m < cfg.gradAccum; m++) {
      const { loss, metrics: mm } = run.loss(stream.next(), rng);
      // Each micro-batch's loss is a mean over its examples: scaling by 1/gradAccum makes the
      // step's gradient that of one batch gradAccum times larger.
      loss.backward(Tensor.scalar(1 / cfg.gradAccum));
      for (const [k, v] of Object.entries({ loss: loss.item(), ...mm })) sums[k] = (sums[k] ?? 0) + v / cfg.gradAccum;
    }
    if (!Number.isFinite(sums.loss)) throw new TrainingDiverged(step + 1, `the loss became ${sums.loss}`, lastCheckpoint);
    const gradNorm = clipGradNorm(params, cfg.maxGradNorm > 0 ? cfg.maxGradNorm : Infinity);
    if (!Number.isFinite(gradNorm)) throw new TrainingDiverged(step + 1, `the gradient norm became ${gradNorm}`, lastCheckpoint);
    opt.update(lr);
    for (const p of params) p.grad = null;
    for (const [k, v] of Object.entries(sums)) window[k] = (window[k] ?? 0) + v;
    windowN++;

    const done = step + 1;
    const elapsed = (performance.now() - t0) / 1000;
    if (done % cfg.logEvery === 0 || done === cfg.steps) {
      lastWindow = Object.fromEntries(Object.entries(window).map(([k, v]) => [k, v / windowN]));
      metrics.write({ step: done, lr, gradNorm, ...lastWindow });
      window = {};
      windowN = 0;
    }
    if (run.evaluate && due(cfg.evalEvery, done, cfg.steps)) {
      setMode(false);
      lastEval = run.evaluate();
      metrics.write({ step: done, ...Object.fromEntries(Object.entries(lastEval).map(([k, v]) => [`eval_${k}`, v])) });
    }
    if (due(cfg.saveEvery, done, cfg.steps)) {
      const st: TrainerState = { step: done, tokens: 0, rng: rng.state(), data: stream.state(), seconds: (state?.seconds ?? 0) + elapsed };
      lastCheckpoint = saveCheckpoint(run.runDir, st, run.trainable, opt, (dir) => run.saveWeights(dir), cfg.keepLast);
    }
    bar?.tick(1, { step: done, loss: sums.loss.toFixed(3), ...(lastEval ? Object.fromEntries(Object.entries(lastEval).slice(0, 1).map(([k, v]) => [k, v.toFixed(3)])) : {}) });
  }
  bar?.finish();
  setMode(false);
  if (start === cfg.steps && run.evaluate) lastEval = run.evaluate();
  return { steps: cfg.steps, seconds: (performance.now() - t0) / 1000, train: lastWindow, eval: lastEval, resumedFrom: state ? state.step : null };
}
