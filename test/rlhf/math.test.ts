// Shared RLHF math against values computed by hand: GAE, whitening and masked statistics, the KL
// estimators, the adaptive KL controller, log σ, GRPO's group advantages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/engine/tensor.js';
import { gae } from '../../src/rlhf/core/gae.js';
import { explainedVariance, maskedMean, maskedVar, whiten } from '../../src/rlhf/core/masked.js';
import { adaptiveKlUpdate, klPerToken } from '../../src/rlhf/core/kl.js';
import { logSigmoid } from '../../src/rlhf/core/ops.js';
import { groupAdvantages } from '../../src/rlhf/grpo/loss.js';
import { shapeScores, tokenRewards } from '../../src/rlhf/ppo/rewards.js';

const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-5): void => {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i] - e) <= tol, `[${i}] ${actual[i]} vs ${e}`));
};

test('GAE: γ 1, λ 0.95 over a terminal reward, and a one-token row with padding', () => {
  // Row 0: δ2 = 1 − 0.7 = 0.3; δ1 = 0.7 − 0.6 = 0.1, A1 = 0.1 + 0.95·0.3 = 0.385;
  //        δ0 = 0.6 − 0.5 = 0.1, A0 = 0.1 + 0.95·0.385 = 0.46575. Returns = A + V.
  // Row 1: one real token, A = 0.5 − 0.2 = 0.3; padding stays 0 whatever its value or reward.
  const { advantages, returns } = gae([0, 0, 1, 0.5, 9, 9], [0.5, 0.6, 0.7, 0.2, 5, 5], [1, 1, 1, 1, 0, 0], 2, 3, 1, 0.95);
  close(advantages, [0.46575, 0.385, 0.3, 0.3, 0, 0]);
  close(returns, [0.96575, 0.985, 1, 0.5, 0, 0]);
});

test('GAE: γ 0.5, λ 1 is the discounted return minus the value', () => {
  // A1 = 2 − 0 = 2; A0 = 1 + 0.5·0 − 0 + 0.5·1·2 = 2.
  const { advantages, returns } = gae([1, 2], [0, 0], [1, 1], 1, 2, 0.5, 1);
  close(advantages, [2, 2]);
  close(returns, [2, 2]);
});

test('masked mean, variance (n − 1), whitening and explained variance', () => {
  const x = [1, 2, 3, 40], mask = [1, 1, 1, 0];
  assert.equal(maskedMean(x, mask), 2);
  assert.equal(maskedVar(x, mask), 1);
  close(whiten(x, mask), [-1, 0, 1, 0], 1e-6);
  close(whiten(x, mask, false), [1, 2, 3, 0], 1e-6);
  assert.equal(explainedVariance([1, 2, 3, 0], [1, 2, 3, 7], mask), 1);
  // A constant prediction at the mean explains nothing.
  assert.ok(Math.abs(explainedVariance([2, 2, 2, 0], [1, 2, 3, 7], mask)) < 1e-12);
});

test('KL estimators k1 and k3 per token', () => {
  // π = 0.5, π_ref = 0.25: k1 = log 2; r = 0.5, k3 = (0.5 − 1) − log 0.5 = log 2 − 0.5.
  const kl1 = klPerToken([Math.log(0.5)], [Math.log(0.25)], 'k1');
  const kl3 = klPerToken([Math.log(0.5)], [Math.log(0.25)], 'k3');
  close(kl1, [Math.LN2]);
  close(kl3, [Math.LN2 - 0.5]);
  // k3 never goes negative, k1 does when π < π_ref.
  assert.ok(klPerToken([Math.log(0.25)], [Math.log(0.5)], 'k1')[0] < 0);
  assert.ok(klPerToken([Math.log(0.25)], [Math.log(0.5)], 'k3')[0] > 0);
});

test('adaptive KL controller (Ziegler et al.): clipped proportional update', () => {
  const c = { init: 0.1, target: 6, horizon: 10000 };
  // KL 9: error 0.5 clipped to 0.2 → β·(1 + 0.2·32/10000).
  assert.ok(Math.abs(adaptiveKlUpdate(0.1, 9, 32, c) - 0.100064) < 1e-12);
  // KL 5.4: error −0.1 → β·(1 − 0.1·32/10000).
  assert.ok(Math.abs(adaptiveKlUpdate(0.1, 5.4, 32, c) - 0.099968) < 1e-12);
  // Target 0: a fixed coefficient.
  assert.equal(adaptiveKlUpdate(0.1, 50, 32, { ...c, target: 0 }), 0.1);
});

test('log σ is exact and stable at large |x|', () => {
  const y = logSigmoid(Tensor.from([-100, 0, 100, 2]));
  close(y.data, [-100, -Math.LN2, 0, -Math.log1p(Math.exp(-2))], 1e-5);
});

test('PPO rewards: −β·KL per token, the normalised clipped score at the last token, the no-EOS penalty', () => {
  // Scores 3 and 11 with mean 1, std 2 → z 1 and 5, clipped to 4; row 1 never stopped: 4 − 1 = 3.
  const scores = shapeScores([3, 11], [true, false], { mean: 1, std: 2, clip: 4, missingEosPenalty: 1 });
  close(scores, [1, 3]);
  const r = tokenRewards(scores, [0.5, 1, 2, 0.5, 7, 7], [1, 1, 1, 1, 0, 0], 2, 3, 0.1);
  close(r, [-0.05, -0.1, -0.2 + 1, -0.05 + 3, 0, 0]);
});

test('GRPO group advantages: standardised within each group (sample std)', () => {
  // [1, 0, 0, 0]: mean 0.25, std √(0.75/3) = 0.5; a group of equal rewards carries no signal.
  const a = groupAdvantages([1, 0, 0, 0, 2, 2, 2, 2], 4);
  close(a, [0.75 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001, 0, 0, 0, 0]);
  assert.throws(() => groupAdvantages([1, 2, 3], 2), /groups of 2/);
});
