// Where a reward comes from: a trained reward model (a scalar head read at the response's last
// token), a reward-function plug-in (plugin.ts), or a program that checks the answer (GRPO's
// default). Methods that sample and score (PPO, RLOO, REINFORCE++, GRPO, best-of-N, rejection
// sampling) take a RewardSource, so any of these can drive any of them.
import type { ScalarHeadModel } from '../../models/index.js';
import { isCorrect, partialCredit, type InstructionGold } from '../../data/default/labelers.js';
import { loadScalarModel } from '../../models/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { exactMatch } from '../../train/accuracy.js';
import { responseText, type PolicyPrompt } from '../core/prompts.js';
import { callRewardFn, loadRewardFn, type LoadedRewardFn } from './plugin.js';
import { scorePairs } from './score.js';

export interface RewardSource {
  /** What scores, for logs and summaries: "reward model DIR", "reward function FILE", …. */
  readonly name: string;
  /** Raw reward of each response to its prompt: [n]. */
  score(prompts: readonly PolicyPrompt[], responses: readonly number[][]): Promise<Float32Array>;
}

export function rewardModelSource(rm: ScalarHeadModel, padId: number, name = 'reward model'): RewardSource {
  for (const p of rm.parameters()) p.requiresGrad = false;
  return { name, score: async (prompts, responses) => scorePairs(rm, prompts.map((p) => p.ids), responses.slice(), padId) };
}

/** The prompt as a reward function sees it: its text and its record (its messages when it has no
 * record of its own). */
const recordOf = (p: PolicyPrompt): Record<string, unknown> => p.record ?? { prompt: p.messages };

export function rewardFnSource(fn: LoadedRewardFn, tok: Tokenizer): RewardSource {
  return {
    name: `reward function ${fn.path}`,
    score: (prompts, responses) => callRewardFn(fn, prompts.map((p, i) => ({ prompt: p.text, response: responseText(tok, responses[i]), record: recordOf(p) }))),
  };
}

export interface CheckerReward {
  /** Paid for an exact-match answer. */
  exact: number;
  /** Paid on top when the labeler finds the right answer in a longer response. */
  correct: number;
  /** Paid × partialCredit for a response that is not correct: how near it came (graded credit). */
  graded: number;
}

/** The answer checker of the default instruction tasks: prompts must carry instruction gold records. */
export function checkerSource(tok: Tokenizer, r: CheckerReward): RewardSource {
  return {
    name: 'answer checker',
    score: async (prompts, responses) => Float32Array.from(prompts, (p, i) => {
      if (p.gold?.kind !== 'instruction') throw new Error(`answer checker: prompt ${JSON.stringify(p.text.slice(0, 60))} has no instruction gold record to check against`);
      const gold = p.gold as InstructionGold, text = responseText(tok, responses[i]);
      const correct = isCorrect(gold, text);
      return (exactMatch(text, gold.answer) ? r.exact : 0) + (correct ? r.correct : r.graded > 0 ? r.graded * partialCredit(gold, text) : 0);
    }),
  };
}

/** A reward model folder or a reward-function module: exactly one of the two. `what` names the
 * config keys in the error. */
export async function openRewardSource(o: { model: string; fn: string }, tok: Tokenizer, padId: number, what = 'reward / rewardFn'): Promise<RewardSource> {
  if (o.model && o.fn) throw new Error(`${what}: give a reward model or a reward function, not both (got ${o.model} and ${o.fn})`);
  if (o.fn) return rewardFnSource(await loadRewardFn(o.fn), tok);
  if (o.model) return rewardModelSource(await loadScalarModel(o.model), padId, `reward model ${o.model}`);
  throw new Error(`${what}: name a reward model folder (rlhf reward) or a reward-function module exporting score(prompt, response, record)`);
}
