// Best-of-N against SFT: the curve on hand-computed candidates, the KL bound and the sizes measured,
// and a reward-function plug-in as the judge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { bestOfN, bestOfNCurve, bestOfNKl, bestOfNSizes, winRateCeiling } from '../../src/rlhf/bestofn.js';
import { loadPretrained } from '../../src/models/index.js';
import { loadTokenizer } from '../../src/tokenizer/index.js';
import { encodePrompt } from '../../src/rlhf/core/prompts.js';
import { loadRewardFn } from '../../src/rlhf/reward/plugin.js';
import { rewardFnSource } from '../../src/rlhf/reward/source.js';
import { tinyChatModel } from '../train/helpers.js';

test('best-of-N KL bound is log N − (N−1)/N, and the curve is measured at powers of two and N', () => {
  assert.equal(bestOfNKl(1), 0);
  assert.ok(Math.abs(bestOfNKl(2) - (Math.log(2) - 0.5)) < 1e-12);
  assert.ok(Math.abs(bestOfNKl(64) - (Math.log(64) - 63 / 64)) < 1e-12);
  assert.deepEqual(bestOfNSizes(1), [1]);
  assert.deepEqual(bestOfNSizes(8), [1, 2, 4, 8]);
  assert.deepEqual(bestOfNSizes(6), [1, 2, 4, 6]);
});

test('best-of-N win rates and gold gains: the gold labeler or the reward model picks, ties count half, pass@N over checkable prompts', () => {
  const candidates = [
    { gold: [1, 3, 2], reward: [5, 0, 9], correct: [false, true, false] },
    { gold: [0, 0, 4], reward: [1, 2, 3], correct: null },
  ];
  const curve = bestOfNCurve(candidates, [2, 0], [1, 2, 3]);
  // N = 1: both judges take the first sample: a loss (1 < 2) and a tie (0 = 0); gain (1 + 0 − 2 − 0) / 2.
  assert.deepEqual(curve[0], { n: 1, kl: 0, goldWinRate: 0.25, rewardWinRate: 0.25, goldGain: -0.5, rewardGain: -0.5, passRate: 0 });
  // N = 2: gold takes 3 (win) and a 0 (tie); the RM takes 1 (loss) and a 0 (tie).
  assert.equal(curve[1].goldWinRate, 0.75);
  assert.equal(curve[1].rewardWinRate, 0.25);
  assert.equal(curve[1].passRate, 1);
  // gold picks 3 and 0: (3 + 0 − 2) / 2; the RM picks 1 and 0: (1 − 2) / 2.
  assert.equal(curve[1].goldGain, 0.5);
  assert.equal(curve[1].rewardGain, -0.5);
  // N = 3: gold wins both; the RM's pick ties the first (2 = 2) and wins the second.
  assert.equal(curve[2].goldWinRate, 1);
  assert.equal(curve[2].rewardWinRate, 0.75);
  assert.equal(curve[2].goldGain, (3 + 4 - 2) / 2);
  assert.equal(curve[2].rewardGain, (2 + 4 - 2) / 2);
  assert.ok(Math.abs(curve[2].kl - (Math.log(3) - 2 / 3)) < 1e-12);
  assert.equal(bestOfNCurve([candidates[1]], [0], [1])[0].passRate, null);
});

test('best-of-N refuses fewer candidates than N and mismatched baselines', () => {
  assert.throws(() => bestOfNCurve([{ gold: [1], reward: [1], correct: null }], [0], [2]), /prompt 1 has 1 candidates, fewer than N = 2/);
  assert.throws(() => bestOfNCurve([{ gold: [1], reward: [1], correct: null }], [0, 1], [1]), /1 candidate sets for 2 baseline scores/);
});

test('win-rate ceiling: a perfect policy ties only where the baseline is already perfect', () => {
  const add = { kind: 'instruction' as const, task: 'add' as const, answer: '42' };
  const golds = [add, add, add, { kind: 'continuation' as const }];
  // Perfect (3 + 0.99), wrong, right but wordy, a neutral continuation: one tie, three wins.
  assert.equal(winRateCeiling(golds, [3 + 0.99, 1.99, 3.5, 0]), 3.5 / 4);
  assert.equal(winRateCeiling([add], [3.99]), 0.5);
  assert.throws(() => winRateCeiling(golds, [0]), /4 prompts for 1 baseline scores/);
});

test('best-of-N with a reward-function plug-in as the judge: the gold labeler as a plug-in picks as the gold labeler does', async () => {
  const base = tinyChatModel(), tok = loadTokenizer(base);
  const prompts = ['the day was', 'a walk in', 'the cat sat'].map((t) => ({ ids: encodePrompt(tok, t), messages: [{ role: 'user' as const, content: t }], text: t, gold: { kind: 'continuation' as const }, record: { prompt: t, gold: { kind: 'continuation' } } }));
  const judge = rewardFnSource(await loadRewardFn(fileURLToPath(new URL('../../examples/reward-fns/gold.js', import.meta.url))), tok);
  const { curve } = await bestOfN(await loadPretrained(base), judge, tok, prompts, [0, 0, 0], { n: 4, maxNewTokens: 6, temperature: 1, seed: 3 });
  assert.deepEqual(curve.map((p) => p.rewardWinRate), curve.map((p) => p.goldWinRate));
});
