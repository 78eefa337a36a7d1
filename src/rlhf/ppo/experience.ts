// One PPO rollout turned into training data ("experience", as DeepSpeed-Chat calls it): the
// sampled responses with their old log-probs, the reference's log-probs, the critic's values, the
// reward's raw scores (a reward model's or a function's, computed before: they may be async), the
// per-token rewards, and GAE advantages and returns — all computed once, without the tape, before
// any update.
import { noGrad } from '../../engine/autograd.js';
import { reshape } from '../../engine/ops/index.js';
import type { CausalLM, ScalarHeadModel } from '../../models/index.js';
import { joinBatch, responseLogprobs, responseValues, type SequenceBatch } from '../core/batch.js';
import { gae } from '../core/gae.js';
import { klPerToken, type KlEstimator } from '../core/kl.js';
import { whiten, type SumAcross } from '../core/masked.js';
import type { PolicyPrompt } from '../core/prompts.js';
import type { Reference } from '../core/reference.js';
import type { Samples } from '../core/rollout.js';
import { shapeScores, tokenRewards, type ScoreShaping } from './rewards.js';

export interface Experience {
  batch: SequenceBatch;
  /** Per response token, [B·R] (0 on padding). */
  oldLogprobs: Float32Array;
  values: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  stats: ExperienceStats;
}

export interface ExperienceStats {
  /** Mean raw score, and after normalisation, clipping and the no-EOS penalty. */
  score: number;
  shapedScore: number;
  /** Mean KL from the reference per response, Σ_t (log π − log π_ref), nats. */
  kl: number;
  /** Mean response length in tokens, and the share that ended with the stop token. */
  responseLength: number;
  finished: number;
}

export interface ExperienceModels {
  actor: CausalLM;
  critic: ScalarHeadModel;
  ref: Reference;
}

export interface ExperienceSettings {
  padId: number;
  beta: number;
  estimator: KlEstimator;
  gamma: number;
  lambda: number;
  whitenAdvantages: boolean;
  shaping: ScoreShaping;
  /** The sampling log-probs are the policy's own (temperature 1, no top-k), so no recompute. */
  samplingLogprobsExact: boolean;
  /** Under data parallelism, adds partial sums over the ranks, so whitening and the statistics
   * cover the whole rollout (default: this process's alone). */
  across?: SumAcross;
}

const flat = (rows: number[][], R: number): Float32Array => {
  const out = new Float32Array(rows.length * R);
  rows.forEach((r, b) => out.set(r, b * R));
  return out;
};

/** `raw`: the reward source's score of each sampled response, [B]. */
export function makeExperience(m: ExperienceModels, prompts: PolicyPrompt[], samples: Samples, raw: Float32Array, s: ExperienceSettings): Experience {
  const batch = joinBatch(prompts.map((p) => p.ids), samples.responses, s.padId);
  const { B, R, responseMask: mask } = batch;
  const inEval = <T>(model: { training: boolean; train(on?: boolean): unknown }, fn: () => T): T => {
    const was = model.training;
    model.train(false);
    try {
      return noGrad(fn);
    } finally {
      model.train(was);
    }
  };
  const oldLogprobs = s.samplingLogprobsExact ? flat(samples.logprobs, R) : inEval(m.actor, () => responseLogprobs(m.actor, batch).logprobs.f);
  const refLogprobs = m.ref.logprobs(batch);
  const values = inEval(m.critic, () => reshape(responseValues(m.critic, batch), [B * R]).f.slice());
  for (let i = 0; i < values.length; i++) values[i] *= mask[i];
  const scores = shapeScores(raw, samples.finished, s.shaping);

  const kl = klPerToken(oldLogprobs, refLogprobs, s.estimator);
  const rewards = tokenRewards(scores, kl, mask, B, R, s.beta);
  const { advantages, returns } = gae(rewards, values, mask, B, R, s.gamma, s.lambda);

  let klSum = 0, length = 0;
  for (let i = 0; i < mask.length; i++) {
    klSum += mask[i] * (oldLogprobs[i] - refLogprobs[i]);
    length += mask[i];
  }
  const sum = (xs: Float32Array): number => xs.reduce((a, x) => a + x, 0);
  const across = s.across ?? ((partial: number[]) => partial);
  const [rawSum, scoreSum, klTotal, len, finished, n] = across([sum(raw), sum(scores), klSum, length, samples.finished.filter(Boolean).length, B]);
  return {
    batch, oldLogprobs, values, returns,
    advantages: s.whitenAdvantages ? whiten(advantages, mask, true, across) : advantages,
    stats: { score: rawSum / n, shapedScore: scoreSum / n, kl: klTotal / n, responseLength: len / n, finished: finished / n },
  };
}
