// The training loop shared by pretraining and SFT (full or LoRA): AdamW over the trainable
// parameters, warm-up then cosine/linear decay, gradient accumulation with the loss averaged over
// every target token of the step, global-norm clipping, held-out evaluation, NaN/Inf detection,
// atomic checkpoints and exact resumption, a progress bar and metrics.jsonl.
//
// Exact resumption: a step's result depends only on the weights, the optimizer moments, the
// step number (learning rate), the data stream's position and the dropout RNG, and a checkpoint
// stores all five, so a resumed run repeats the uninterrupted run's losses bit for bit.
import { join } from 'node:path';
import { noGrad } from '../engine/autograd.js';
import { Rng } from '../engine/rng.js';
import { Tensor } from '../engine/tensor.js';
import { crossEntropy, reshape } from '../engine/ops/index.js';
import { AdamW, clipGradNorm, decayGroups, learningRate } from '../nn/index.js';
import type { CausalLM } from '../models/index.js';
import { Progress } from '../util/progress.js';
import type { LoopConfig } from './config.js';
import { latestCheckpoint, loadCheckpoint, removePartialCheckpoints, saveCheckpoint, type TrainerState } from './checkpoint.js';
import { MetricsLog } from './metrics.js';

/** Targets equal to this carry no loss (prompt tokens, padding). */
export const IGNORE = -100;

/** One micro-batch for a causal LM: ids [B, T] predict targets [B, T] (already shifted; IGNORE
 * where there is nothing to learn), with an attention mask [B, T] (1 token, 0 pad) or null.
 * Optional per-target weights [B, T] change how the training loss averages (see targetWeight). */
export interface LmBatch {
  ids: Int32Array;
  targets: Int32Array;
  mask: Int32Array | null;
  B: number;
  T: number;
  weights?: Float32Array | null;
}

/** An endless, seeded source of training batches whose position is a JSON value. */
export interface BatchStream {
  next(): LmBatch;
  state(): unknown;
  /** Releases files the stream holds open. */
  close?(): void;
}

/** Everything the loop needs from a pretraining or SFT run. */
export interface TrainRun {
  /** Shown on the progress bar ("pretrain", "sft"). */
  label: string;
  runDir: string;
  model: CausalLM;
  /** What the optimizer updates, by name (the whole model, or only LoRA adapters). */
  trainable: Map<string, Tensor>;
  /** Opens the training stream, at `state` when resuming. */
  openStream(state?: unknown): BatchStream;
  evalBatches: LmBatch[];
  /** Writes the trainable weights in their on-disk layout (HF model or PEFT adapter). */
  saveWeights(dir: string): void;
  loadWeights(dir: string): void;
  /** Hands over the loop's dropout RNG (checkpointed with the run) to randomness outside the
   * model's forward options, such as LoRA's adapter dropout. */
  useRng?(rng: Rng): void;
  config: LoopConfig;
}

export interface EvalResult { loss: number; ppl: number; tokens: number }

export interface TrainResult {
  steps: number;
  /** Tokens processed (pads excluded) and target tokens trained on, over the whole run. */
  tokens: number;
  seconds: number;
  /** Mean training loss over the last logged window. */
  trainLoss: number;
  eval: EvalResult | null;
  /** Training tokens per second in this process. */
  tokS: number;
  checkpoint: string;
  resumedFrom: number | null;
}

export class TrainingDiverged extends Error {
  constructor(readonly step: number, readonly what: string, readonly lastCheckpoint: string | null) {
    super(`${what} at step ${step}; stopped without updating the weights. ` +
      (lastCheckpoint ? `The last good checkpoint is ${lastCheckpoint} (resume from it with a lower learning rate).` : 'No checkpoint was written yet.'));
  }
}

export function countTargets(b: LmBatch): number {
  let n = 0;
  for (let i = 0; i < b.targets.length; i++) if (b.targets[i] !== IGNORE) n++;
  return n;
}

/** What a batch's loss is averaged over: its weight summed over counted targets (their number when
 * unweighted). */
export function targetWeight(b: LmBatch): number {
  if (!b.weights) return countTargets(b);
  let w = 0;
  for (let i = 0; i < b.targets.length; i++) if (b.targets[i] !== IGNORE) w += b.weights[i];
  return w;
}

function countTokens(b: LmBatch): number {
  if (!b.mask) return b.B * b.T;
  let n = 0;
  for (let i = 0; i < b.mask.length; i++) n += b.mask[i];
  return n;
}

/** Summed cross-entropy of a batch's targets, weighted by b.weights when `weighted` (and the MoE
 * auxiliary loss, if any). */
export function batchLoss(model: CausalLM, b: LmBatch, rng?: Rng, weighted = true): { sum: Tensor; aux: Tensor | null } {
  const { logits, auxLoss } = model.call(new Tensor(b.ids, [b.B, b.T]), { attentionMask: b.mask, rng });
  const V = logits.shape[2];
  const weights = weighted ? b.weights ?? null : null;
  return { sum: crossEntropy(reshape(logits, [b.B * b.T, V]), b.targets, { ignoreIndex: IGNORE, reduction: 'sum', weights }), aux: auxLoss };
}

/** Mean loss per target token and perplexity over held-out batches (eval mode, no tape; weights
 * are not applied, so perplexities stay comparable). */
