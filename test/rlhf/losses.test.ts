// The losses against hand-computed values and gradients: PPO's clipped surrogate and clipped value
// loss, the reward model's pairwise loss over a ranking of K = 4, DPO (sigmoid, conservative) and
// IPO, and GRPO's per-response mean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/engine/tensor.js';
import { ppoPolicyLoss, ppoValueLoss } from '../../src/rlhf/ppo/loss.js';
import { rankingPairs, rewardPairLoss } from '../../src/rlhf/reward/loss.js';
import { dpoLoss } from '../../src/rlhf/dpo/loss.js';
import { grpoLoss } from '../../src/rlhf/grpo/loss.js';

const near = (a: number, b: number, tol = 1e-5): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const leaf = (xs: number[]): Tensor => Tensor.from(xs).requireGrad();
const softplus = (x: number): number => Math.log1p(Math.exp(x));

test('PPO policy loss: the clipped term wins where it is pessimistic, and passes no gradient', () => {
  // Tokens: ρ 1.5 with A +1 → max(−1.5, −1.2) = −1.2 (clipped); ρ 0.5 with A +1 → max(−0.5, −0.8)
  // = −0.5 (unclipped); ρ 0.5 with A −1 → max(0.5, 0.8) = 0.8 (clipped); the 4th is padding.
  const logprobs = leaf([Math.log(1.5), Math.log(0.5), Math.log(0.5), 3]);
  const { loss, metrics } = ppoPolicyLoss({
    logprobs, oldLogprobs: new Float32Array(4), advantages: Float32Array.from([1, 1, -1, 5]), mask: Float32Array.from([1, 1, 1, 0]),
    clipRange: 0.2, entropy: Tensor.from([1, 2, 3, 100]), entropyCoef: 0,
  });
  near(loss.item(), (-1.2 - 0.5 + 0.8) / 3);
  near(metrics.clipFrac, 2 / 3);
  near(metrics.entropy, 2);
  near(metrics.approxKl, (0.5 * (Math.log(1.5) ** 2 + 2 * Math.log(0.5) ** 2)) / 3);
  loss.backward();
  // d/dlogπ of −A·ρ is −A·ρ; only the unclipped token has a gradient: −0.5/3.
  const g = logprobs.grad!.data;
  near(g[0], 0);
  near(g[1], -0.5 / 3);
  near(g[2], 0);
  near(g[3], 0);
});

test('PPO policy loss with an entropy bonus subtracts c_H·H', () => {
  const entropy = leaf([1, 3]);
  const { loss } = ppoPolicyLoss({
    logprobs: leaf([0, 0]), oldLogprobs: new Float32Array(2), advantages: Float32Array.from([1, -1]), mask: Float32Array.from([1, 1]),
    clipRange: 0.2, entropy, entropyCoef: 0.1,
  });
  near(loss.item(), 0 - 0.1 * 2);
  loss.backward();
  near(entropy.grad!.data[0], -0.05);
});

test('PPO value loss: ½·max of the unclipped and clipped squared errors', () => {
  // Token 0: V 1, old 0.5, R 1: (1 − 1)² = 0 vs clipped V 0.7: 0.09 → 0.09.
  // Token 1: V 2, old 0.5, R 0: 4 vs clipped 0.7: 0.49 → 4. Loss ½·(0.09 + 4)/2.
  const values = leaf([1, 2]);
  const { loss, metrics } = ppoValueLoss({ values, oldValues: Float32Array.from([0.5, 0.5]), returns: Float32Array.from([1, 0]), mask: Float32Array.from([1, 1]), clipRange: 0.2 });
  near(loss.item(), 0.5 * (0.09 + 4) / 2);
  near(metrics.valueClipFrac, 0.5);
  loss.backward();
  // Token 0's clipped error wins and V is outside the clip: no gradient; token 1: ½·2·(2 − 0)/2 = 1.
  near(values.grad!.data[0], 0);
  near(values.grad!.data[1], 1);
});

test('reward model pair loss: a ranking of K = 4 gives 6 pairs kept together, then elements averaged', () => {
  // Element 0 ranks responses [2, 0, 3, 1] best first; its scores in that order are 2, 1, 0, −1, so
  // the pair margins are 1, 2, 3, 1, 2, 1. Element 1 (K = 2) ranks 0 over 1 but scores 0 < 1.
  const pairs = rankingPairs([[2, 0, 3, 1], [0, 1]]);
  assert.deepEqual([...pairs.winners], [2, 2, 2, 0, 0, 3, 4]);
  assert.deepEqual([...pairs.losers], [0, 3, 1, 3, 1, 1, 5]);
  const scores = leaf([1, -1, 2, 0, 0, 1]);
  const { loss, metrics } = rewardPairLoss(scores, pairs);
  const element0 = (3 * softplus(-1) + 2 * softplus(-2) + softplus(-3)) / 6;
  near(element0, 0.2070381);
  near(loss.item(), (element0 + softplus(1)) / 2);
  near(metrics.accuracy, 6 / 7);
  loss.backward();
  // d/dr for element 1's winner: −σ(−(0 − 1))/2 = −σ(1)/2.
  near(scores.grad!.data[4], -1 / (1 + Math.exp(-1)) / 2);
});

