// Tasks as Self-Instruct's seed file holds them (data/seed_tasks.jsonl; the format of Wang et al.'s
// seed_tasks.jsonl and BELLE's zh_seed_tasks, so either can be passed with --seed-tasks):
//   {"id": "seed_task_0", "name": "packing_list", "instruction": "...",
//    "instances": [{"input": "", "output": "..."}], "is_classification": false}
// and the Alpaca records the loop writes (instruction/input/output, one per instance), with the
// conversations `rlhf sft` reads.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Message } from '../data/formats.js';
import { readJsonl, type Validator } from '../data/jsonl.js';

export interface Instance { input: string; output: string }

export interface SeedTask {
  id: string;
  name: string;
  instruction: string;
  instances: Instance[];
  is_classification: boolean;
}

/** One Alpaca record: what tasks.jsonl holds, one line per instance. */
export interface AlpacaRecord { instruction: string; input: string; output: string }

/** The seed tasks shipped with the package (32: 20 English, 12 Chinese). */
export const DEFAULT_SEED_TASKS = fileURLToPath(new URL('../../../data/seed_tasks.jsonl', import.meta.url));

const isString = (v: unknown): v is string => typeof v === 'string';

export const seedTaskValidator: Validator<SeedTask> = (v) => {
  const o = v as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { error: 'a seed task must be a JSON object' };
  if (!isString(o.instruction) || !o.instruction.trim()) return { error: 'instruction must be a non-empty string' };
  if (!Array.isArray(o.instances) || o.instances.length === 0) return { error: 'instances must be a non-empty list of {"input", "output"}' };
  for (const [i, inst] of (o.instances as unknown[]).entries()) {
    const x = inst as Record<string, unknown> | null;
    if (typeof x !== 'object' || x === null || !isString(x.input) || !isString(x.output)) return { error: `instances[${i}] must be {"input": string, "output": string}` };
    if (!x.output.trim()) return { error: `instances[${i}].output is empty` };
  }
  if (o.is_classification !== undefined && typeof o.is_classification !== 'boolean') return { error: `is_classification must be true or false, got ${JSON.stringify(o.is_classification)}` };
  if (o.id !== undefined && !isString(o.id)) return { error: 'id must be a string' };
  if (o.name !== undefined && !isString(o.name)) return { error: 'name must be a string' };
  return {
    value: {
      id: isString(o.id) ? o.id : '', name: isString(o.name) ? o.name : '', instruction: o.instruction.trim(),
      instances: (o.instances as Instance[]).map((x) => ({ input: x.input, output: x.output })), is_classification: o.is_classification === true,
    },
  };
};

/** Reads and validates a seed task file; errors name `file:line`. */
export async function loadSeedTasks(file: string): Promise<SeedTask[]> {
  if (!existsSync(file)) throw new Error(`${file}: seed task file not found`);
  const out: SeedTask[] = [];
  for await (const { line, value } of readJsonl(file, seedTaskValidator)) out.push({ ...value, id: value.id || `${file}:${line}` });
  if (out.length === 0) throw new Error(`${file}: no seed tasks`);
  return out;
}

/** The user turn of an instruction with its input (Alpaca's layout: the input follows the
 * instruction after a blank line). */
export function userTurn(instruction: string, input: string): string {
  return input.trim() ? `${instruction}\n\n${input}` : instruction;
}

/** An Alpaca record as the conversation `rlhf sft` trains on. */
export function toConversation(r: AlpacaRecord): { messages: Message[] } {
  return { messages: [{ role: 'user', content: userTurn(r.instruction, r.input) }, { role: 'assistant', content: r.output }] };
}
