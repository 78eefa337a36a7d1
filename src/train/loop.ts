// The one training loop. Every trainer runs on it — pretraining, SFT (full or LoRA), the reward
// model, DPO, PPO, GRPO — and supplies only what its method owns: its data and its loss (a
// BatchMethod), or, for online methods that sample before they learn, a whole step (a StepMethod
// that rolls out, then calls ctx.update() once per minibatch). The loop owns the rest:
//   - AdamW over the trained parameters, with decay groups (norms, biases, embeddings undecayed)
//     and parameter sets with their own learning-rate scale (PPO's critic);
//   - the learning-rate schedule (warm-up, then cosine, linear or constant), one value per step;
//   - gradient accumulation (a BatchMethod's gradAccum micro-batches make one update);
//   - per-set global-norm clipping, and the NaN/Inf stop (TrainingDiverged) that names the step
//     and the last good checkpoint;
//   - an optional EMA of the trained weights, updated after every optimiser update;
//   - checkpoints every saveEvery steps, written atomically by checkpoint.ts, and exact resumption;
//   - metrics.jsonl (the mean of each metric over the logging window), evaluation every evalEvery
//     steps, and the progress bar.
//
// Exact resumption: a step's result depends only on the weights, the optimizer moments (and EMA),
// the step number (learning rate), the method's position (data cursors, PPO's β: its own JSON),
// the loop's RNG and the open logging window; a checkpoint stores all of them, so a resumed run
// repeats the uninterrupted run's records bit for bit.
//
// Data parallelism (under mpirun; docs/distributed.md): every rank runs this loop on the same
// method. Rank 0 reads the checkpoint and its weights reach every rank; each rank takes its share of
// every global micro-batch (a BatchMethod's `split`) or of its rollouts (a StepMethod's own
// sharding), the gradients are averaged in update() (data-parallel.ts, with ZeRO-1 if asked), the
// figures are averaged over ranks, and rank 0 alone writes metrics, checkpoints and progress. The
// data position and the RNG a checkpoint keeps are global, so a run resumes on any number of ranks.
import { join } from 'node:path';
import { kernels } from '../engine/backend.js';
import { Rng } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import { DecoderModel } from '../models/decoder.js';
import { Module } from '../nn/module.js';
import { broadcastJson, type Communicator } from '../distributed/communicator.js';
import { world } from '../distributed/world.js';
import { decayGroups, learningRate, type ParamGroup } from '../nn/index.js';
import { Progress } from '../util/progress.js';
import type { LoopConfig } from './config.js';
import { checkpointDir, latestCheckpoint, loadCheckpoint, removePartialCheckpoints, saveCheckpoint, type LogWindow, type TrainerState } from './checkpoint.js';
import { batchSteps } from './batch-steps.js';
import { acrossRanks, DataParallel, type OptimizerMemory } from './data-parallel.js';
import { Ema } from './ema.js';
import { MetricsLog } from './metrics.js';

/** An endless, seeded source of training batches whose position is a JSON value. */
export interface BatchStream<B> {
  next(): B;
  state(): unknown;
  /** Releases files the stream holds open. */
  close?(): void;
}

/** Trained parameters that share a learning-rate scale. Names must be unique across sets (prefix
 * them: "actor.", "critic."); they name the optimizer's moments in a checkpoint. */
export interface ParamSet {
  params: Map<string, Tensor>;
  /** Learning rate relative to the schedule's (PPO's critic: criticLr / actorLr). */
  lrScale?: number;
  /** Whether the EMA (config.emaDecay > 0) averages these weights (default true). */
  ema?: boolean;
}

