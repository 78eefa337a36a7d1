// Dataset formats, as TRL users already have them, one JSON object per line:
//   text        {"text": "..."}                                    language modelling
//   messages    {"messages": [{"role": "user", "content": "..."}, ...]}   conversations (SFT)
//   completion  {"prompt": P, "completion": C}                    prompt/completion (SFT)
//   preference  {"prompt": P, "chosen": C, "rejected": C}         pairs (DPO, reward model)
//   unpaired    {"prompt": P, "completion": C, "label": true|false}  one response marked good or
//               bad (KTO; TRL's unpaired preference format)
//   ranking     {"prompt": P, "responses": [C, ...], "ranking": [i, ...]}  K responses, best first
//               (optional "ties": [[i, j], ...]: groups of equally good responses, adjacent in
//               ranking; optional "truncated": [bool, ...]: which responses were cut off at the
//               token limit)
//   prompt      {"prompt": P}                                      prompt-only (PPO, GRPO)
// P and C are a string or a list of messages (conversational form). Other fields are kept as they
// are (a prompt's `gold` record, say), so loaders never drop what a later stage needs.
import { readJsonl, type DataError, type ReadOptions, type Validator } from './jsonl.js';

export type Role = 'system' | 'user' | 'assistant';
export interface Message {
  role: Role;
  content: string;
}
/** A plain string, or a conversation in messages form. */
export type Turns = string | Message[];

export interface TextRecord { text: string }
export interface MessagesRecord { messages: Message[] }
export interface CompletionRecord { prompt: Turns; completion: Turns }
export interface PreferenceRecord { prompt: Turns; chosen: Turns; rejected: Turns }
/** A response judged on its own: label true = desirable (thumbs up), false = undesirable. */
export interface UnpairedRecord { prompt: Turns; completion: Turns; label: boolean }
export interface RankingRecord {
  prompt: Turns;
  responses: Turns[];
  /** Indices into responses, best first: a permutation of 0 … K−1. */
  ranking: number[];
  /** Groups of responses judged equally good, each of two or more indices that sit next to each
   * other in `ranking` (where their order means nothing). No preference is drawn inside a group.
   * Absent: the ranking is strict. A reader that ignores it sees an arbitrary order of the tied. */
  ties?: number[][];
  /** Optional, one per response: true where a sampled response was cut off at the token limit, so
   * it carries no end-of-turn token (a reward model then scores it in the form PPO samples it). */
  truncated?: boolean[];
}
export interface PromptRecord { prompt: Turns }

export interface FormatRecords {
  text: TextRecord;
  messages: MessagesRecord;
  completion: CompletionRecord;
  preference: PreferenceRecord;
  unpaired: UnpairedRecord;
  ranking: RankingRecord;
  prompt: PromptRecord;
}
export type DatasetFormat = keyof FormatRecords;
export const DATASET_FORMATS: DatasetFormat[] = ['text', 'messages', 'completion', 'preference', 'unpaired', 'ranking', 'prompt'];

const ROLES: Role[] = ['system', 'user', 'assistant'];
const describe = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 60) ?? String(v));

/** What is wrong with a messages list, or null. */
export function checkMessages(v: unknown, key: string): string | null {
  if (!Array.isArray(v)) return `${key} must be a list of {role, content}, got ${describe(v)}`;
  if (v.length === 0) return `${key} must not be empty`;
  for (let i = 0; i < v.length; i++) {
    const m = v[i] as Record<string, unknown> | null;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return `${key}[${i}] must be an object {role, content}, got ${describe(m)}`;
    if (!ROLES.includes(m.role as Role)) return `${key}[${i}].role must be one of ${ROLES.join(', ')}, got ${describe(m.role)}`;
    if (typeof m.content !== 'string') return `${key}[${i}].content must be a string, got ${describe(m.content)}`;
    if (m.role === 'system' && i > 0) return `${key}[${i}]: a system message may only come first`;
  }
  return null;
}

/** What is wrong with a string-or-messages field, or null. */
export function checkTurns(v: unknown, key: string): string | null {
  if (typeof v === 'string') return v.length === 0 ? `${key} must not be empty` : null;
  if (Array.isArray(v)) return checkMessages(v, key);
  return `${key} must be a string or a list of messages, got ${describe(v)}`;
}

/** What is wrong with a ranking's `ties`, or null: groups of at least two distinct response
 * indices, no index in two groups, each group a contiguous run of the ranking. */
function checkTies(ties: unknown, ranking: number[]): string | null {
  if (!Array.isArray(ties)) return `ties must be a list of groups of response indices, got ${describe(ties)}`;
  const pos = new Map(ranking.map((x, i) => [x, i]));
  const used = new Set<number>();
  for (let g = 0; g < ties.length; g++) {
    const group = ties[g] as unknown;
    if (!Array.isArray(group) || group.length < 2 || !group.every((x) => pos.has(x as number))) {
      return `ties[${g}] must list two or more of 0…${ranking.length - 1}, got ${describe(group)}`;
    }
    if (group.some((x) => used.has(x as number)) || new Set(group).size !== group.length) return `ties[${g}] repeats a response already tied: ${describe(group)}`;
    for (const x of group) used.add(x as number);
    const at = group.map((x) => pos.get(x as number)!);
    if (Math.max(...at) - Math.min(...at) !== group.length - 1) return `ties[${g}] ${describe(group)} must sit next to each other in ranking ${describe(ranking)}`;
  }
  return null;
}

