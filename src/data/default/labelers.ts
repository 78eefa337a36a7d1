// Gold labelers: programs that rank K responses the way a human labeler following a rubric would.
// They stand in for human labelers when building ranking data, give PPO/GRPO a reward, and measure
// how well a policy is aligned.
//
// Instruction rubric, in priority order: correct first (the canonical answer is what the response
// commits to), then well-formed (no loops, balanced quotes and brackets, a clean ending), then
// concise (few words beyond the answer). The weights make each criterion outrank all later ones.
// partialCredit grades a wrong answer by how near it came, for verifiable-reward methods that want
// a denser signal than right or wrong.
// Continuation rubric (rubric.ts): a continuation must be one (long enough, real words, grammatical,
// no loop, finished, no stranger in the cast), and then the more positive the better, capped.
// The earlier continuation labeler — AFINN's comparative score, valence per token — stays available
// as LABELERS['afinn-comparative']: its hole (the shortest positive answer wins, so PPO answered
// every prompt with "gold") is the reward-hacking example.
import { formatValidator, type PromptRecord } from '../formats.js';
import { readJsonl, type ReadOptions } from '../jsonl.js';
import { afinnComparative } from './afinn.js';
import { isWellFormed, words } from './form.js';
import { continuationScore, judgeContinuation } from './rubric.js';
import { TASK_KINDS, type TaskKind } from './tasks.js';

export { isWellFormed } from './form.js';

export interface InstructionGold {
  kind: 'instruction';
  task: TaskKind;
  answer: string;
}
export interface ContinuationGold {
  kind: 'continuation';
  /** The names of the story's cast so far; a continuation that brings in another name without
   * introducing it ("a boy named Sam") is not continuing this story. Absent: not checked. */
  names?: string[];
}
/** What a labeler needs to judge responses to one prompt; stored in prompt files as `gold`. */
export type Gold = InstructionGold | ContinuationGold;

const NUMERIC: TaskKind[] = ['add', 'subtract', 'multiply', 'count_words', 'convert_units'];
const lastNumber = (s: string): number | null => {
  const nums = s.match(/-?\d[\d,]*(?:\.\d+)?/g);
  return nums ? Number(nums[nums.length - 1].replace(/,/g, '')) : null;
};

/** Whether the response commits to the right answer: for numbers, its last number; for word
 * sequences, the answer's words in order; for capitalisation, the exact casing; for lookups, the
 * answer as a whole word. */