export function evaluate(model: CausalLM, batches: LmBatch[]): EvalResult {
  const wasTraining = model.training;
  model.eval();
  let total = 0, tokens = 0;
  try {
    noGrad(() => {
      for (const b of batches) {
        total += batchLoss(model, b, undefined, false).sum.item();
        tokens += countTargets(b);
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const loss = tokens ? total / tokens : NaN;
  return { loss, ppl: Math.exp(loss), tokens };
}

/** Whether a periodic action (eval, save, log) falls on `step`; the last step always does. */
export const due = (every: number, step: number, last: number): boolean => step === last || (every > 0 && step % every === 0);

/** The start every training loop shares: half-written checkpoints removed, the newest complete one
 * (which only `resume` may continue), and AdamW over the trainable parameters with decay groups. */
export function openRun(runDir: string, trainable: Map<string, Tensor>, cfg: LoopConfig, resume: boolean): { latest: ReturnType<typeof latestCheckpoint>; opt: AdamW } {
  removePartialCheckpoints(runDir);
  const latest = latestCheckpoint(runDir);
  if (latest && !resume) throw new Error(`${runDir} already holds checkpoints (newest: step ${latest.step}); pass --resume to continue it, or choose a new output folder`);
  const opt = new AdamW(decayGroups(trainable, cfg.weightDecay), { lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay });
  return { latest, opt };
}

/** Trains run.model for run.config.steps steps (continuing from the newest checkpoint when
 * `resume`); throws TrainingDiverged if a loss or gradient stops being finite. */
export function train(run: TrainRun, { resume = false, quiet = false } = {}): TrainResult {
  const cfg = run.config;
  const { latest, opt } = openRun(run.runDir, run.trainable, cfg, resume);
  const params = [...run.trainable.values()];
  let rng = new Rng(cfg.seed ^ 0x5eed);
  let state: TrainerState | null = null;
  if (latest && resume) {
    run.loadWeights(latest.dir);
    state = loadCheckpoint(latest.dir, run.trainable, opt);
    rng = new Rng(state.rng);
  }
  run.useRng?.(rng);
  const stream = run.openStream(state?.data);
  const metrics = new MetricsLog(join(run.runDir, 'metrics.jsonl'), state ? state.step : null);
  const start = state?.step ?? 0;
  let tokens = state?.tokens ?? 0;
  let lastCheckpoint = latest && resume ? latest.dir : null;
  const schedule = { kind: cfg.schedule, warmupSteps: cfg.warmupSteps, totalSteps: cfg.steps, minRatio: cfg.minLrRatio };
  const bar = quiet ? null : new Progress({ label: start ? `${run.label} (from step ${start})` : run.label, total: cfg.steps - start, unit: 'tok' });
  const t0 = performance.now();
  let processed = 0;
  let window = { loss: 0, n: 0 };
  let lastEval: EvalResult | null = null;
  run.model.train();

  for (let step = start; step < cfg.steps; step++) {
    const lr = learningRate(step, cfg.lr, schedule);
    const micro = Array.from({ length: cfg.gradAccum }, () => stream.next());
    const targets = micro.reduce((n, b) => n + targetWeight(b), 0);
    let lossSum = 0, stepTokens = 0;
    for (const b of micro) {
      const { sum, aux } = batchLoss(run.model, b, rng);
      lossSum += sum.item();
      stepTokens += countTokens(b);
      // The step's loss is the (weighted) mean over all its target tokens, so each micro-batch's
      // sum is scaled by the step's total (not its own): accumulation equals one large batch.
      if (targets > 0) sum.backward(Tensor.scalar(1 / targets));
      if (aux) aux.backward(Tensor.scalar(1 / cfg.gradAccum));
    }
    const loss = targets > 0 ? lossSum / targets : 0;
    if (!Number.isFinite(loss)) throw new TrainingDiverged(step + 1, `the loss became ${loss}`, lastCheckpoint);
    const gradNorm = clipGradNorm(params, cfg.maxGradNorm > 0 ? cfg.maxGradNorm : Infinity);
    if (!Number.isFinite(gradNorm)) throw new TrainingDiverged(step + 1, `the gradient norm became ${gradNorm}`, lastCheckpoint);
    opt.update(lr);
    for (const p of params) p.grad = null;
    tokens += stepTokens;
    processed += stepTokens;
    window.loss += loss;
    window.n++;

    const done = step + 1;
    const elapsed = (performance.now() - t0) / 1000;
    if (done % cfg.logEvery === 0 || done === cfg.steps) {
      metrics.write({ step: done, loss, lr, gradNorm, tokens, tokS: Math.round(processed / elapsed), ...run.model.expertMetrics() });
    }
    if (due(cfg.evalEvery, done, cfg.steps) && run.evalBatches.length) {
      lastEval = evaluate(run.model, run.evalBatches);
      metrics.write({ step: done, evalLoss: lastEval.loss, evalPpl: lastEval.ppl });
    }
    if (due(cfg.saveEvery, done, cfg.steps)) {
      const st: TrainerState = { step: done, tokens, rng: rng.state(), data: stream.state(), seconds: (state?.seconds ?? 0) + elapsed };
      lastCheckpoint = saveCheckpoint(run.runDir, st, run.trainable, opt, (dir) => run.saveWeights(dir), cfg.keepLast);
    }
    bar?.tick(1, { step: done, loss: loss.toFixed(3), lr: lr.toPrecision(2), ...(lastEval ? { 'eval ppl': lastEval.ppl.toFixed(1) } : {}) }, stepTokens);
    if (done % cfg.logEvery === 0 && done !== cfg.steps) window = { loss: 0, n: 0 };
  }
  bar?.finish();
  stream.close?.();
  // A run resumed after its last step (killed while saving its outputs) still reports its figures.
  if (!lastEval && run.evalBatches.length) lastEval = evaluate(run.model, run.evalBatches);
  const seconds = (performance.now() - t0) / 1000;
  return {
    steps: cfg.steps, tokens, seconds, trainLoss: window.n ? window.loss / window.n : NaN, eval: lastEval,
    tokS: seconds > 0 ? processed / seconds : 0, checkpoint: lastCheckpoint ?? '', resumedFrom: state ? state.step : null,
  };
}
