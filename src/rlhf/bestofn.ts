// Best-of-N against the SFT policy, the yardstick for the trained policies' win rates. For each
// held-out prompt the SFT policy samples N responses and a judge keeps the one it scores highest;
// that response then meets an independent SFT sample (the baseline, given as its gold scores) before
// the gold labeler, as a trained policy does. Beside the win rate, each point gives the gold gain:
// the mean gold score of the picks minus the baseline's, the frontier a policy's own gain is read
// against at the same KL (src/eval/stats.ts frontierShare). With the gold labeler itself as the judge, the curve is about the most any policy
// this close to SFT can win (best-of-N is near-optimal for win rate at its KL, Yang et al. 2024),
// though the labeler picks with the answer key in hand; with the reward model (or any reward
// function: reward/source.ts) as the judge, it shows how much of that the judge captures. Best-of-N lies within log N − (N−1)/N nats of the
// policy (Stiennon et al. 2020; Beirami et al. 2024 show the formula is an upper bound), so each N is
// a point of win rate against KL, on the same axes as a trained policy's (win rate, KL) point.
import type { CausalLM } from '../models/index.js';
import { goldMax, goldScore, isCorrect, type Gold } from '../data/default/labelers.js';
import { hashString32 } from '../data/hash.js';
import { stopIds, type Tokenizer } from '../tokenizer/index.js';
import { responseText, type PolicyPrompt } from './core/prompts.js';
import { sampleResponses } from './core/rollout.js';
import type { RewardSource } from './reward/source.js';

export interface BestOfNPoint {
  n: number;
  /** log N − (N−1)/N: the KL of best-of-N from the policy, in nats (an upper bound). */
  kl: number;
  /** Win rate against the SFT sample when the gold labeler picks the best of N. */
  goldWinRate: number;
  /** The same when the judge (the reward model, or a reward function) picks. */
  rewardWinRate: number;
  /** Mean gold score of the gold labeler's picks minus the baseline's mean gold score. */
  goldGain: number;
  /** The same for the judge's picks. */
  rewardGain: number;
  /** Share of instruction prompts with a correct answer among the N samples (pass@N; null without
   * instruction prompts). */
  passRate: number | null;
}

/** One prompt's candidates: gold and reward-model scores, and whether each is correct (null for a
 * prompt without a checkable answer). */
export interface BestOfNCandidates {
  gold: number[];
  reward: number[];
  correct: boolean[] | null;
}

/** KL(best-of-n ‖ π) ≤ log n − (n−1)/n. */
export const bestOfNKl = (n: number): number => Math.log(n) - (n - 1) / n;

/** 1, 2, 4, … up to n, and n itself. */
export function bestOfNSizes(n: number): number[] {
  const out: number[] = [];
  for (let s = 1; s < n; s *= 2) out.push(s);
  out.push(n);
  return out;
}

/** The curve at each size: a judge keeps the first of the N candidates it scores highest; a win
 * counts 1, a tie ½ (comparePolicies' rule). */
export function bestOfNCurve(candidates: BestOfNCandidates[], baselineGold: number[], sizes: number[]): BestOfNPoint[] {
  if (candidates.length !== baselineGold.length) throw new Error(`bestOfNCurve: ${candidates.length} candidate sets for ${baselineGold.length} baseline scores`);
  const win = (x: number, base: number): number => (x > base ? 1 : x === base ? 0.5 : 0);
  const argmax = (xs: number[], n: number): number => {
    let best = 0;
    for (let j = 1; j < n; j++) if (xs[j] > xs[best]) best = j;
    return best;
  };
  const checkable = candidates.filter((c) => c.correct !== null).length;
  const base = baselineGold.reduce((a, b) => a + b, 0);
  return sizes.map((n) => {
    let gold = 0, reward = 0, passed = 0, goldSum = 0, rewardSum = 0;
    candidates.forEach((c, i) => {
      if (c.gold.length < n || c.reward.length < n) throw new Error(`bestOfNCurve: prompt ${i + 1} has ${Math.min(c.gold.length, c.reward.length)} candidates, fewer than N = ${n}`);
      const g = c.gold[argmax(c.gold, n)], r = c.gold[argmax(c.reward, n)];
      gold += win(g, baselineGold[i]);
      reward += win(r, baselineGold[i]);
      goldSum += g;
      rewardSum += r;
      if (c.correct?.slice(0, n).some(Boolean)) passed++;
    });
    const m = candidates.length || 1;
    return {
      n, kl: bestOfNKl(n), goldWinRate: gold / m, rewardWinRate: reward / m, goldGain: (goldSum - base) / m, rewardGain: (rewardSum - base) / m,
      passRate: checkable ? passed / checkable : null,
    };
  });
}

