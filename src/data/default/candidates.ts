// The K candidate answers an instruction ranking example offers the labeler, built to span the
// rubric: right and wrong answers in concise, chatty and looping forms (the continuation
// candidates are in continuations.ts).
import type { Rng } from '../../engine/rng.js';
import type { TaskItem } from './tasks.js';

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
