// The offline preference losses beyond DPO against hand-computed values and gradients: KTO on
// unpaired labels with its batch reference point, ORPO's NLL plus odds ratio, and SimPO's
// length-normalised margin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/engine/tensor.js';
import { ktoLoss, ktoReferencePoint, mismatchedOrder } from '../../src/rlhf/kto/loss.js';
import { orpoLoss } from '../../src/rlhf/orpo/loss.js';
import { simpoLoss } from '../../src/rlhf/simpo/loss.js';
import { assignKlCompletions } from '../../src/rlhf/kto/data.js';

const near = (a: number, b: number, tol = 1e-5): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const leaf = (xs: number[]): Tensor => Tensor.from(xs).requireGrad();
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const softplus = (x: number): number => Math.log1p(Math.exp(x));

test('KTO reference point: the mismatched pairs\' mean log-ratio, never below 0; TRL\'s rotation', () => {
  near(ktoReferencePoint([-1, -1], [-1.5, -2]), 0.75);
  assert.equal(ktoReferencePoint([-1, -2], [-1.5, -1.5]), 0);
  assert.deepEqual(mismatchedOrder(3), [2, 0, 1]);
});

test('KTO loss: λ_D·(1 − σ(β(r − z0))) and λ_U·(1 − σ(β(z0 − r))), averaged over examples', () => {
  // r = [−1 − (−1.5), −2 − (−1.5)] = [0.5, −0.5], z0 0.2, β 0.1, λ_D 1, λ_U 1.5.
  const policy = leaf([-1, -2]);
  const { loss, metrics } = ktoLoss(policy, Float32Array.from([-1.5, -1.5]), [true, false], 0.2, { beta: 0.1, desirableWeight: 1, undesirableWeight: 1.5 });
  near(loss.item(), ((1 - sigmoid(0.03)) + 1.5 * (1 - sigmoid(0.07))) / 2);
  near(metrics.rewardDesirable, 0.05);
  near(metrics.rewardUndesirable, -0.05);
  near(metrics.accuracy, 1);
  near(metrics.kl, 0.2);
  loss.backward();
  // d/dr of 1 − σ(β(r − z0)) is −β·σ(1 − σ); of 1 − σ(β(z0 − r)) it is +β·σ(1 − σ); both over B = 2.
  near(policy.grad!.data[0], (-0.1 * sigmoid(0.03) * (1 - sigmoid(0.03))) / 2);
  near(policy.grad!.data[1], (1.5 * 0.1 * sigmoid(0.07) * (1 - sigmoid(0.07))) / 2);
});

test('ORPO loss: chosen NLL per token plus λ times −log σ(log-odds ratio)', () => {
  // Chosen: Σ log π −2 over 2 tokens (P = e^−1); rejected: −6 over 3 (P = e^−2).
  const lo = (a: number): number => a - Math.log(1 - Math.exp(a));
  const ratio = lo(-1) - lo(-2);
  near(lo(-1), -0.541325);
  near(lo(-2), -1.854587);
  const chosen = leaf([-2]), rejected = leaf([-6]);
  const { loss, metrics } = orpoLoss(chosen, rejected, [2], [3], 0.1);
  near(metrics.nll, 1);
  near(metrics.oddsRatioLoss, softplus(-ratio));
  near(loss.item(), 1 + 0.1 * softplus(-ratio));
  near(metrics.logOddsRatio, ratio);
  near(metrics.rewardChosen, -0.1);
  loss.backward();
  // d log odds / da = 1/(1 − e^a), da/dΣ = 1/|y|, d(−log σ(x))/dx = −σ(−x).
  near(chosen.grad!.data[0], -1 / 2 - (0.1 * sigmoid(-ratio)) / (1 - Math.exp(-1)) / 2);
  near(rejected.grad!.data[0], (0.1 * sigmoid(-ratio)) / (1 - Math.exp(-2)) / 3);
  // The NLL pools tokens over the batch: (2 + 3)/(2 + 1), not the mean of per-response means.
  near(orpoLoss(leaf([-2, -3]), leaf([-6, -6]), [2, 1], [3, 3], 0.1).metrics.nll, 5 / 3);
});

test('SimPO loss: −log σ(β·(ā_w − ā_l) − γ) on length-normalised log-probs, with label smoothing', () => {
  // ā_w = −2/2 = −1, ā_l = −6/3 = −2; β 2, γ 1: z = 2·1 − 1 = 1.
  const chosen = leaf([-2]), rejected = leaf([-6]);
  const { loss, metrics } = simpoLoss(chosen, rejected, [2], [3], { beta: 2, gamma: 1, labelSmoothing: 0 });
  near(loss.item(), softplus(-1));
  near(metrics.rewardChosen, -2);
  near(metrics.rewardRejected, -4);
  near(metrics.margin, 2);
  near(metrics.rewardAccuracy, 1);
  loss.backward();
  near(chosen.grad!.data[0], -sigmoid(-1) * 2 / 2);
  near(rejected.grad!.data[0], sigmoid(-1) * 2 / 3);
  const smooth = simpoLoss(leaf([-2]), leaf([-6]), [2], [3], { beta: 2, gamma: 1, labelSmoothing: 0.1 });
  near(smooth.loss.item(), 0.9 * softplus(-1) + 0.1 * softplus(1));
  // Unnormalised, the longer rejected response would look worse; normalised, equal per-token
  // log-probs are a tie: z = −γ.
  near(simpoLoss(leaf([-2]), leaf([-6]), [2], [6], { beta: 2, gamma: 1, labelSmoothing: 0 }).loss.item(), softplus(1));
});

test('KTO data: each example\'s KL completion is the previous one\'s within its chunk, cut to fit', () => {
  const ex = (prompt: number[], completion: number[]) => ({ prompt, completion, desirable: true, klCompletion: [], ref: 0, refKl: 0 });
  const examples = [ex([1], [10]), ex([2], [20, 21]), ex([3, 3, 3], [30]), ex([4], [40]), ex([5], [50])];
  assignKlCompletions(examples, 3, 4);
  // Chunk [0, 1, 2]: 0 ← 2's, 1 ← 0's, 2 ← 1's (cut to 4 − 3 = 1 token); chunk [3, 4]: 3 ← 4's, 4 ← 3's.
  assert.deepEqual(examples.map((e) => e.klCompletion), [[30], [10], [20], [50], [40]]);
});
