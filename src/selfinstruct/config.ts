// `rlhf self-instruct`: every default in one place. The sampling settings are the paper's
// (instruction generation at temperature 0.7, top-p 0.5; instances greedy), as are 6 seed + 2
// generated tasks in each prompt and the 0.7 ROUGE-L novelty threshold.
import { check } from '../util/config.js';
import { FILTER_DEFAULTS, type FilterConfig } from './filters.js';
import type { TeacherFormat } from './teacher.js';

export interface SelfInstructConfig {
  /** Output folder: tasks.jsonl, sft.jsonl, stats.json, diversity.svg, rounds.jsonl, config.json. */
  out: string;
  /** A model directory, or the root of an OpenAI-compatible API (http://127.0.0.1:8080/v1). */
  teacher: string;
  /** 'completion': the teacher continues the prompt text; 'chat': the prompt is one user message
   * (for chat-only APIs and chat-tuned local models). */
  teacherFormat: TeacherFormat;
  /** Model name for an API teacher ('' = the first model the server lists). */
  teacherModel: string;
  /** Seed task file ('' = the package's data/seed_tasks.jsonl). */
  seedTasks: string;
  /** Generated instructions to keep. */
  count: number;
  seed: number;
  /** The run stops after this many rounds even if fewer than `count` were kept (a teacher that
   * writes nothing usable must not loop forever). */
  maxRounds: number;
  /** Instruction-generation requests per round (sent concurrently; a local teacher decodes them as
   * one batch). */
  requestsPerRound: number;
  /** Tasks shown in each instruction-generation prompt: from the seeds and from those generated. */
  inContext: { seed: number; generated: number };
  generation: { maxTokens: number; temperature: number; topP: number };
  classification: { maxTokens: number };
  instances: { maxTokens: number; temperature: number; topP: number };
  /** A candidate is kept only if its ROUGE-L against every pool instruction is below this. */
  rougeThreshold: number;
  filters: FilterConfig;
  /** An API teacher's client settings. */
  http: { concurrency: number; retries: number; requestsPerMinute: number; timeoutS: number; backoffMs: number; apiKeyEnv: string };
  /** tasks.jsonl, sft.jsonl and stats.json are rewritten every this many rounds (and at the end). */
  writeEvery: number;
}

export const SELF_INSTRUCT_DEFAULTS: SelfInstructConfig = {
  out: 'runs/self-instruct',
  teacher: '',
  teacherFormat: 'completion',
  teacherModel: '',
  seedTasks: '',
  count: 100,
  seed: 1234,
  maxRounds: 200,
  requestsPerRound: 4,
  inContext: { seed: 6, generated: 2 },
  generation: { maxTokens: 256, temperature: 0.7, topP: 0.5 },
  classification: { maxTokens: 3 },
  instances: { maxTokens: 256, temperature: 0, topP: 1 },
  rougeThreshold: 0.7,
  filters: { ...FILTER_DEFAULTS, blocklist: [...FILTER_DEFAULTS.blocklist], blockedPrefixes: [...FILTER_DEFAULTS.blockedPrefixes] },
  http: { concurrency: 4, retries: 5, requestsPerMinute: 0, timeoutS: 120, backoffMs: 1000, apiKeyEnv: 'OPENAI_API_KEY' },
  writeEvery: 5,
};

export const isUrl = (teacher: string): boolean => /^https?:\/\//i.test(teacher);

export function validateSelfInstruct(c: SelfInstructConfig): void {
  const posInt = (key: string, v: number): [boolean, string] => [Number.isInteger(v) && v >= 1, `${key} must be a positive integer, got ${v}`];
  const count = (key: string, v: number): [boolean, string] => [Number.isInteger(v) && v >= 0, `${key} must be an integer ≥ 0, got ${v}`];
  check([
    [c.out !== '', 'out must name an output folder'],
    [c.teacher !== '', 'teacher must name a model directory or an OpenAI-compatible URL (http://127.0.0.1:8080/v1)'],
    [c.teacherFormat === 'completion' || c.teacherFormat === 'chat', `teacherFormat must be completion | chat, got ${JSON.stringify(c.teacherFormat)}`],
    posInt('count', c.count), posInt('maxRounds', c.maxRounds), posInt('requestsPerRound', c.requestsPerRound), count('seed', c.seed),
    posInt('inContext.seed', c.inContext.seed), count('inContext.generated', c.inContext.generated),
    posInt('generation.maxTokens', c.generation.maxTokens), posInt('classification.maxTokens', c.classification.maxTokens), posInt('instances.maxTokens', c.instances.maxTokens),
    [c.generation.temperature >= 0 && c.instances.temperature >= 0, 'temperatures must be ≥ 0'],
    [c.generation.topP > 0 && c.generation.topP <= 1 && c.instances.topP > 0 && c.instances.topP <= 1, 'topP must be in (0, 1]'],
    [c.rougeThreshold > 0 && c.rougeThreshold <= 1, `rougeThreshold must be in (0, 1], got ${c.rougeThreshold}`],
    count('filters.minWords', c.filters.minWords), posInt('filters.maxWords', c.filters.maxWords), posInt('filters.maxOutputWords', c.filters.maxOutputWords),
    [c.filters.minWords < c.filters.maxWords, `filters.minWords ${c.filters.minWords} must be below filters.maxWords ${c.filters.maxWords}`],
    posInt('http.concurrency', c.http.concurrency), count('http.retries', c.http.retries), [c.http.requestsPerMinute >= 0, 'http.requestsPerMinute must be ≥ 0 (0 = no limit)'],
    [c.http.timeoutS > 0, 'http.timeoutS must be positive'], count('http.backoffMs', c.http.backoffMs), posInt('writeEvery', c.writeEvery),
  ]);
}

/** Keys that may change when an interrupted run is continued: how far it goes, and how the client
 * talks to the server. Anything else would make the continued run a different one. */
export const RESUMABLE_KEYS = ['count', 'maxRounds', 'writeEvery', 'http'];
