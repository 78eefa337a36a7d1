// The two halves of a critic-free online step (GRPO, RLOO, REINFORCE++), kept apart as TRL's GRPO
// keeps _generate_and_score_completions apart from its loss:
//   rollout()       k samples per prompt with the KV cache, their sampling log-probs, the
//                   reference's log-probs, and the reward source's scores — no tape, no update;
//   policyUpdate()  epochs of shuffled minibatches over the rows a method chose, each one clipped
//                   policy-gradient loss (pg-loss.ts) and one optimiser update through the loop.
// A method supplies only what lies between: advantages per token from the rollout. The training
// loop (src/train/loop.ts) owns the optimiser, clipping, the NaN stop and checkpoints.
// Data-parallel (docs/distributed.md): rollout() samples this rank's share of the step's prompts
// (all k samples of a prompt on one rank, so per-prompt baselines need no other rank), and
// policyUpdate() takes as many updates on every rank as the whole batch needs.
import { noGrad } from '../../engine/autograd.js';
import type { Rng } from '../../engine/rng.js';
import { globalCount, minibatches, rankSeed, shardOf } from '../../distributed/shard.js';
import { world } from '../../distributed/world.js';
import type { CausalLM } from '../../models/index.js';
import type { WeightDtype } from '../../engine/kernels.js';
import type { UpdateOptions } from '../../train/loop.js';
import type { RewardSource } from '../reward/source.js';
import { joinBatch, responseLogprobs, selectRows, takeRows, type SequenceBatch } from './batch.js';
import { clippedPgLoss, type LossAggregation } from './pg-loss.js';
import type { PolicyPrompt } from './prompts.js';
import type { Reference } from './reference.js';
import { sampleResponses, type Samples } from './rollout.js';

export interface OnlineSetup {
  policy: CausalLM;
  /** The frozen reference (null when the method uses no KL). */
  ref: Reference | null;
  reward: RewardSource;
  padId: number;
  stopIds: number[];
  /** Figures logged beside the reward every iteration (the gold labeler's mean score, to catch
   * reward hacking): any function of the rollout's prompts and responses. */
  watch?(prompts: PolicyPrompt[], responses: number[][]): Record<string, number>;
}

export interface RolloutSettings {
  /** Responses sampled per prompt (consecutive rows of the batch). */
  samplesPerPrompt: number;
  maxNewTokens: number;
  /** 1 samples from the policy itself (the old log-probs then come straight from sampling). */
  temperature: number;
  topK: number;
  seed: number;
  /** The weights sampling runs on (default f32); with int8 or bf16 the old log-probs are
   * recomputed in float32. */
  dtype?: WeightDtype;
}

export interface Rollout {
  /** One row per response: each prompt samplesPerPrompt times, consecutively. */
  prompts: PolicyPrompt[];
  batch: SequenceBatch;
  samples: Samples;
  /** log π_old and log π_ref per response token, [B·R] (0 on padding; ref null without one). */
  oldLogprobs: Float32Array;
  refLogprobs: Float32Array | null;
  /** The reward source's raw score of each response, [B]. */
  scores: Float32Array;
  /** The setup's watch figures of this rollout. */
  watched: Record<string, number>;
  generateS: number;
  scoreS: number;
}

const inEval = <T>(model: CausalLM, fn: () => T): T => {
  const was = model.training;
  model.eval();
  try {
    return noGrad(fn);
  } finally {
    model.train(was);
  }
};

/** Samples, scores and measures `prompts` (each samplesPerPrompt times): the step's prompts, of
 * which each data-parallel rank takes its share, sampling with a seed of its own. */
export async function rollout(s: OnlineSetup, prompts: readonly PolicyPrompt[], o: RolloutSettings): Promise<Rollout> {
  const comm = world();
  const rows = shardOf(prompts, comm).flatMap((p) => Array<PolicyPrompt>(o.samplesPerPrompt).fill(p));
  let t = performance.now();
  const samples = await sampleResponses(s.policy, rows.map((p) => p.ids), {
    maxNewTokens: o.maxNewTokens, temperature: o.temperature, topK: o.topK, stopTokenIds: s.stopIds, seed: rankSeed(o.seed, comm.rank), chunk: rows.length, dtype: o.dtype,
  });
  const generateS = (performance.now() - t) / 1000;
  t = performance.now();
  const batch = joinBatch(rows.map((p) => p.ids), samples.responses, s.padId);
  const { B, R } = batch;
  let oldLogprobs: Float32Array;
  if (o.temperature === 1 && o.topK === 0 && (o.dtype ?? 'f32') === 'f32') {
    oldLogprobs = new Float32Array(B * R);
    samples.logprobs.forEach((lp, b) => oldLogprobs.set(lp, b * R));
  } else oldLogprobs = inEval(s.policy, () => responseLogprobs(s.policy, batch).logprobs.f);
  const refLogprobs = s.ref ? s.ref.logprobs(batch) : null;
  const scores = await s.reward.score(rows, samples.responses);
  const watched = s.watch?.(rows, samples.responses) ?? {};
  return { prompts: rows, batch, samples, oldLogprobs, refLogprobs, scores, watched, generateS, scoreS: (performance.now() - t) / 1000 };
}

