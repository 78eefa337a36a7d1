// The comparison statistics against hand-computed values: quantiles, win rates with ties, the
// percentile bootstrap where its distribution can be enumerated, and the frontier share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc, bootstrapMeanCi, comparePaired, frontierGainAt, frontierShare, quantile } from '../../src/eval/stats.js';

const near = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('quantile interpolates between order statistics (type 7)', () => {
  const xs = [1, 2, 4, 8];
  near(quantile(xs, 0), 1);
  near(quantile(xs, 1), 8);
  // h = 3 · 0.5 = 1.5 → 2 + 0.5 · (4 − 2) = 3
  near(quantile(xs, 0.5), 3);
  // h = 3 · 0.9 = 2.7 → 4 + 0.7 · 4 = 6.8
  near(quantile(xs, 0.9), 6.8);
  assert.throws(() => quantile([], 0.5), /no values/);
  assert.throws(() => quantile(xs, 1.5), /q must be/);
});

test('comparePaired counts wins, ties and losses; decisive win rate leaves ties out', () => {
  // diffs: +1, 0, −2, +0.5, 0 → 2 wins, 2 ties, 1 loss
  const r = comparePaired([3, 1, 0, 2.5, 4], [2, 1, 2, 2, 4], { resamples: 200 });
  assert.equal(r.wins, 2);
  assert.equal(r.ties, 2);
  assert.equal(r.losses, 1);
  near(r.winRate, (2 + 1) / 5);
  near(r.decisiveWinRate, 2 / 3);
  near(r.meanDiff, (1 + 0 - 2 + 0.5 + 0) / 5);
  assert.ok(r.meanDiffCi[0] <= r.meanDiff && r.meanDiff <= r.meanDiffCi[1]);
  assert.equal(comparePaired([1, 1], [1, 1]).decisiveWinRate, 0.5);
  assert.throws(() => comparePaired([1], [1, 2]), /1 policy scores for 2/);
  assert.throws(() => comparePaired([NaN], [1]), /not finite/);
});

test('bootstrap: a constant sample has a point interval; two values give the enumerable extremes', () => {
  assert.deepEqual(bootstrapMeanCi([0.25, 0.25, 0.25], { resamples: 50 }), [0.25, 0.25]);
  // From {0, 1} a resample's mean is 0, ½ or 1 with probabilities ¼, ½, ¼: the 2.5% and 97.5%
  // quantiles of many resamples are exactly 0 and 1.
  assert.deepEqual(bootstrapMeanCi([0, 1], { resamples: 4000, seed: 3 }), [0, 1]);
  // At 40% coverage the 30% and 70% quantiles both fall among the ½ means.
  assert.deepEqual(bootstrapMeanCi([0, 1], { resamples: 4000, seed: 3, level: 0.4 }), [0.5, 0.5]);
});

test('bootstrap: seeded, and close to the normal interval on a large sample', () => {
  const xs = Array.from({ length: 400 }, (_, i) => ((i * 37) % 101) / 100);
  assert.deepEqual(bootstrapMeanCi(xs, { seed: 7 }), bootstrapMeanCi(xs, { seed: 7 }));
  const n = xs.length, mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const [lo, hi] = bootstrapMeanCi(xs, { seed: 7, resamples: 4000 });
  near(lo, mean - 1.96 * sd / Math.sqrt(n), 0.006);
  near(hi, mean + 1.96 * sd / Math.sqrt(n), 0.006);
});

test('frontier share interpolates best-of-N in KL and stays flat past its last point', () => {
  const frontier = [{ kl: 0, gain: 0 }, { kl: 0.31, gain: 0.2 }, { kl: 0.86, gain: 0.5 }, { kl: 2.1, gain: 0.8 }];
  near(frontierGainAt(frontier, 0.31), 0.2);
  // halfway between 0.86 and 2.1 → 0.65
  near(frontierGainAt(frontier, 1.48), 0.65);
  near(frontierGainAt(frontier, 9), 0.8);
  near(frontierShare(frontier, 1.48, 0.52)!, 0.8);
  assert.equal(frontierShare([{ kl: 0, gain: 0 }], 1, 0.3), null);
});

test('AUROC: the share of positive–negative pairs ordered right, ties half', () => {
  // Positives 0.9, 0.4; negatives 0.5, 0.1: pairs (0.9>0.5 ✓)(0.9>0.1 ✓)(0.4<0.5 ✗)(0.4>0.1 ✓) = 3/4.
  near(auroc([0.9, 0.5, 0.4, 0.1], [true, false, true, false])!, 0.75);
  // A tie between a positive and a negative counts half: positive 0.5 vs negatives 0.5, 0.2 → 1.5/2.
  near(auroc([0.5, 0.5, 0.2], [true, false, false])!, 0.75);
  near(auroc([1, 2, 3], [true, true, false])!, 0);
  near(auroc([3, 3, 3, 3], [true, false, true, false])!, 0.5);
  assert.equal(auroc([1, 2], [true, true]), null);
  assert.throws(() => auroc([1], [true, false]), /1 scores for 2 labels/);
  assert.throws(() => auroc([NaN, 1], [true, false]), /not finite/);
});