/** What every method gives the loop. */
interface MethodBase {
  /** Shown on the progress bar ("sft", "ppo"). */
  label: string;
  runDir: string;
  /** Steps, learning rate and schedule, AdamW, clipping, cadences, seed, EMA. */
  config: LoopConfig;
  /** What the optimizer updates: one set, or several with their own learning-rate scales. */
  params: Map<string, Tensor> | ParamSet[];
  /** Put in training mode for each step and in eval mode around evaluation. */
  modules: { train(on?: boolean): unknown }[];
  /** Writes / reads the trained weights in their on-disk layout (HF model, PEFT adapter, …). */
  saveWeights(dir: string): void;
  loadWeights(dir: string): void;
  /** Held-out figures, written to metrics.jsonl as returned, every config.evalEvery steps and at
   * the end. */
  evaluate?(): Record<string, number>;
  /** Progress-bar fields for the step just taken (default: loss, lr and the first eval figure). */
  show?(metrics: Record<string, number>, lastEval: Record<string, number> | null, lr: number): Record<string, string | number>;
  /** What the bar's rate counts: 'tok' counts the tokens steps report (and adds tokens and tokS to
   * the metrics); otherwise steps. */
  unit?: 'tok' | 'step' | 'it';
  /** Seed of the loop's RNG (default config.seed ^ 0x5eed). */
  rngSeed?: number;
}

/** The loss of one micro-batch. */
export interface BatchLoss {
  /** A sum over weight(batch) units (e.g. target tokens), or with weight 1 a mean. */
  loss: Tensor;
  /** More figures to log, averaged over the step's micro-batches by weight. */
  metrics?: Record<string, number>;
  /** A term that is a mean per micro-batch whatever weight says (MoE load balancing). */
  aux?: Tensor | null;
}

/** How a batch divides among data-parallel ranks: its rows (examples), and rows [lo, hi) of it as
 * a batch of their own. */
export interface BatchSplit<B> {
  rows(batch: B): number;
  take(batch: B, lo: number, hi: number): B;
}

/** A method that learns from batches: the loop draws gradAccum micro-batches per step and takes one
 * update on Σ loss / Σ weight, so accumulation equals one batch of them all. With several ranks
 * each micro-batch is a global one and every rank takes its rows of it (`split`), so the update is
 * the same as one process's on the whole batch. */
export interface BatchMethod<B> extends MethodBase {
  /** Opens the training stream at a saved position (undefined: the start). `rng` is the loop's,
   * checkpointed with the run (LoRA's adapter dropout draws from it). */
  batches(position: unknown, rng: Rng): BatchStream<B>;
  loss(batch: B, rng: Rng): BatchLoss;
  /** What a micro-batch's loss sums over (default 1: the loss is a mean, over its rows). */
  weight?(batch: B): number;
  /** Tokens the micro-batch holds, for the run's totals and rate (with unit 'tok'). */
  tokens?(batch: B): number;
  /** How a micro-batch divides among ranks (default: an array batch splits by its elements). */
  split?: BatchSplit<B>;
}

export interface StepContext {
  /** The step being taken, from 0. */
  readonly step: number;
  /** The schedule's learning rate for this step. */
  readonly lr: number;
  /** The loop's RNG (dropout, minibatch order), saved with every checkpoint. */
  readonly rng: Rng;
  /** One optimiser update from the gradients the step's backward passes left on the trained
   * parameters: checks `losses` are finite, averages the gradients over the ranks (weighted by
   * `weight`), clips each parameter set to config.maxGradNorm, stops on a non-finite gradient,
   * steps AdamW at ctx.lr, zeroes the gradients and updates the EMA. Every rank must call it the
   * same number of times per step. Returns the gradient norm before clipping. */
  update(losses?: Record<string, number>, options?: UpdateOptions): number;
}

export interface UpdateOptions {
  /** This rank's weight in the average of the ranks' gradients (default 1; 0 for a rank with
   * nothing in this minibatch). A loss that is a mean over tokens passes its token count, so the
   * average is the gradient of the mean over every rank's tokens. Ignored by a single process. */
  weight?: number;
}

export interface StepOutput {
  /** The step's figures (averaged over the logging window in metrics.jsonl, and over the ranks). */
  metrics: Record<string, number>;
  /** Tokens the step processed (with unit 'tok'; summed over the ranks). */
  tokens?: number;
  /** This rank's weight in the average of the figures over ranks (default 1). */
  weight?: number;
}

