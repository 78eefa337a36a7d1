// Judges for win rates: what scores one response to one prompt.
//   gold          the default data's gold labeler (src/data/default/labelers.ts; prompts need `gold`)
//   reward:DIR    a reward model folder (`rlhf reward`'s output): its scalar score
//   fn:FILE       a reward-function module exporting score(prompt, response, record), sync or
//                 async: the same plug-in PPO/GRPO take with --reward-fn
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { goldScore, type Gold } from '../data/default/labelers.js';
import { loadScalarModel, type ScalarHeadModel } from '../models/index.js';
import { padId, type Tokenizer } from '../tokenizer/index.js';
import { endOfTurnId, encodeResponse } from '../rlhf/core/prompts.js';
import { scorePairs } from '../rlhf/reward/score.js';

/** A prompt to judge answers to: its text, its ids (chat template, generation prompt), its record. */
export interface JudgedPrompt { text: string; ids: number[]; record: Record<string, unknown> }

export interface Judge {
  readonly name: string;
  /** Scores of `responses[i]` to `prompts[i]`; higher is better. */
  score(prompts: JudgedPrompt[], responses: string[]): Promise<number[]>;
}

type ScoreFn = (prompt: unknown, response: string, record: Record<string, unknown>) => number | Promise<number>;

/** Loads a reward-function module; its `score` export (or default export) is the function. */
export async function loadRewardFn(file: string): Promise<ScoreFn> {
  const mod = await import(pathToFileURL(resolve(file)).href) as { score?: unknown; default?: unknown };
  const fn = typeof mod.score === 'function' ? mod.score : typeof mod.default === 'function' ? mod.default : null;
  if (!fn) throw new Error(`${file}: a reward-function module must export score(prompt, response, record)`);
  return fn as ScoreFn;
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
      score: async (prompts, responses) => {
        const out: number[] = [];
        for (let i = 0; i < prompts.length; i++) {
          const v = await fn(prompts[i].record.prompt ?? prompts[i].text, responses[i], prompts[i].record);
          if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${file}: score() returned ${JSON.stringify(v)} for prompt ${i + 1}; it must return a finite number`);
          out.push(v);
        }
        return out;
      },
    };
  }
  throw new Error(`judge must be gold, reward:DIR or fn:FILE, got "${spec}"`);
}
