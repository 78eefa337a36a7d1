// Judges for win rates: what scores one response to one prompt.
//   gold          the default data's gold labeler (src/data/default/labelers.ts; prompts need `gold`)
//   reward:DIR    a reward model folder (`rlhf reward`'s output): its scalar score
//   fn:FILE       a reward-function module exporting score(prompt, response, record), sync or
//                 async: the plug-in PPO/GRPO take with --reward-fn (src/rlhf/reward/plugin.ts)
import { goldScore, type Gold } from '../data/default/labelers.js';
import { loadScalarModel, type ScalarHeadModel } from '../models/index.js';
import { padId, type Tokenizer } from '../tokenizer/index.js';
import { endOfTurnId, encodeResponse } from '../rlhf/core/prompts.js';
import { callRewardFn, loadRewardFn } from '../rlhf/reward/plugin.js';
import { scorePairs } from '../rlhf/reward/score.js';

/** A prompt to judge answers to: its text, its ids (chat template, generation prompt), its record. */
export interface JudgedPrompt { text: string; ids: number[]; record: Record<string, unknown> }

export interface Judge {
  readonly name: string;
  /** Scores of `responses[i]` to `prompts[i]`; higher is better. */
  score(prompts: JudgedPrompt[], responses: string[]): Promise<number[]>;
}

export async function makeJudge(spec: string, tok: Tokenizer): Promise<Judge> {
  if (spec === 'gold') {
    return {
      name: 'gold labeler',
      score: async (prompts, responses) => prompts.map((p, i) => {
        if (!p.record.gold) throw new Error(`judge gold: prompt ${i + 1} has no gold record (use --judge reward:DIR or fn:FILE)`);
        return goldScore(p.record.gold as Gold, responses[i]);
      }),
    };
  }
  if (spec.startsWith('reward:')) {
    const dir = spec.slice('reward:'.length);
    const rm: ScalarHeadModel = await loadScalarModel(dir);
    const eot = endOfTurnId(tok), pad = padId(tok);
    return {
      name: `reward model ${dir}`,
      score: async (prompts, responses) => Array.from(scorePairs(rm, prompts.map((p) => p.ids), responses.map((r) => encodeResponse(tok, r, eot)), pad)),
    };
  }
  if (spec.startsWith('fn:')) {
    const file = spec.slice('fn:'.length);
    const fn = await loadRewardFn(file);
    return {
      name: `reward function ${file}`,
      // The plug-in contract of src/rlhf/reward/plugin.ts: the prompt's text, the response, the line.
      score: async (prompts, responses) => Array.from(await callRewardFn(fn, prompts.map((p, i) => ({ prompt: p.text, response: responses[i], record: p.record })))),
    };
  }
  throw new Error(`judge must be gold, reward:DIR or fn:FILE, got "${spec}"`);
}
