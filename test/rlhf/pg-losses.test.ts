// The critic-free policy-gradient pieces against hand-computed values and gradients: the clipped
// loss with DAPO's clip-higher and token-level aggregation, the k3 KL term, DAPO's dynamic
// sampling, RLOO's leave-one-out advantages, and REINFORCE++'s returns with global normalisation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/engine/tensor.js';
import { aggregationWeights, clippedPgLoss, perToken } from '../../src/rlhf/core/pg-loss.js';
import { fillInformative, informativeGroups } from '../../src/rlhf/grpo/dynamic.js';
import { klPenalizedRewards, rlooAdvantages } from '../../src/rlhf/rloo/advantages.js';
import { discountedReturns, groupCentered, reinforcePpAdvantages } from '../../src/rlhf/reinforce/advantages.js';

const near = (a: number, b: number, tol = 1e-5): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-5): void => {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i] - e) <= tol, `[${i}] ${actual[i]} vs ${e}`));
};
const leaf = (xs: number[]): Tensor => Tensor.from(xs).requireGrad();

// Rows [t0, t1] and [t2, pad]; old log-probs 0, so ρ = e^logπ.
//   t0: ρ 1.5,  A +1 → min(1.5, 1.28) = 1.28 (clipped above by ε_high 0.28), ℓ −1.28, no gradient
//   t1: ρ 1.25, A +1 → inside [0.8, 1.28]: ℓ −1.25, dℓ/dlogπ = −A·ρ = −1.25
//   t2: ρ 0.5,  A −1 → min(−0.5, −0.8) = −0.8 (clipped below by ε_low 0.2), ℓ 0.8, no gradient
const pgInput = (aggregation: 'sequence' | 'token', clipHigh: number) => {
  const logprobs = leaf([Math.log(1.5), Math.log(1.25), Math.log(0.5), 7]);
  return {
    logprobs,
    input: {
      logprobs, oldLogprobs: new Float32Array(4), refLogprobs: null, advantages: Float32Array.from([1, 1, -1, 9]),
      mask: Float32Array.from([1, 1, 1, 0]), B: 2, R: 2, clipLow: 0.2, clipHigh, beta: 0, aggregation,
    },
  };
};

test('clipped PG loss, sequence aggregation with clip-higher: per-response means, then the mean over responses', () => {
  const { logprobs, input } = pgInput('sequence', 0.28);
  const { loss, metrics } = clippedPgLoss(input);
  // ½·(½·(−1.28 − 1.25) + 0.8) = −0.2325; t1's gradient ½·½·(−1.25).
  near(loss.item(), -0.2325);
  near(metrics.clipFrac, 2 / 3);
  loss.backward();
  close(logprobs.grad!.data, [0, -0.3125, 0, 0]);
});

test('clipped PG loss, token aggregation (DAPO): one mean over every token of the batch', () => {
  const { logprobs, input } = pgInput('token', 0.28);
  const { loss } = clippedPgLoss(input);
  near(loss.item(), (-1.28 - 1.25 + 0.8) / 3);
  loss.backward();
  close(logprobs.grad!.data, [0, -1.25 / 3, 0, 0]);
});

test('clipped PG loss, symmetric clip: t1 is clipped at 1.2 and loses its gradient', () => {
  const { logprobs, input } = pgInput('token', 0.2);
  const { loss, metrics } = clippedPgLoss(input);
  near(loss.item(), (-1.2 - 1.2 + 0.8) / 3);
  near(metrics.clipFrac, 1);
  loss.backward();
  close(logprobs.grad!.data, [0, 0, 0, 0]);
});

test('clipped PG loss: the k3 KL penalty and its gradient', () => {
  // logπ 0, π_ref 0.5: d = log(π_ref/π) = −ln 2, k3 = e^d − d − 1 = ln 2 − 0.5; dk3/dlogπ = 1 − e^d = 0.5.
  const logprobs = leaf([0]);
  const { loss, metrics } = clippedPgLoss({
    logprobs, oldLogprobs: new Float32Array(1), refLogprobs: Float32Array.from([Math.log(0.5)]), advantages: new Float32Array(1),
    mask: Float32Array.from([1]), B: 1, R: 1, clipLow: 0.2, clipHigh: 0.2, beta: 0.1, aggregation: 'sequence',
  });
  near(metrics.kl, Math.LN2 - 0.5);
  near(loss.item(), 0.1 * (Math.LN2 - 0.5));
  loss.backward();
  near(logprobs.grad!.data[0], 0.05);
});

