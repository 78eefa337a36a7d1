// Reward functions as plug-ins (TRL's reward_funcs): a JavaScript module that exports
//   score(prompt: string, response: string, record: object) → number | Promise<number>
// stands wherever a reward model does (PPO, RLOO, REINFORCE++, GRPO, best-of-N, rejection
// sampling). `prompt` is the prompt's text, `response` the decoded response (special tokens
// dropped), `record` the prompt's JSONL line with every field (a `gold` answer key, say). A missing
// file, a module that fails to load, a missing export, or a score that is not a finite number stops
// the run with the module's path in the message.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export type RewardFn = (prompt: string, response: string, record: Record<string, unknown>) => number | Promise<number>;

export interface LoadedRewardFn {
  /** The module's path as given. */
  path: string;
  score: RewardFn;
}

export interface RewardFnCall {
  prompt: string;
  response: string;
  record: Record<string, unknown>;
}

/** Imports the module at `path` (relative to the working directory) and checks its `score` export. */
export async function loadRewardFn(path: string): Promise<LoadedRewardFn> {
  const file = resolve(path);
  if (!existsSync(file)) throw new Error(`reward function ${path}: no such file`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`reward function ${path}: the module failed to load: ${(e as Error).message}`);
  }
  if (typeof mod.score !== 'function') {
    const names = Object.keys(mod);
    throw new Error(`reward function ${path}: exports no function score(prompt, response, record) (its exports: ${names.length ? names.join(', ') : 'none'})`);
  }
  return { path, score: mod.score as RewardFn };
}

/** Scores every call (concurrently, so an async function may overlap its waits) and checks each is
 * a finite number. */
export async function callRewardFn(fn: LoadedRewardFn, calls: readonly RewardFnCall[]): Promise<Float32Array> {
  const values = await Promise.all(calls.map(async (c, i) => {
    let v: unknown;
    try {
      v = await fn.score(c.prompt, c.response, c.record);
    } catch (e) {
      throw new Error(`reward function ${fn.path}: score() threw on response ${i + 1} (prompt ${JSON.stringify(c.prompt.slice(0, 60))}): ${(e as Error).message}`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`reward function ${fn.path}: score() must return a finite number, got ${typeof v === 'number' ? v : JSON.stringify(v) ?? typeof v} for response ${i + 1} (prompt ${JSON.stringify(c.prompt.slice(0, 60))})`);
    }
    return v;
  }));
  return Float32Array.from(values);
}
