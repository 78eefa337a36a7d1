// The adaptive KL controller over a whole run. A policy's KL from the reference falls as β rises;
// here it settles at KL = c/β each rollout (c chosen so the starting β gives twice the target).
// With the horizon tied to the run, β reaches the β that holds the target within the run; with
// Ziegler et al.'s fixed 10000 samples, a default-sized run leaves β within a few percent of where
// it started (the issue's ±5%). (A fixed β, kl.adaptive false, is checked in ppo-toy.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adaptiveKlUpdate, klHorizon } from '../../src/rlhf/core/kl.js';
import { PPO_DEFAULTS } from '../../src/rlhf/ppo/config.js';

/** β after a run of `iterations` rollouts of `n` samples against a KL that answers c/β. */
function simulate(beta0: number, c: number, target: number, horizon: number, iterations: number, n: number): { beta: number; kl: number } {
  let beta = beta0;
  for (let it = 0; it < iterations; it++) beta = adaptiveKlUpdate(beta, c / beta, n, { init: beta0, target, horizon });
  return { beta, kl: c / beta };
}

test('KL horizon: a tenth of the run by default, never under one rollout; an explicit horizon wins', () => {
  assert.equal(klHorizon(0, 1280, 32), 128);
  assert.equal(klHorizon(0, 64, 32), 32);
  assert.equal(klHorizon(10000, 1280, 32), 10000);
});

test('over a default-sized PPO run, the controller brings the KL to its target', () => {
  const { iterations, rollout: { batchSize: n }, kl: { coef, target } } = PPO_DEFAULTS;
  const H = klHorizon(PPO_DEFAULTS.kl.horizon, iterations * n, n);
  // KL twice the target at the initial β: the controller must double β.
  const high = simulate(coef, 2 * target * coef, target, H, iterations, n);
  assert.ok(Math.abs(high.kl / target - 1) < 0.05, `KL ${high.kl.toFixed(2)} vs target ${target}`);
  assert.ok(Math.abs(high.beta / (2 * coef) - 1) < 0.05, `β ${high.beta} vs ${2 * coef}`);
  // KL at half the target: β must halve.
  const low = simulate(coef, 0.5 * target * coef, target, H, iterations, n);
  assert.ok(Math.abs(low.kl / target - 1) < 0.05, `KL ${low.kl.toFixed(2)} vs target ${target}`);
  // The old fixed horizon: β moves by at most (1 + 0.2·n/10000)^iterations over the same run.
  const old = simulate(coef, 2 * target * coef, target, 10000, iterations, n);
  assert.ok(old.beta / coef < 1.05 && old.kl > 1.9 * target, `β ${old.beta}, KL ${old.kl}`);
});