test('aggregation weights and per-token advantages', () => {
  close(aggregationWeights([1, 1, 1, 0], 2, 2, 'sequence'), [0.25, 0.25, 0.5, 0]);
  close(aggregationWeights([1, 1, 1, 0], 2, 2, 'token'), [1 / 3, 1 / 3, 1 / 3, 0]);
  close(perToken([2, -1], 3), [2, 2, 2, -1, -1, -1]);
  assert.throws(() => clippedPgLoss({ ...pgInput('token', 0.2).input, B: 3 }), /for \[3, 2\]/);
});

test('DAPO dynamic sampling: only groups whose rewards differ, refilled from extra rollouts up to the cap', async () => {
  assert.deepEqual(informativeGroups([1, 1, 0, 1, 2, 2, 0, 0.5], 2), [1, 3]);
  const rollouts = [
    { groups: ['a', 'b', 'c'], rewards: [1, 1, 0, 1, 0, 0] },
    { groups: ['d', 'e', 'f'], rewards: [1, 0, 1, 1, 0, 1] },
  ];
  const draw = async (round: number) => rollouts[round];
  // Round 0 gives b; round 1 gives d and f, and f is beyond the batch.
  assert.deepEqual(await fillInformative(draw, 2, 2, 5), { groups: ['b', 'd'], rounds: 2, drawn: 6 });
  // No extra rollouts allowed: the batch trains on what the first one had.
  assert.deepEqual(await fillInformative(draw, 2, 2, 0), { groups: ['b'], rounds: 1, drawn: 3 });
  // Nothing informative ever: the cap stops it.
  const flat = await fillInformative(async () => ({ groups: [1], rewards: [0, 0] }), 1, 2, 3);
  assert.deepEqual(flat, { groups: [], rounds: 4, drawn: 4 });
  await assert.rejects(fillInformative(async () => ({ groups: [1], rewards: [0] }), 1, 2, 0), /1 groups of 2 came with 1 rewards/);
});

test('RLOO: each response against the mean of the other k − 1; the KL penalty at sequence level', () => {
  // Group [1, 2, 6]: 1 − 8/2 = −3, 2 − 7/2 = −1.5, 6 − 3/2 = 4.5 (= k/(k−1)·(r − mean)); equal rewards give 0.
  close(rlooAdvantages([1, 2, 6, 5, 5, 5], 3), [-3, -1.5, 4.5, 0, 0, 0]);
  assert.throws(() => rlooAdvantages([1, 2, 3], 2), /groups of k = 2/);
  // Row 0: Σ(logπ − logπ_ref) = 0.5 − 1 = −0.5 → 1 + 0.1·0.5; row 1: 0.5 (padding ignored) → 2 − 0.05.
  const { rewards, kl } = klPenalizedRewards([1, 2], [-1, -2, -0.5, 0], [-1.5, -1, -1, 9], [1, 1, 1, 0], 2, 0.1);
  close(kl, [-0.5, 0.5]);
  close(rewards, [1.05, 1.95]);
});

test('REINFORCE++: KL folded into per-token rewards, returns, then normalised over the whole batch', () => {
  // Rewards: row 0 [−0.05, −0.1, −0.2 + 1], row 1 [−0.05 + 3, pad, pad]; γ 1 returns: row 0
  // [0.65, 0.7, 0.8], row 1 [2.95]. Batch mean 1.275; squared deviations sum to 3.7525 over 4
  // tokens, so the sample std is √(3.7525/3).
  const mask = Float32Array.from([1, 1, 1, 1, 0, 0]);
  const kl = [0.5, 1, 2, 0.5, 7, 7];
  const r = reinforcePpAdvantages([1, 3], kl, mask, 2, 3, { beta: 0.1, gamma: 1, k: 1, groupBaseline: false });
  close(r.rewards, [-0.05, -0.1, 0.8, 2.95, 0, 0]);
  close(r.returns, [0.65, 0.7, 0.8, 2.95, 0, 0]);
  const sd = Math.sqrt(3.7525 / 3);
  close(r.advantages, [-0.625 / sd, -0.575 / sd, -0.475 / sd, 1.675 / sd, 0, 0], 1e-4);
  // γ 0.5: 0.8; −0.1 + 0.5·0.8 = 0.3; −0.05 + 0.5·0.3 = 0.1.
  close(discountedReturns(r.rewards, mask, 2, 3, 0.5), [0.1, 0.3, 0.8, 2.95, 0, 0]);
  // The baseline variant centres each prompt's k scores first: [1, 3] → [−1, 1].
  close(groupCentered([1, 3, 2, 2], 2), [-1, 1, 0, 0]);
  const base = reinforcePpAdvantages([1, 3], kl, mask, 2, 3, { beta: 0.1, gamma: 1, k: 2, groupBaseline: true });
  close(base.rewards, [-0.05, -0.1, -1.2, 0.95, 0, 0]);
});
