// Where a task set's responses come from: sampled from a model (K per prompt, InstructGPT's
// comparison data), or read from a file that already has them.
import { checkTurns, loadDataset, type Turns } from '../data/formats.js';
import { readJsonl } from '../data/jsonl.js';
import { loadPretrained } from '../models/index.js';
import { encodePrompt, responseText } from '../rlhf/core/prompts.js';
import { loadTokenizer } from '../tokenizer/index.js';
import type { SampleConfig } from './config.js';
import type { TaskInput } from './tasks.js';

/** The prompts of a prompt file ({"prompt": P} per line; other fields are ignored). */
export async function readPrompts(file: string): Promise<Turns[]> {
  return (await loadDataset(file, 'prompt')).records.map((r) => r.prompt);
}

/** Prompts with their responses, from {"prompt": P, "responses": [C, ...]} lines (a ranking file
 * works too: its ranking is ignored, labelers rank afresh). */
export async function readResponses(file: string): Promise<TaskInput[]> {
  const out: TaskInput[] = [];
  const validate = (v: unknown): { value: TaskInput } | { error: string } => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'expected a JSON object {prompt, responses}' };
    const o = v as Record<string, unknown>;
    const bad = checkTurns(o.prompt, 'prompt');
    if (bad) return { error: bad };
    if (!Array.isArray(o.responses) || o.responses.length < 2) return { error: 'responses must be a list of at least 2 to rank' };
    for (let i = 0; i < o.responses.length; i++) {
      const b = checkTurns(o.responses[i], `responses[${i}]`);
      if (b) return { error: b };
    }
    return { value: { prompt: o.prompt as Turns, responses: o.responses as Turns[] } };
  };
  for await (const { value } of readJsonl(file, validate)) out.push(value);
  if (!out.length) throw new Error(`${file}: no records`);
  return out;
}

export interface SampleResult {
  tasks: TaskInput[];
  /** Prompts left out: they fill the model's context, or kept drawing empty responses. */
  skipped: number;
}

const EMPTY_RETRIES = 4;

/** K responses to each prompt, sampled from the model in `dir` (its tokenizer and chat template).
 * Prompt i samples with seed `seed + i` (then `seed + i + n·attempt` when redrawing), so a prompt's
 * responses do not depend on the others. */
export async function sampleResponses(dir: string, prompts: readonly Turns[], cfg: SampleConfig, onPrompt?: (done: number) => void): Promise<SampleResult> {
  if (!Number.isInteger(cfg.k) || cfg.k < 2) throw new RangeError(`k must be an integer ≥ 2 (responses to rank), got ${cfg.k}`);
  const model = await loadPretrained(dir);
  const tok = loadTokenizer(dir);
  const tasks: TaskInput[] = [];
  let skipped = 0;
  for (let i = 0; i < prompts.length; i++) {
    const ids = encodePrompt(tok, prompts[i]);
    const room = model.config.maxPositions - ids.length;
    if (room < 1) { skipped++; continue; }
    // An empty response (the model stopped at once) cannot be written to a ranking file: such rows
    // are drawn again with the next seeds, and a prompt still short of K after that is left out.
    const responses: string[] = [];
    for (let attempt = 0; attempt < EMPTY_RETRIES && responses.length < cfg.k; attempt++) {
      const out = await model.generate(Array.from({ length: cfg.k - responses.length }, () => ids), {
        maxNewTokens: Math.min(cfg.maxNewTokens, room), temperature: cfg.temperature, topP: cfg.topP, seed: cfg.seed + i + attempt * prompts.length,
      });
      responses.push(...out.tokens.map((t) => responseText(tok, t)).filter((t) => t.trim() !== ''));
    }
    if (responses.length < cfg.k) skipped++;
    else tasks.push({ prompt: prompts[i], responses });
    onPrompt?.(i + 1);
  }
  return { tasks, skipped };
}