/** A method that takes whole steps itself (online methods: a rollout, then epochs of minibatch
 * updates through ctx.update()). */
export interface StepMethod extends MethodBase {
  /** Called once before the first step with the saved position (undefined on a fresh run). */
  start(position: unknown, rng: Rng): void | Promise<void>;
  step(ctx: StepContext): StepOutput | Promise<StepOutput>;
  /** The position a checkpoint keeps: data cursors and any state the method carries (PPO's β). */
  position(): unknown;
  /** Releases what start() opened. */
  finish?(): void;
}

export type Method<B = unknown> = BatchMethod<B> | StepMethod;

export interface LoopResult {
  steps: number;
  /** Seconds of this process. */
  seconds: number;
  /** Tokens over the whole run (with unit 'tok'), and per second in this process. */
  tokens: number;
  tokS: number;
  /** Each training metric's mean over the last logged window. */
  train: Record<string, number>;
  eval: Record<string, number> | null;
  checkpoint: string;
  resumedFrom: number | null;
  /** The averaged weights (config.emaDecay > 0). */
  ema: Ema | null;
  /** Data-parallel ranks, the optimizer's memory on each, and the seconds this rank spent
   * combining gradients and weights with the others (0 in one process). */
  ranks: number;
  optimizer: OptimizerMemory;
  commSeconds: number;
}

export class TrainingDiverged extends Error {
  constructor(readonly step: number, readonly what: string, readonly lastCheckpoint: string | null) {
    super(`${what} at step ${step}; stopped without updating the weights. ` +
      (lastCheckpoint ? `The last good checkpoint is ${lastCheckpoint} (resume from it with a lower learning rate).` : 'No checkpoint was written yet.'));
  }
}

/** Whether a periodic action (eval, save, log) falls on `step`; the last step always does. */
export const due = (every: number, step: number, last: number): boolean => step === last || (every > 0 && step % every === 0);

const isStepMethod = <B>(m: Method<B>): m is StepMethod => 'step' in m;

/** Per-key sums and counts of the metrics since the last log (a key a step did not report is not
 * counted for it). */
function addToWindow(w: LogWindow, metrics: Record<string, number>): void {
  for (const [k, v] of Object.entries(metrics)) {
    w.sums[k] = (w.sums[k] ?? 0) + v;
    w.counts[k] = (w.counts[k] ?? 0) + 1;
  }
}

const windowMeans = (w: LogWindow): Record<string, number> => Object.fromEntries(Object.entries(w.sums).map(([k, s]) => [k, s / w.counts[k]]));

/** JSON keeps NaN as null: a restored window turns it back. */
const restoreWindow = (w: LogWindow | undefined): LogWindow => ({
  sums: Object.fromEntries(Object.entries(w?.sums ?? {}).map(([k, v]) => [k, v ?? NaN])),
  counts: { ...(w?.counts ?? {}) },
});

function defaultShow(m: Record<string, number>, lastEval: Record<string, number> | null, lr: number): Record<string, string | number> {
  const first = lastEval ? Object.entries(lastEval)[0] : undefined;
  return {
    ...(m.loss !== undefined ? { loss: m.loss.toFixed(3) } : {}),
    lr: lr.toPrecision(2),
    ...(first ? { [first[0]]: first[1].toFixed(3) } : {}),
  };
}

/** Runs `method` for config.steps steps, continuing from the newest checkpoint when `resume`;
 * throws TrainingDiverged if a loss or gradient stops being finite. Under mpirun every rank calls
 * it with the same method and config. */
