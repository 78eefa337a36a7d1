// Gold labelers: programs that rank K responses the way a human labeler following a rubric would.
// They stand in for human labelers when building ranking data, give PPO/GRPO a reward, and measure
// how well a policy is aligned.
//
// Instruction rubric, in priority order: correct first (the canonical answer is what the response
// commits to), then well-formed (no loops, balanced quotes and brackets, a clean ending), then
// concise (few words beyond the answer). The weights make each criterion outrank all later ones.
// Continuation rubric: positive sentiment, scored with the AFINN lexicon of the `sentiment` package
// (comparative score: sum of word valences over tokens); a malformed continuation ranks below every
// well-formed one, so repeating "good good good" cannot win.
import { createRequire } from 'node:module';
import { formatValidator, type PromptRecord } from '../formats.js';
import { readJsonl, type ReadOptions } from '../jsonl.js';
import { TASK_KINDS, type TaskKind } from './tasks.js';

export interface InstructionGold {
  kind: 'instruction';
  task: TaskKind;
  answer: string;
}
export interface ContinuationGold {
  kind: 'continuation';
}
/** What a labeler needs to judge responses to one prompt; stored in prompt files as `gold`. */
export type Gold = InstructionGold | ContinuationGold;

interface SentimentAnalyzer {
  analyze(text: string): { score: number; comparative: number };
}
const Sentiment = createRequire(import.meta.url)('sentiment') as new () => SentimentAnalyzer;
const afinn = new Sentiment();

const NUMERIC: TaskKind[] = ['add', 'subtract', 'multiply', 'count_words', 'convert_units'];
const words = (s: string): string[] => s.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 0);

/** Whether the response commits to the right answer: for numbers, its last number; for word
 * sequences, the answer's words in order; for capitalisation, the exact casing; for lookups, the
 * answer as a whole word. */
