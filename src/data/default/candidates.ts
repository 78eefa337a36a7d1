// Prompts for open continuation drawn from Brown sentences, and the K candidate responses a ranking
// example offers the labeler. Candidates are built to span the rubric: for instructions, right and
// wrong answers in concise, chatty and looping forms; for continuations, the corpus' own ending,
// endings turned positive or negative, another sentence's ending, and a degenerate loop.
import type { Rng } from '../../engine/rng.js';
import type { TaskItem } from './tasks.js';

export interface ContinuationItem {
  /** The user's message: an instruction and the opening words. */
  prompt: string;
  /** The opening words alone. */
  prefix: string;
  /** The rest of the Brown sentence. */
  continuation: string;
  key: string;
}

const CONTINUE = ['Continue the text: {p}', 'Finish this sentence: {p}', 'Write what comes next: {p}', 'Complete the sentence: {p}'];

/** Continuation prompts from sentences of 12–40 plain words: the first third or so of the words
 * become the prompt, the rest the reference continuation. */
export function continuationItems(rng: Rng, sentences: readonly { docId: string; text: string }[], n: number): ContinuationItem[] {
  const usable = sentences.filter((s) => {
    const w = s.text.split(' ').length;
    return w >= 12 && w <= 40 && /^[A-Z][A-Za-z ,;'-]+[.!?]$/.test(s.text);
  });
  if (usable.length === 0) throw new Error('continuationItems: no usable sentences');
  const out: ContinuationItem[] = [];
  for (let i = 0; i < n; i++) {
    const s = usable[rng.int(usable.length)];
    const ws = s.text.split(' ');
    const cut = Math.max(4, Math.round(ws.length * (0.25 + 0.15 * rng.uniform())));
    const prefix = ws.slice(0, cut).join(' ');
    out.push({ prompt: CONTINUE[rng.int(CONTINUE.length)].replace('{p}', prefix), prefix, continuation: ws.slice(cut).join(' '), key: `${s.docId}:${prefix}` });
  }
  return out;
}

const POSITIVE = ['and it was a wonderful success', 'and everyone was delighted', 'which made them all very happy', 'and the result was excellent', 'to the great joy of everyone there'];
const NEGATIVE = ['but it was a terrible failure', 'and everyone was angry and afraid', 'which was a sad and awful mistake', 'and the result was a disaster', 'to the bitter disappointment of all'];
const endWith = (text: string, clause: string): string => `${text.replace(/[.!?]$/, '')}, ${clause}.`;

/** K candidate continuations, shuffled: the original, positive and negative turns, another
 * sentence's ending and a loop, as many of them as K allows (the original always). */
export function continuationCandidates(rng: Rng, item: ContinuationItem, others: readonly ContinuationItem[], k: number): string[] {
  const other = others.length ? others[rng.int(others.length)].continuation : endWith(item.continuation, POSITIVE[0]);
  const firstWord = item.continuation.split(' ')[0] ?? 'and';
  const pool = [
    endWith(item.continuation, POSITIVE[rng.int(POSITIVE.length)]),
    endWith(item.continuation, NEGATIVE[rng.int(NEGATIVE.length)]),
    other,
    `${firstWord} good good good good good`,
  ];
  return rng.shuffle([item.continuation, ...rng.shuffle(pool).slice(0, k - 1)]);
}

const SENTENCE = ['The answer is {a}.', 'Answer: {a}', 'It is {a}.', '{a}.'];
const VERBOSE = [
  'Sure! Let me work through this step by step. I read the question carefully and checked my work twice. So the final answer is {a}.',
  'Great question. After thinking about it for a moment and going over every part of the request, I am confident that the answer is {a}.',
];

/** K candidate answers to an instruction, shuffled: at least one right and one wrong, the rest
 * drawn from right-but-chatty, right-but-looping, wrong-in-a-sentence and unsure forms. */
export function instructionCandidates(rng: Rng, task: TaskItem, k: number): string[] {
  const a = task.answer;
  const wrong = rng.shuffle(task.wrong.slice());
  const fill = (t: string, x: string): string => t.replace('{a}', x);
  const right = [a, fill(SENTENCE[rng.int(SENTENCE.length)], a), fill(VERBOSE[rng.int(VERBOSE.length)], a), Array(4).fill(a).join(' ')];
  const bad = [wrong[0], fill(SENTENCE[rng.int(SENTENCE.length)], wrong[1] ?? wrong[0]), 'I am not sure.'];
  const first = [right.splice(rng.int(right.length), 1)[0], bad.splice(rng.int(bad.length), 1)[0]];
  const rest = rng.shuffle([...right, ...bad]).slice(0, Math.max(0, k - 2));
  return rng.shuffle([...first, ...rest].slice(0, k));
}