export function isCorrect(gold: InstructionGold, response: string): boolean {
  if (NUMERIC.includes(gold.task)) return lastNumber(response) === Number(gold.answer.split(' ')[0]);
  if (gold.task === 'uppercase' || gold.task === 'title_case') return response.includes(gold.answer);
  if (gold.task === 'lookup') return new RegExp(`\\b${gold.answer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(response);
  const r = ` ${words(response).join(' ')} `;
  return r.includes(` ${words(gold.answer).join(' ')} `);
}

/** Length of the longest common subsequence of two word lists. */
function lcs(a: string[], b: string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const cur = [0];
    for (let j = 0; j < b.length; j++) cur.push(x === b[j] ? prev[j] + 1 : Math.max(prev[j + 1], cur[j]));
    prev = cur;
  }
  return prev[b.length];
}

/** Graded credit in [0, 1]: 1 for a correct response (isCorrect), else how near it came.
 * - numbers (sums, products, differences, counts, conversions): 1 − |x − a| / max(|a|, 1), at
 *   least 0, where x is the response's last number and a the answer's;
 * - word order (reverse, sort): the longest common subsequence of the response's words that belong
 *   to the answer and the answer's words, over the answer's length;
 * - case (uppercase, title case): where the response holds the answer's text in any casing, the
 *   share of its letters in the right case;
 * - lookups: 0 (a name is right or wrong). */
export function partialCredit(gold: InstructionGold, response: string): number {
  if (isCorrect(gold, response)) return 1;
  if (NUMERIC.includes(gold.task)) {
    const x = lastNumber(response), a = Number(gold.answer.split(' ')[0]);
    return x === null ? 0 : Math.max(0, 1 - Math.abs(x - a) / Math.max(Math.abs(a), 1));
  }
  if (gold.task === 'reverse_words' || gold.task === 'sort_words') {
    const answer = words(gold.answer);
    const inAnswer = new Set(answer);
    return lcs(words(response).filter((w) => inAnswer.has(w)), answer) / answer.length;
  }
  if (gold.task === 'uppercase' || gold.task === 'title_case') {
    const at = response.toLowerCase().indexOf(gold.answer.toLowerCase());
    if (at < 0) return 0;
    let letters = 0, right = 0;
    for (let i = 0; i < gold.answer.length; i++) {
      const c = gold.answer[i];
      if (c.toLowerCase() === c.toUpperCase()) continue;
      letters++;
      if (response[at + i] === c) right++;
    }
    return letters ? right / letters : 0;
  }
  return 0;
}

/** 1 for a response no longer than the answer, falling by half for every five extra words. */
export function conciseness(response: string, answer: string): number {
  const extra = Math.max(0, words(response).length - words(answer).length);
  return 1 / (1 + extra / 5);
}

/** AFINN comparative sentiment: mean valence per token, in [−5, 5]. */
export function sentimentScore(text: string): number {
  return afinnComparative(text);
}

// Instruction weights: each criterion outweighs everything after it.
const CORRECT = 2, WELL_FORMED = 1, CONCISE = 0.99;

/** The labeler's score of one response; higher is better. Instruction scores lie in [0, 4): 2 for
 * correct, 1 for well-formed, up to 0.99 for concise. Continuation scores lie in [−1, 1] for a
 * continuation without faults (by positivity), in [−2, −1.125] for one with a fault (rubric.ts). */
export function goldScore(gold: Gold, response: string): number {
  if (gold.kind === 'continuation') return continuationScore(gold, response);
  return (isCorrect(gold, response) ? CORRECT : 0) + (isWellFormed(response) ? WELL_FORMED : 0) + CONCISE * conciseness(response, gold.answer);
}

/** The highest score goldScore can give for a prompt: a correct, well-formed response no longer
 * than the answer (3.99); for a continuation, a fluent one at the positivity cap, 1. */
export function goldMax(gold: Gold): number {
  return gold.kind === 'continuation' ? 1 : CORRECT + WELL_FORMED + CONCISE;
}

/** A labeler by name: its score and the most it can give. */
export interface Labeler {
  score(gold: Gold, response: string): number;
  max(gold: Gold): number;
}

/** The earlier continuation labeler, kept as the reward-hacking example: AFINN's comparative score
 * (valence per token) minus 11 for a malformed response. "gold", a single +3 word, scores 3 and
 * beats any sentence; instructions are judged as by goldScore. */
export function afinnComparativeScore(gold: Gold, response: string): number {
  if (gold.kind === 'instruction') return goldScore(gold, response);
  return sentimentScore(response) - (isWellFormed(response) ? 0 : 11);
}

export const LABELERS = {
  /** The rubric a person would sign (goldScore). */
  gold: { score: goldScore, max: goldMax },
  /** AFINN comparative sentiment with the hole PPO finds. */
  'afinn-comparative': { score: afinnComparativeScore, max: (g: Gold) => (g.kind === 'continuation' ? 5 : goldMax(g)) },
} satisfies Record<string, Labeler>;
export type LabelerName = keyof typeof LABELERS;

/** Indices of responses, best first (ties keep their order). */
export function goldRank(gold: Gold, responses: string[]): number[] {
  return goldRanking(gold, responses).ranking;
}

/** The responses best first, and the groups of them the labeler scores equally (each group sits
 * together in the ranking, in index order): the `ranking` and `ties` of a ranking record. */
export function goldRanking(gold: Gold, responses: string[]): { ranking: number[]; ties: number[][] } {
  const scores = responses.map((r) => goldScore(gold, r));
  const same = (a: number, b: number): boolean => Math.abs(scores[a] - scores[b]) < 1e-9;
  const ranking = responses.map((_, i) => i).sort((a, b) => (same(a, b) ? a - b : scores[b] - scores[a]));
  const ties: number[][] = [];
  for (let i = 0; i < ranking.length;) {
    let j = i + 1;
    while (j < ranking.length && same(ranking[i], ranking[j])) j++;
    if (j - i > 1) ties.push(ranking.slice(i, j));
    i = j;
  }
  return { ranking, ties };
}

/** What is wrong with a `gold` field read from a file, or null. */
function checkGold(v: unknown): string | null {
  if (v === undefined) return 'gold is missing';
  const g = v as Record<string, unknown> | null;
  if (typeof g !== 'object' || g === null) return `gold must be an object, got ${JSON.stringify(v)}`;
  if (g.kind === 'continuation') {
    const ok = g.names === undefined || (Array.isArray(g.names) && g.names.every((n) => typeof n === 'string'));
    return ok ? null : `gold.names must be a list of names, got ${JSON.stringify(g.names)}`;
  }
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
  /** Mean continuation score (see goldScore), in [−2, 1]. */
  continuationScore: number;
  /** Share of continuations without a fault (rubric.ts). */
  fluent: number;
  /** Mean AFINN comparative sentiment of continuations. */
  sentiment: number;
  /** Share of all responses that are well-formed. */
  wellFormed: number;
}

/** How well a policy's responses follow the rubric, over prompts with gold records. */
export function measureAlignment(items: { gold: Gold; response: string }[]): AlignmentReport {
  let ins = 0, correct = 0, insScore = 0, cont = 0, contScore = 0, fluent = 0, senti = 0, formed = 0;
  for (const { gold, response } of items) {
    if (isWellFormed(response)) formed++;
    if (gold.kind === 'instruction') {
      ins++;
      if (isCorrect(gold, response)) correct++;
      insScore += goldScore(gold, response);
    } else {
      cont++;
      contScore += continuationScore(gold, response);
      if (judgeContinuation(gold, response).fault === null) fluent++;
      senti += sentimentScore(response);
    }
  }
  return {
    instructions: ins,
    accuracy: ins ? correct / ins : 0,
    instructionScore: ins ? insScore / ins : 0,
    continuations: cont,
    continuationScore: cont ? contScore / cont : 0,
    fluent: cont ? fluent / cont : 0,
    sentiment: cont ? senti / cont : 0,
    wellFormed: items.length ? formed / items.length : 0,
  };
}