/** Mean Σ_t (log π_old − log π_ref) per response over a rollout, nats (NaN without a reference). */
export function rolloutKl(r: Rollout): number {
  if (!r.refLogprobs) return NaN;
  const m = r.batch.responseMask;
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i] * (r.oldLogprobs[i] - r.refLogprobs[i]);
  return s / r.batch.B;
}

export interface UpdateSettings {
  epochs: number;
  /** Responses per optimiser update. */
  miniBatchSize: number;
  clipLow: number;
  clipHigh: number;
  aggregation: LossAggregation;
  /** β of the k3 KL term in the loss (GRPO); 0 = none. */
  lossKlCoef: number;
}

/** The loop's side of an update: its RNG and one optimiser step from the gradients left on the
 * trained parameters (train/loop.ts StepContext). */
export interface UpdateContext {
  readonly rng: Rng;
  update(losses?: Record<string, number>, options?: UpdateOptions): number;
}

export interface UpdateMetrics {
  loss: number;
  /** Mean k3 KL of the loss term (0 without it). */
  lossKl: number;
  clipFrac: number;
  updates: number;
}

/** Epochs of shuffled minibatches over `rows` of the rollout with per-token `advantages` [B·R].
 * Every data-parallel rank calls it, with the rows it has (none, and r null, when it has nothing
 * to train on this step): all take the updates the rows of every rank make together, each
 * weighted by what its part of a minibatch holds (tokens or responses, as the loss averages). */
export function policyUpdate(policy: CausalLM, r: Rollout | null, advantages: Float32Array, rows: readonly number[], o: UpdateSettings, ctx: UpdateContext): UpdateMetrics {
  const comm = world();
  const everyRank = globalCount(rows.length, comm);
  const sums = { loss: 0, kl: 0, clipFrac: 0 };
  let updates = 0;
  for (let epoch = 0; epoch < o.epochs && everyRank; epoch++) {
    const order = ctx.rng.shuffle(rows.slice());
    for (const part of minibatches(order, everyRank, o.miniBatchSize, comm)) {
      if (!r || !part.length) {
        ctx.update({}, { weight: 0 });
        continue;
      }
      const { R } = r.batch;
      const mb = selectRows(r.batch, part);
      const { logprobs } = responseLogprobs(policy, mb, ctx.rng);
      const l = clippedPgLoss({
        logprobs, oldLogprobs: takeRows(r.oldLogprobs, part, R), refLogprobs: r.refLogprobs && o.lossKlCoef > 0 ? takeRows(r.refLogprobs, part, R) : null,
        advantages: takeRows(advantages, part, R), mask: mb.responseMask, B: mb.B, R,
        clipLow: o.clipLow, clipHigh: o.clipHigh, beta: o.lossKlCoef, aggregation: o.aggregation,
      });
      l.loss.backward();
      const weight = o.aggregation === 'token' ? mb.responseMask.reduce((a, m) => a + m, 0) : part.length;
      ctx.update({ loss: l.metrics.loss }, { weight });
      sums.loss += l.metrics.loss;
      sums.kl += l.metrics.kl;
      sums.clipFrac += l.metrics.clipFrac;
      updates++;
    }
  }
  const per = (x: number): number => (updates ? x / updates : 0);
  return { loss: per(sums.loss), lossKl: per(sums.kl), clipFrac: per(sums.clipFrac), updates };
}

/** Chosen rows of several rollouts as one (DAPO's refilled batch): re-laid to the widths of the
 * rows kept, per-token arrays copied row by row; times and watch figures are the parts' totals and
 * the first part's. */
export function concatRollouts(parts: readonly { r: Rollout; rows: readonly number[] }[], padId: number): Rollout {
  const picked = parts.flatMap(({ r, rows }) => rows.map((b) => ({ r, b })));
  if (!picked.length) throw new RangeError('concatRollouts: no rows');
  const prompts = picked.map(({ r, b }) => r.prompts[b]);
  const responses = picked.map(({ r, b }) => r.samples.responses[b]);
  const batch = joinBatch(prompts.map((p) => p.ids), responses, padId);
  const R = batch.R;
  const relay = (get: (r: Rollout) => Float32Array): Float32Array => {
    const out = new Float32Array(picked.length * R);
    picked.forEach(({ r, b }, i) => out.set(get(r).subarray(b * r.batch.R, b * r.batch.R + r.samples.responses[b].length), i * R));
    return out;
  };
  const withRef = parts.every(({ r }) => r.refLogprobs);
  return {
    prompts, batch,
    samples: { responses, logprobs: picked.map(({ r, b }) => r.samples.logprobs[b]), finished: picked.map(({ r, b }) => r.samples.finished[b]) },
    oldLogprobs: relay((r) => r.oldLogprobs),
    refLogprobs: withRef ? relay((r) => r.refLogprobs!) : null,
    scores: Float32Array.from(picked, ({ r, b }) => r.scores[b]),
    watched: parts[0].r.watched,
    generateS: parts.reduce((a, { r }) => a + r.generateS, 0),
    scoreS: parts.reduce((a, { r }) => a + r.scoreS, 0),
  };
}
