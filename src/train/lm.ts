// Language modelling on the training loop: batches of ids with shifted targets, the summed
// cross-entropy over their target tokens (so the loop's accumulation averages over every target
// token of a step), held-out loss and perplexity. Pretraining and SFT (full or LoRA) run through
// trainLanguageModel; PPO-ptx uses batchLoss for its pretraining term.
import { gradEnabled, noGrad } from '../engine/autograd.js';
import type { Rng } from '../engine/rng.js';
import { Tensor } from '../engine/tensor.js';
import { checkpointRows, crossEntropy, linear, reshape } from '../engine/ops/index.js';
import type { CausalLM } from '../models/index.js';
import type { LoopConfig } from './config.js';
import type { Ema } from './ema.js';
import { train, type BatchSplit, type BatchStream, type LoopResult } from './loop.js';

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

export interface EvalResult { loss: number; ppl: number; tokens: number }

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

/** Tokens a batch holds, padding excluded. */
function countTokens(b: LmBatch): number {
  if (!b.mask) return b.B * b.T;
  let n = 0;
  for (let i = 0; i < b.mask.length; i++) n += b.mask[i];
  return n;
}

/** A batch divides among data-parallel ranks by rows; a rank's rows are cut to the longest of them
 * (right padding is dropped, never a real token), so no rank computes another's padding. */
export const lmSplit: BatchSplit<LmBatch> = {
  rows: (b) => b.B,
  take: (b, lo, hi) => {
    const rows = hi - lo;
    const lengths = Array.from({ length: rows }, (_, r) => {
      if (!b.mask) return b.T;
      let n = 0;
      for (let t = 0; t < b.T; t++) n += b.mask[(lo + r) * b.T + t];
      return n;
    });
    const T = Math.max(...lengths);
    const cut = <A extends Int32Array | Float32Array>(x: A): A => {
      if (T === b.T) return x.subarray(lo * b.T, hi * b.T) as A;
      const out = new (x.constructor as new (n: number) => A)(rows * T);
      for (let r = 0; r < rows; r++) out.set(x.subarray((lo + r) * b.T, (lo + r) * b.T + T), r * T);
      return out;
    };
    return {
      ids: cut(b.ids), targets: cut(b.targets), mask: b.mask && lengths.some((n) => n < T) ? cut(b.mask) : null, B: rows, T,
      weights: b.weights ? cut(b.weights) : b.weights,
    };
  },
};

/** Summed cross-entropy of a batch's targets, weighted by b.weights when `weighted` (and the MoE
 * auxiliary loss, if any). */
export function batchLoss(model: CausalLM, b: LmBatch, rng?: Rng, weighted = true): { sum: Tensor; aux: Tensor | null } {
  const weights = weighted ? b.weights ?? null : null;
  if (model.model.recompute && model.training && gradEnabled()) return chunkedLoss(model, b, weights, rng);
  const { logits, auxLoss } = model.call(new Tensor(b.ids, [b.B, b.T]), { attentionMask: b.mask, rng });
  const V = logits.shape[2];
  return { sum: crossEntropy(reshape(logits, [b.B * b.T, V]), b.targets, { ignoreIndex: IGNORE, reduction: 'sum', weights }), aux: auxLoss };
}

/** Rows of logits alive at once in chunkedLoss: about 8 MB of them. */
const chunkRows = (V: number): number => Math.max(1, Math.floor(2 ** 21 / V));

/** batchLoss with activation recomputation: the LM head and the cross-entropy run a block of rows
 * at a time, each block recomputed in backward (engine/ops/checkpoint.ts), so the [B·T, V] logits
 * and their gradient never exist whole; the same loss and gradients up to the order of the sums. */
function chunkedLoss(model: CausalLM, b: LmBatch, weights: Float32Array | null, rng?: Rng): { sum: Tensor; aux: Tensor | null } {
  const { hidden, auxLoss } = model.model.forward({ ids: b.ids, B: b.B, T: b.T }, { attentionMask: b.mask, rng });
  const h = reshape(hidden, [b.B * b.T, hidden.shape[2]]);
  const sum = checkpointRows((x, r0, r1) => crossEntropy(linear(x, model.headWeight), b.targets.subarray(r0, r1), {
    ignoreIndex: IGNORE, reduction: 'sum', weights: weights?.subarray(r0, r1) ?? null,
  }), h, chunkRows(model.config.vocabSize));
  return { sum, aux: auxLoss };
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

/** Everything a pretraining or SFT run gives the loop. */
export interface TrainRun {
  /** Shown on the progress bar ("pretrain", "sft"). */
  label: string;
  runDir: string;
  model: CausalLM;
  /** What the optimizer updates, by name (the whole model, or only LoRA adapters). */
  trainable: Map<string, Tensor>;
  /** Opens the training stream, at `state` when resuming. */
  openStream(state?: unknown): BatchStream<LmBatch>;
  evalBatches: LmBatch[];
  /** Writes the trainable weights in their on-disk layout (HF model or PEFT adapter). */
  saveWeights(dir: string): void;
  loadWeights(dir: string): void;
  /** Hands over the loop's RNG (checkpointed with the run) to randomness outside the model's
   * forward options, such as LoRA's adapter dropout. */
  useRng?(rng: Rng): void;
  config: LoopConfig;
}

export interface TrainResult extends Omit<LoopResult, 'train' | 'eval' | 'ema'> {
  /** Mean training loss over the last logged window. */
  trainLoss: number;
  eval: EvalResult | null;
}

/** Trains run.model on its stream for run.config.steps steps (continuing from the newest
 * checkpoint when `resume`); `ema` holds the averaged weights when config.emaDecay > 0. */
export async function trainLanguageModel(run: TrainRun, { resume = false, quiet = false } = {}): Promise<{ result: TrainResult; ema: Ema | null }> {
  let lastEval: EvalResult | null = null;
  const result = await train<LmBatch>({
    label: run.label,
    runDir: run.runDir,
    config: run.config,
    params: run.trainable,
    modules: [run.model],
    saveWeights: run.saveWeights,
    loadWeights: run.loadWeights,
    unit: 'tok',
    batches: (position, rng) => {
      run.useRng?.(rng);
      return run.openStream(position);
    },
    loss: (b, rng) => {
      const { sum, aux } = batchLoss(run.model, b, rng);
      // MoE models: tokens per expert, the busiest expert's load and the router's entropy.
      return { loss: sum, aux, metrics: run.model.expertMetrics() };
    },
    weight: targetWeight,
    tokens: countTokens,
    split: lmSplit,
    evaluate: run.evalBatches.length ? () => {
      lastEval = evaluate(run.model, run.evalBatches);
      return { evalLoss: lastEval.loss, evalPpl: lastEval.ppl };
    } : undefined,
    show: (m, e, lr) => ({ loss: m.loss.toFixed(3), lr: lr.toPrecision(2), ...(e ? { 'eval ppl': e.evalPpl.toFixed(1) } : {}) }),
  }, { resume, quiet });
  const r = result;
  return {
    result: {
      steps: r.steps, seconds: r.seconds, tokens: r.tokens, tokS: r.tokS, trainLoss: r.train.loss ?? NaN, eval: lastEval, checkpoint: r.checkpoint,
      resumedFrom: r.resumedFrom, ranks: r.ranks, optimizer: r.optimizer, commSeconds: r.commSeconds,
    },
    ema: r.ema,
  };
}