export function isCorrect(gold: InstructionGold, response: string): boolean {
  if (NUMERIC.includes(gold.task)) {
    const nums = response.match(/-?\d[\d,]*(?:\.\d+)?/g);
    if (!nums) return false;
    return Number(nums[nums.length - 1].replace(/,/g, '')) === Number(gold.answer.split(' ')[0]);
  }
  if (gold.task === 'uppercase' || gold.task === 'title_case') return response.includes(gold.answer);
  if (gold.task === 'lookup') return new RegExp(`\\b${gold.answer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(response);
  const r = ` ${words(response).join(' ')} `;
  return r.includes(` ${words(gold.answer).join(' ')} `);
}

/** Free of the faults a labeler would mark down: empty, looping (a word three times running, or a
 * three-word phrase three times), unbalanced quotes or brackets, control characters, or a ragged
 * ending. */
export function isWellFormed(response: string): boolean {
  const t = response.trim();
  if (t.length === 0) return false;
  if (/[\u0000-\u0008\u000b-\u001f]/.test(t)) return false;
  if (/\b(\S+)(?:\s+\1\b){2,}/i.test(t)) return false;
  const w = words(t);
  const seen = new Map<string, number>();
  for (let i = 0; i + 3 <= w.length; i++) {
    const g = w.slice(i, i + 3).join(' ');
    const c = (seen.get(g) ?? 0) + 1;
    if (c >= 3) return false;
    seen.set(g, c);
  }
  if ((t.match(/"/g)?.length ?? 0) % 2 !== 0) return false;
  if ((t.match(/\(/g)?.length ?? 0) !== (t.match(/\)/g)?.length ?? 0)) return false;
  return /[\p{L}\p{N}.!?"')]$/u.test(t);
}

/** 1 for a response no longer than the answer, falling by half for every five extra words. */
export function conciseness(response: string, answer: string): number {
  const extra = Math.max(0, words(response).length - words(answer).length);
  return 1 / (1 + extra / 5);
}

/** AFINN comparative sentiment: mean valence per token, in [−5, 5]. */
export function sentimentScore(text: string): number {
  return afinn.analyze(text).comparative;
}

// Instruction weights: each criterion outweighs everything after it.
const CORRECT = 2, WELL_FORMED = 1, CONCISE = 0.99;

/** The labeler's score of one response; higher is better. Instruction scores lie in [0, 4): 2 for
 * correct, 1 for well-formed, up to 0.99 for concise. */
export function goldScore(gold: Gold, response: string): number {
  if (gold.kind === 'continuation') return sentimentScore(response) - (isWellFormed(response) ? 0 : 11);
  return (isCorrect(gold, response) ? CORRECT : 0) + (isWellFormed(response) ? WELL_FORMED : 0) + CONCISE * conciseness(response, gold.answer);
}

/** The highest score goldScore can give for a prompt: a correct, well-formed response no longer
 * than the answer (3.99); for a continuation, nothing but words of AFINN's top valence, +5. */
export function goldMax(gold: Gold): number {
  return gold.kind === 'continuation' ? 5 : CORRECT + WELL_FORMED + CONCISE;
}

/** Indices of responses, best first (ties keep their order). */
export function goldRank(gold: Gold, responses: string[]): number[] {
  const scores = responses.map((r) => goldScore(gold, r));
  return responses.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
}

/** What is wrong with a `gold` field read from a file, or null. */
function checkGold(v: unknown): string | null {
  if (v === undefined) return 'gold is missing';
  const g = v as Record<string, unknown> | null;
  if (typeof g !== 'object' || g === null) return `gold must be an object, got ${JSON.stringify(v)}`;
  if (g.kind === 'continuation') return null;
  if (g.kind !== 'instruction') return `gold.kind must be "instruction" or "continuation", got ${JSON.stringify(g.kind)}`;
  if (!TASK_KINDS.includes(g.task as TaskKind)) return `gold.task must be one of ${TASK_KINDS.join(', ')}, got ${JSON.stringify(g.task)}`;
  return typeof g.answer === 'string' ? null : `gold.answer must be a string, got ${JSON.stringify(g.answer)}`;
}

export type GoldPrompt = PromptRecord & { gold: Gold };

/** Loads prompt records that carry a gold record (prompts.jsonl, eval.jsonl), validating both
 * parts of every line; errors read `file:line: what is wrong`. */
export async function loadGoldPrompts(file: string, opts: ReadOptions = {}): Promise<GoldPrompt[]> {
  const asPrompt = formatValidator('prompt');
  const validate = (v: unknown): { value: GoldPrompt } | { error: string } => {
    const r = asPrompt(v);
    if ('error' in r) return r;
    const bad = checkGold((v as { gold?: unknown }).gold);
    return bad ? { error: bad } : { value: v as GoldPrompt };
  };
  const out: GoldPrompt[] = [];
  for await (const { value } of readJsonl(file, validate, opts)) out.push(value);
  return out;
}

export interface AlignmentReport {
  instructions: number;
  /** Share of instruction prompts answered correctly. */
  accuracy: number;
  /** Mean instruction score (see goldScore), in [0, 4). */
  instructionScore: number;
  continuations: number;
  /** Mean AFINN comparative sentiment of continuations. */
  sentiment: number;
  /** Share of all responses that are well-formed. */
  wellFormed: number;
}

/** How well a policy's responses follow the rubric, over prompts with gold records. */
export function measureAlignment(items: { gold: Gold; response: string }[]): AlignmentReport {
  let ins = 0, correct = 0, insScore = 0, cont = 0, senti = 0, formed = 0;
  for (const { gold, response } of items) {
    if (isWellFormed(response)) formed++;
    if (gold.kind === 'instruction') {
      ins++;
      if (isCorrect(gold, response)) correct++;
      insScore += goldScore(gold, response);
    } else {
      cont++;
      senti += sentimentScore(response);
    }
  }
  return {
    instructions: ins,
    accuracy: ins ? correct / ins : 0,
    instructionScore: ins ? insScore / ins : 0,
    continuations: cont,
    sentiment: cont ? senti / cont : 0,
    wellFormed: items.length ? formed / items.length : 0,
  };
}