test('DPO sigmoid, conservative DPO and IPO losses', () => {
  // h = (−1 − (−2)) − (−1.5 − (−1.5)) = 1.
  const refC = Float32Array.from([-1.5]), refR = Float32Array.from([-1.5]);
  const sig = dpoLoss(leaf([-1]), leaf([-2]), refC, refR, { beta: 0.1, type: 'sigmoid', labelSmoothing: 0 });
  near(sig.loss.item(), softplus(-0.1));
  near(sig.metrics.rewardChosen, 0.05);
  near(sig.metrics.rewardRejected, -0.05);
  near(sig.metrics.rewardAccuracy, 1);
  const cdpo = dpoLoss(leaf([-1]), leaf([-2]), refC, refR, { beta: 0.1, type: 'sigmoid', labelSmoothing: 0.1 });
  near(cdpo.loss.item(), 0.9 * softplus(-0.1) + 0.1 * softplus(0.1));
  const chosen = leaf([-1]);
  const ipo = dpoLoss(chosen, leaf([-2]), refC, refR, { beta: 0.1, type: 'ipo', labelSmoothing: 0 });
  near(ipo.loss.item(), (1 - 5) ** 2);
  ipo.loss.backward();
  near(chosen.grad!.data[0], 2 * (1 - 5));
});

test('RPO: DPO plus α × the chosen responses\' NLL per token over the batch', () => {
  // Sums −3 and −5 over 2 and 3 tokens: NLL = 8 / 5 = 1.6; each sum's gradient −α / 5.
  const refC = Float32Array.from([-3, -5]), refR = Float32Array.from([-4, -6]);
  const chosen = leaf([-3, -5]);
  const plain = dpoLoss(leaf([-3, -5]), leaf([-4, -6]), refC, refR, { beta: 0.1, type: 'sigmoid', labelSmoothing: 0 });
  const rpo = dpoLoss(chosen, leaf([-4, -6]), refC, refR, { beta: 0.1, type: 'sigmoid', labelSmoothing: 0, rpoAlpha: 0.5, chosenLengths: [2, 3] });
  near(plain.loss.item(), softplus(0));
  near(rpo.loss.item(), softplus(0) + 0.5 * 1.6);
  near(rpo.metrics.nll!, 1.6);
  rpo.loss.backward();
  // d/dc of −mean log σ(β·h) at h = 0 is −β/2 · 1/B = −0.025; the NLL adds −0.5 / 5.
  near(chosen.grad!.data[0], -0.025 - 0.1);
  near(chosen.grad!.data[1], -0.025 - 0.1);
  // IPO's per-token means count once per token: (−1.5·2 − (5/3)·3) / 5 = 1.6.
  const ipo = dpoLoss(leaf([-1.5, -5 / 3]), leaf([-2, -2]), Float32Array.from([-1.5, -5 / 3]), Float32Array.from([-2, -2]), { beta: 0.1, type: 'ipo', labelSmoothing: 0, rpoAlpha: 1, chosenLengths: [2, 3] });
  near(ipo.metrics.nll!, 1.6);
});

test('GRPO loss: per-response token means, then the mean over responses', () => {
  // Response 0 (2 tokens, A +1, ρ 1): −1 per token → −1; response 1 (1 token, A −1, ρ 1): +1.
  // Loss (−1 + 1)/2 = 0; the gradient of each token is −A/(|o|·B).
  const logprobs = leaf([0, 0, 0, 0]);
  const { loss } = grpoLoss({
    logprobs, oldLogprobs: new Float32Array(4), refLogprobs: null, advantages: Float32Array.from([1, -1]),
    mask: Float32Array.from([1, 1, 1, 0]), B: 2, R: 2, clipRange: 0.2, beta: 0,
  });
  near(loss.item(), 0);
  loss.backward();
  const g = logprobs.grad!.data;
  near(g[0], -0.25);
  near(g[1], -0.25);
  near(g[2], 0.5);
  near(g[3], 0);
});