/** The win rate of a policy with a perfect response to every prompt: it wins wherever the baseline
 * scores below the labeler's maximum and ties where the baseline is already perfect. No policy, at
 * any KL, beats this against the same baseline samples. */
export function winRateCeiling(golds: Gold[], baselineGold: number[]): number {
  if (golds.length !== baselineGold.length) throw new Error(`winRateCeiling: ${golds.length} prompts for ${baselineGold.length} baseline scores`);
  // goldScore's 0.99 × conciseness can land a rounding error below 3.99.
  const perfect = golds.filter((g, i) => baselineGold[i] >= goldMax(g) - 1e-9).length;
  return golds.length ? (golds.length - perfect / 2) / golds.length : 0;
}

export interface BestOfNResult {
  curve: BestOfNPoint[];
  /** winRateCeiling against the same SFT samples. */
  ceiling: number;
}

export interface BestOfNOptions {
  /** The largest N; the curve is measured at 1, 2, 4, … and N. */
  n: number;
  maxNewTokens: number;
  temperature: number;
  /** Seed of the candidates' sampling. */
  seed: number;
}

/** Samples N candidates per prompt from `sft`, scores them with the gold labeler and `judge` (a
 * reward model or function), and measures the curve and the ceiling against the baseline: one
 * independent SFT sample per prompt, given by its gold score. */
export async function bestOfN(sft: CausalLM, judge: RewardSource, tok: Tokenizer, prompts: PolicyPrompt[], baselineGold: number[], o: BestOfNOptions): Promise<BestOfNResult> {
  const golds = prompts.map((p, i) => {
    if (!p.gold) throw new Error(`bestOfN: prompt ${i + 1} has no gold record to judge it by`);
    return p.gold;
  });
  const ids = prompts.map((p) => p.ids);
  // One prompt per chunk, so no padding.
  const repeated = ids.flatMap((x) => Array<number[]>(o.n).fill(x));
  const cands = await sampleResponses(sft, repeated, {
    maxNewTokens: o.maxNewTokens, temperature: o.temperature, topK: 0, stopTokenIds: stopIds(tok, sft.generationConfig.eosTokenId ?? sft.config.eosTokenId), seed: hashString32('best-of-n', o.seed), chunk: o.n,
  });
  const reward = await judge.score(prompts.flatMap((p) => Array<PolicyPrompt>(o.n).fill(p)), cands.responses);
  const candidates = golds.map((gold, i): BestOfNCandidates => {
    const texts = cands.responses.slice(i * o.n, (i + 1) * o.n).map((r) => responseText(tok, r));
    return {
      gold: texts.map((t) => goldScore(gold, t)),
      reward: Array.from(reward.subarray(i * o.n, (i + 1) * o.n)),
      correct: gold.kind === 'instruction' ? texts.map((t) => isCorrect(gold, t)) : null,
    };
  });
  return { curve: bestOfNCurve(candidates, baselineGold, bestOfNSizes(o.n)), ceiling: winRateCeiling(golds, baselineGold) };
}