export async function train<B>(method: Method<B>, { resume = false, quiet = false } = {}): Promise<LoopResult> {
  const comm = world();
  const root = comm.rank === 0;
  const m = isStepMethod(method) ? method : batchSteps(method, comm);
  const cfg = m.config;
  // Rank 0 alone looks at the run folder; every rank learns what it found.
  const latest = broadcastJson(comm, root ? (() => {
    removePartialCheckpoints(m.runDir);
    const l = latestCheckpoint(m.runDir);
    if (l && !resume) throw new Error(`${m.runDir} already holds checkpoints (newest: step ${l.step}); pass --resume to continue it, or choose a new output folder`);
    return resume ? l : null;
  })() : null);

  const sets: ParamSet[] = m.params instanceof Map ? [{ params: m.params }] : m.params;
  const trainable = new Map<string, Tensor>();
  for (const s of sets) {
    for (const [name, p] of s.params) {
      if (trainable.has(name)) throw new Error(`${m.label}: two trained parameters are named "${name}" (prefix each parameter set)`);
      trainable.set(name, p);
    }
  }
  const groups: ParamGroup[] = sets.flatMap((s) => decayGroups(s.params, cfg.weightDecay).map((g) => ({ ...g, lrScale: s.lrScale })));
  const clipSets = sets.map((s) => [...s.params.values()]);
  const dp = new DataParallel(comm, groups, { lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay }, clipSets, cfg.zero === 1);

  let state: TrainerState | null = null;
  if (latest) {
    const loaded = root ? (() => { m.loadWeights(latest.dir); return loadCheckpoint(latest.dir, trainable, groups); })() : null;
    state = broadcastJson(comm, loaded?.state ?? null);
    dp.load(loaded?.optimizer ?? null);
  }
  // Every rank starts from rank 0's weights (and EMA).
  dp.broadcast([...trainable.values()].map((p) => p.f));
  const averaged = new Map(sets.filter((s) => s.ema !== false).flatMap((s) => [...s.params]));
  const ema = cfg.emaDecay > 0 ? new Ema(averaged, cfg.emaDecay) : null;
  if (ema && latest) {
    if (root) ema.load(latest.dir);
    dp.broadcast(ema.buffers());
  }
  // The loop's RNG, which checkpoints keep, is the same on every rank. With several ranks each
  // draws its dropout and minibatch order from a stream of its own, seeded from it every step.
  const master = new Rng(state?.rng ?? m.rngSeed ?? cfg.seed ^ 0x5eed);
  const rng = comm.size > 1 ? new Rng(0) : master;
  await m.start(state?.data, rng);

  const metrics = root ? new MetricsLog(join(m.runDir, 'metrics.jsonl'), state ? state.step : null) : null;
  const start = state?.step ?? 0;
  const countTokens = m.unit === 'tok';
  let tokens = state?.tokens ?? 0;
  let window = restoreWindow(state?.window);
  let lastCheckpoint = latest?.dir ?? null;
  const schedule = { kind: cfg.schedule, warmupSteps: cfg.warmupSteps, totalSteps: cfg.steps, minRatio: cfg.minLrRatio };
  if (comm.size > 1 && root && !quiet) console.log(describe(comm, dp.memory(), cfg.zero === 1));
  const bar = quiet || !root ? null : new Progress({ label: start ? `${m.label} (from step ${start})` : m.label, total: cfg.steps - start, unit: m.unit ?? 'step' });
  const setMode = (on: boolean): void => { for (const mod of m.modules) mod.train(on); };
  // train.recompute: every decoder the step trains recomputes its layers in backward.
  for (const mod of m.modules) {
    if (mod instanceof Module) for (const sub of mod.namedModules().values()) if (sub instanceof DecoderModel) sub.recompute = cfg.recompute === true;
  }
  // Held-out figures come from rank 0 alone; the others go on to the next step and wait for it there.
  const evaluate = (): Record<string, number> | null => {
    if (!root) return null;
    setMode(false);
    return m.evaluate!();
  };
  const t0 = performance.now();
  let processed = 0;
  let lastWindow: Record<string, number> = {};
  let lastEval: Record<string, number> | null = null;

  for (let step = start; step < cfg.steps; step++) {
    const lr = learningRate(step, cfg.lr, schedule);
    if (comm.size > 1) rng.restore(new Rng((master.nextU32() ^ Math.imul(comm.rank + 1, 0x9e3779b9)) >>> 0).state());
    const norms: number[] = [];
    const update = (losses: Record<string, number> = {}, options: UpdateOptions = {}): number => {
      for (const [k, v] of Object.entries(losses)) if (!Number.isFinite(v)) throw new TrainingDiverged(step + 1, `the ${k} became ${v}`, lastCheckpoint);
      // After backward, before clipping: the one place gradients are complete, where the ranks'
      // gradients are combined (data-parallel.ts) before each set is clipped.
      const setNorms = dp.gradients(cfg.maxGradNorm > 0 ? cfg.maxGradNorm : Infinity, options.weight);
      if (!setNorms) return 0;
      const norm = Math.hypot(...setNorms);
      if (!Number.isFinite(norm)) throw new TrainingDiverged(step + 1, `the gradient norm became ${norm}`, lastCheckpoint);
      dp.update(lr);
      for (const p of trainable.values()) p.grad = null;
      ema?.update();
      norms.push(norm);
      return norm;
    };
    setMode(true);
    const local = await m.step({ step, lr, rng, update });
    setMode(false);
    const out = comm.size > 1 ? acrossRanks(comm, local) : local;
    const stepMetrics = { ...out.metrics, ...(norms.length ? { gradNorm: norms.reduce((a, n) => a + n, 0) / norms.length } : {}) };
    addToWindow(window, stepMetrics);
    tokens += out.tokens ?? 0;
    processed += out.tokens ?? 0;

    const done = step + 1;
    const elapsed = (performance.now() - t0) / 1000;
    if (due(cfg.logEvery, done, cfg.steps)) {
      lastWindow = windowMeans(window);
      metrics?.write({ step: done, ...lastWindow, lr, ...(countTokens ? { tokens, tokS: Math.round(processed / elapsed) } : {}) });
      window = { sums: {}, counts: {} };
    }
    if (m.evaluate && due(cfg.evalEvery, done, cfg.steps)) {
      lastEval = evaluate();
      if (lastEval) metrics?.write({ step: done, ...lastEval });
    }
    if (due(cfg.saveEvery, done, cfg.steps)) {
      // Under ZeRO every rank sends its block of the moments to rank 0, which writes the folder.
      const optimizer = dp.state();
      const st: TrainerState = { step: done, tokens, rng: master.state(), data: m.position(), seconds: (state?.seconds ?? 0) + elapsed, window };
      if (optimizer) saveCheckpoint(m.runDir, st, trainable, { groups, state: optimizer }, (dir) => { m.saveWeights(dir); ema?.save(dir); }, cfg.keepLast);
      lastCheckpoint = checkpointDir(m.runDir, done);
    }
    const fields = (m.show ?? defaultShow)(stepMetrics, lastEval, lr);
    bar?.tick(1, { step: done, ...fields }, countTokens ? out.tokens ?? 0 : 1);
  }
  bar?.finish();
  m.finish?.();
  // A run resumed after its last step (killed while saving its outputs) still reports its figures.
  if (!lastEval && m.evaluate && start === cfg.steps) lastEval = evaluate();
  const seconds = (performance.now() - t0) / 1000;
  return {
    steps: cfg.steps, seconds, tokens, tokS: seconds > 0 ? processed / seconds : 0, train: lastWindow, eval: lastEval,
    checkpoint: lastCheckpoint ?? '', resumedFrom: state ? state.step : null, ema, ranks: comm.size, optimizer: dp.memory(), commSeconds: dp.commSeconds,
  };
}

/** The start-of-run line of a data-parallel run: ranks, threads, and the optimizer's memory. */
function describe(comm: Communicator, mem: OptimizerMemory, zero: boolean): string {
  const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MB`;
  return `data parallel: ${comm.size} ranks over ${comm.backend}, ${kernels().threads} thread(s) each; ` +
    (zero ? `ZeRO-1: AdamW moments ${mb(mem.momentBytes)} per rank (${mb(mem.unshardedMomentBytes)} unsharded)` : `AdamW moments ${mb(mem.momentBytes)} on every rank`);
}