type Checker = (o: Record<string, unknown>) => string | null;

const CHECKS: Record<DatasetFormat, Checker> = {
  text: (o) => (typeof o.text === 'string' ? null : `text must be a string, got ${describe(o.text)}`),
  messages: (o) => {
    const bad = checkMessages(o.messages, 'messages');
    if (bad) return bad;
    return (o.messages as Message[]).some((m) => m.role !== 'system') ? null : 'messages has no user or assistant turn';
  },
  completion: (o) => checkTurns(o.prompt, 'prompt') ?? checkTurns(o.completion, 'completion'),
  preference: (o) => checkTurns(o.prompt, 'prompt') ?? checkTurns(o.chosen, 'chosen') ?? checkTurns(o.rejected, 'rejected'),
  unpaired: (o) => checkTurns(o.prompt, 'prompt') ?? checkTurns(o.completion, 'completion')
    ?? (typeof o.label === 'boolean' ? null : `label must be true (desirable) or false (undesirable), got ${describe(o.label)}`),
  ranking: (o) => {
    const bad = checkTurns(o.prompt, 'prompt');
    if (bad) return bad;
    if (!Array.isArray(o.responses) || o.responses.length < 2) return `responses must be a list of at least 2, got ${describe(o.responses)}`;
    for (let i = 0; i < o.responses.length; i++) {
      const b = checkTurns(o.responses[i], `responses[${i}]`);
      if (b) return b;
    }
    const k = o.responses.length;
    const r = o.ranking;
    const isPerm = Array.isArray(r) && r.length === k && r.every((x) => Number.isInteger(x) && x >= 0 && x < k) && new Set(r).size === k;
    if (!isPerm) return `ranking must list each of 0…${k - 1} once (best first), got ${describe(r)}`;
    const t = o.truncated;
    const flags = t === undefined || (Array.isArray(t) && t.length === k && t.every((x) => typeof x === 'boolean'));
    if (!flags) return `truncated must be a list of ${k} booleans (one per response), got ${describe(t)}`;
    return o.ties === undefined ? null : checkTies(o.ties, r as number[]);
  },
  prompt: (o) => checkTurns(o.prompt, 'prompt'),
};

/** The format a record's keys announce, most specific first; null if none fits. */
export function detectFormat(o: Record<string, unknown>): DatasetFormat | null {
  if ('responses' in o || 'ranking' in o) return 'ranking';
  if ('chosen' in o || 'rejected' in o) return 'preference';
  if ('label' in o) return 'unpaired';
  if ('completion' in o) return 'completion';
  if ('messages' in o) return 'messages';
  if ('text' in o) return 'text';
  if ('prompt' in o) return 'prompt';
  return null;
}

/** A validator for one format. With 'auto', the first line's keys fix the format for the file. */
export function formatValidator(format: DatasetFormat | 'auto'): Validator<unknown> & { format(): DatasetFormat | null } {
  let fixed: DatasetFormat | null = format === 'auto' ? null : format;
  const v = (value: unknown): { value: unknown } | { error: string } => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: `expected a JSON object, got ${describe(value)}` };
    const o = value as Record<string, unknown>;
    const f = fixed ?? detectFormat(o);
    if (f === null) return { error: `no known fields (text, messages, prompt, completion, chosen/rejected, label, responses/ranking) in ${describe(o)}` };
    const bad = CHECKS[f](o);
    if (bad) return { error: `${bad} (format ${f})` };
    fixed = f;
    return { value: o };
  };
  return Object.assign(v, { format: () => fixed });
}

export interface LoadedDataset<F extends DatasetFormat> {
  format: F;
  records: FormatRecords[F][];
  /** Lines skipped with onError 'skip'. */
  errors: DataError[];
}

/** Loads a whole JSONL dataset, validating every line. */
export async function loadDataset<F extends DatasetFormat>(file: string, format: F, opts?: ReadOptions): Promise<LoadedDataset<F>>;
export async function loadDataset(file: string, format?: 'auto', opts?: ReadOptions): Promise<LoadedDataset<DatasetFormat>>;
export async function loadDataset(file: string, format: DatasetFormat | 'auto' = 'auto', opts: ReadOptions = {}): Promise<LoadedDataset<DatasetFormat>> {
  const errors = opts.errors ?? [];
  const validate = formatValidator(format);
  const records: unknown[] = [];
  for await (const { value } of readJsonl(file, validate, { ...opts, errors })) records.push(value);
  const found = validate.format();
  if (found === null) throw new Error(`${file}: no valid records, so no format could be detected`);
  return { format: found, records: records as FormatRecords[DatasetFormat][], errors };
}

/** Streams a dataset record by record (for files larger than memory). */
export async function* iterateDataset<F extends DatasetFormat>(file: string, format: F, opts: ReadOptions = {}): AsyncGenerator<FormatRecords[F]> {
  for await (const { value } of readJsonl(file, formatValidator(format), opts)) yield value as FormatRecords[F];
}

/** The plain text of a string-or-messages field (messages joined by blank lines), for scoring. */
export function turnsText(t: Turns): string {
  return typeof t === 'string' ? t : t.map((m) => m.content).join('\n\n');
}
