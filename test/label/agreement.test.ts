// Kendall's tau-b against values worked by hand (and agreeing with scipy.stats.kendalltau), and the
// agreement report's averaging over shared prompts and labeler pairs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agreement, kendallTauB, pairCounts } from '../../src/label/agreement.js';

const near = (a: number | null, b: number, tol = 1e-12): void => assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('tau-b without ties: same order 1, reversed −1, one swap of four 4/6', () => {
  near(kendallTauB([0, 1, 2, 3], [0, 1, 2, 3]), 1);
  near(kendallTauB([0, 1, 2, 3], [3, 2, 1, 0]), -1);
  // Only the pair (0, 1) is discordant: (5 − 1) / 6.
  near(kendallTauB([0, 1, 2, 3], [1, 0, 2, 3]), 4 / 6);
});

test('tau-b with ties: the tied pairs leave the denominator', () => {
  // x ties items 0 and 1; the other five pairs are concordant: 5 / √((6 − 1)(6 − 0)) = 0.9128709…
  assert.deepEqual(pairCounts([0, 0, 1, 2], [0, 1, 2, 3]), { concordant: 5, discordant: 0, tiedFirst: 1, tiedSecond: 0, pairs: 6 });
  near(kendallTauB([0, 0, 1, 2], [0, 1, 2, 3]), 5 / Math.sqrt(30));
  near(kendallTauB([0, 0, 1, 2], [0, 1, 2, 3]), 0.9128709291752769);
  // Pairs of x = [0,1,1,2], y = [1,0,2,2]: (0,1) discordant; (0,2), (0,3), (1,3) concordant; (1,2) tied
  // in x; (2,3) tied in y: (3 − 1) / √(5 · 5) = 0.4.
  assert.deepEqual(pairCounts([0, 1, 1, 2], [1, 0, 2, 2]), { concordant: 3, discordant: 1, tiedFirst: 1, tiedSecond: 1, pairs: 6 });
  near(kendallTauB([0, 1, 1, 2], [1, 0, 2, 2]), 0.4);
  // The same tie on both sides: still perfect agreement, 2 / √(2 · 2).
  near(kendallTauB([0, 0, 1], [0, 0, 1]), 1);
  // x = [0,0,1,1] against y = [0,1,0,1]: one concordant, one discordant pair, so 0.
  near(kendallTauB([0, 0, 1, 1], [0, 1, 0, 1]), 0);
});

test('tau-b is undefined when a labeler ties everything, and rankings must match in length', () => {
  assert.equal(kendallTauB([0, 0, 0], [0, 1, 2]), null);
  assert.throws(() => kendallTauB([0, 1], [0, 1, 2]), /2 and 3 items/);
});

test('agreement: mean over (prompt, labeler pair), per pair and per labeler, all-tied rankings left out', () => {
  const r = agreement([
    // Prompt 1: ann and bob agree (τ 1), cy swaps one pair against both (τ 4/6 each).
    { task: 1, labeler: 'ann', ranks: [0, 1, 2, 3] },
    { task: 1, labeler: 'bob', ranks: [0, 1, 2, 3] },
    { task: 1, labeler: 'cy', ranks: [1, 0, 2, 3] },
    // Prompt 2: ann and bob exactly reversed (τ −1).
    { task: 2, labeler: 'bob', ranks: [2, 1, 0] },
    { task: 2, labeler: 'ann', ranks: [0, 1, 2] },
    // Prompt 3: bob ties everything: shared, but τ undefined, so not in the means.
    { task: 3, labeler: 'ann', ranks: [0, 1] },
    { task: 3, labeler: 'bob', ranks: [0, 0] },
    // Prompt 4: ranked by one labeler only: nothing to compare.
    { task: 4, labeler: 'cy', ranks: [0, 1] },
  ]);
  assert.equal(r.comparisons, 4);
  near(r.tau, (1 + 4 / 6 + 4 / 6 - 1) / 4);
  // Response pairs ordered strictly by both: 6 + 6 + 6 (prompt 1) + 3 (prompt 2); agreed 6 + 5 + 5.
  near(r.pairAgreement, 16 / 21);
  const pair = (a: string, b: string) => r.byPair.find((p) => p.a === a && p.b === b)!;
  assert.deepEqual({ ...pair('ann', 'bob'), tau: null }, { a: 'ann', b: 'bob', shared: 3, tau: null });
  near(pair('ann', 'bob').tau, 0);
  near(pair('ann', 'cy').tau, 4 / 6);
  assert.deepEqual(r.byLabeler.map((l) => [l.labeler, l.comparisons]), [['ann', 4], ['bob', 4], ['cy', 2]]);
  near(r.byLabeler[0].tau, (1 + 4 / 6 - 1) / 3);
  near(r.byLabeler[2].tau, 4 / 6);
});

test('agreement with no shared prompt is empty, not zero', () => {
  const r = agreement([{ task: 1, labeler: 'ann', ranks: [0, 1] }]);
  assert.equal(r.tau, null);
  assert.equal(r.pairAgreement, null);
  assert.equal(r.comparisons, 0);
});
