// Instruction tasks with checkable answers, generated from a seed: arithmetic, reversing, sorting
// and counting words, capitalisation, unit conversion, and short lookups over a generated fact
// table given in the prompt. Each task has several phrasings, a canonical concise answer, and the
// wrong answers a careless model would give (the ranking data needs bad responses as much as good
// ones).
//
// The sizes (numbers below 20, times tables, two or three words to reorder, two facts to look up
// in) are what the default model — 3.7 M parameters, a few minutes of training on 2 CPU cores —
// can learn: with three-digit sums, six words to sort and three facts from one fixed table, the
// earlier default's SFT model answered 12% of held-out prompts, too few for the RLHF stages to
// have anything to sharpen.
import type { Rng } from '../../engine/rng.js';

export type TaskKind =
  | 'add' | 'subtract' | 'multiply'
  | 'reverse_words' | 'sort_words' | 'count_words'
  | 'uppercase' | 'title_case'
  | 'convert_units' | 'lookup';

export const TASK_KINDS: TaskKind[] = ['add', 'subtract', 'multiply', 'reverse_words', 'sort_words', 'count_words', 'uppercase', 'title_case', 'convert_units', 'lookup'];

export interface TaskItem {
  task: TaskKind;
  /** The user's message. */
  prompt: string;
  /** The canonical concise answer ("42", "jumps fox red", "3000 meters"). */
  answer: string;
  /** The question in canonical form, shared by every phrasing and every order of it: "add:17:25"
   * for 17 + 25 and 25 + 17 alike, the sorted words for any word task (a held-out "sort: red fox"
   * must not be learnt as "reverse: fox red" either). Held-out items are chosen by this key. */
  key: string;
  /** Plausible wrong answers, at least two. */
  wrong: string[];
}

const WORDS = [
  'apple', 'river', 'stone', 'green', 'quick', 'table', 'light', 'house', 'cloud', 'music', 'bread', 'chair',
  'ocean', 'tiger', 'paper', 'smile', 'train', 'water', 'plant', 'story', 'dream', 'field', 'glass', 'horse',
  'money', 'night', 'party', 'queen', 'sheep', 'tooth', 'voice', 'world', 'young', 'zebra', 'angel', 'beach',
  'candy', 'dance', 'eagle', 'flame', 'grape', 'heart', 'igloo', 'juice', 'knife', 'lemon', 'mango', 'nurse',
  'olive', 'piano', 'radio', 'salad', 'truck', 'uncle', 'video', 'whale', 'yacht', 'bird', 'cat', 'dog', 'fish',
  'frog', 'goat', 'lamp', 'moon', 'nest', 'pen', 'rain', 'road', 'ship', 'snow', 'star', 'sun', 'tree', 'wind',
  'blue', 'red', 'small', 'big', 'happy', 'old', 'new', 'warm', 'cold', 'soft', 'loud', 'calm', 'bright', 'dark',
  'runs', 'jumps', 'sings', 'reads', 'walks', 'swims', 'flies', 'sleeps', 'writes', 'paints',
];

/** Units convertible by an integer factor: from, to, factor. */
const CONVERSIONS: [string, string, number][] = [
  ['kilometers', 'meters', 1000], ['meters', 'centimeters', 100], ['kilograms', 'grams', 1000],
  ['hours', 'minutes', 60], ['minutes', 'seconds', 60], ['liters', 'milliliters', 1000],
  ['feet', 'inches', 12], ['days', 'hours', 24], ['weeks', 'days', 7], ['yards', 'feet', 3],
];

const PHRASINGS: Record<Exclude<TaskKind, 'lookup'>, string[]> = {
  add: ['What is {a} + {b}?', 'Add {a} and {b}.', 'Compute {a} plus {b}.', 'What do you get when you add {a} to {b}?', 'Calculate the sum of {a} and {b}.'],
  subtract: ['What is {a} - {b}?', 'Subtract {b} from {a}.', 'What is {a} minus {b}?', 'Compute the difference {a} - {b}.', 'Take {b} away from {a}. What is left?'],
  multiply: ['What is {a} * {b}?', 'Multiply {a} by {b}.', 'What is {a} times {b}?', 'Calculate the product of {a} and {b}.'],
  reverse_words: ['Reverse the order of these words: {w}', 'Write these words backwards, last word first: {w}', 'Put the words in reverse order: {w}', 'Reverse the word order: {w}'],
  sort_words: ['Sort these words alphabetically: {w}', 'Put these words in alphabetical order: {w}', 'Arrange these words from A to Z: {w}', 'Alphabetize: {w}'],
  count_words: ['How many words are in this text: {w}', 'Count the words: {w}', 'How many words does the following have? {w}', 'Give the number of words in: {w}'],
  uppercase: ['Rewrite in capital letters: {w}', 'Convert to uppercase: {w}', 'Write this in all caps: {w}', 'Make every letter uppercase: {w}'],
  title_case: ['Capitalize the first letter of each word: {w}', 'Write this in title case: {w}', 'Start every word with a capital letter: {w}'],
  convert_units: ['Convert {n} {from} to {to}.', 'How many {to} are in {n} {from}?', 'Express {n} {from} in {to}.', 'What is {n} {from} in {to}?'],
};

const fill = (template: string, vars: Record<string, string | number>): string => template.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k]));

function distinctWords(rng: Rng, n: number): string[] {
  const out = new Set<string>();
  while (out.size < n) out.add(WORDS[rng.int(WORDS.length)]);
  return [...out];
}

const titleCase = (ws: string[]): string => ws.map((w) => w[0].toUpperCase() + w.slice(1)).join(' ');

/** Near-miss numbers: off by one, off by ten, digits swapped. */
function wrongNumbers(rng: Rng, answer: number): string[] {
  const out = new Set<number>([answer + 1, answer - 1, answer + 10, answer + 2 + rng.int(8)]);
  const swapped = Number(String(Math.abs(answer)).split('').reverse().join('')) * Math.sign(answer);
  if (swapped !== answer) out.add(swapped);
  out.delete(answer);
  return rng.shuffle([...out].map(String));
}

function arithmetic(rng: Rng, task: 'add' | 'subtract' | 'multiply'): TaskItem {
  let a: number;
  let b: number;
  if (task === 'multiply') {
    a = 2 + rng.int(8);
    b = 2 + rng.int(8);
  } else {
    a = rng.int(20);
    b = rng.int(20);
    if (task === 'subtract' && b > a) [a, b] = [b, a];
  }
  const answer = task === 'add' ? a + b : task === 'subtract' ? a - b : a * b;
  // Sums and products do not depend on the order of the operands; differences do.
  const key = task === 'subtract' ? `${task}:${a}:${b}` : `${task}:${Math.min(a, b)}:${Math.max(a, b)}`;
  return { task, prompt: fill(pick(rng, PHRASINGS[task]), { a, b }), answer: String(answer), key, wrong: wrongNumbers(rng, answer) };
}

function wordTask(rng: Rng, task: 'reverse_words' | 'sort_words' | 'count_words' | 'uppercase' | 'title_case'): TaskItem {
  const ws = distinctWords(rng, task === 'count_words' ? 2 + rng.int(6) : 2 + rng.int(2));
  const text = ws.join(' ');
  const sorted = ws.slice().sort();
  const reversed = ws.slice().reverse();
  // The answer with its first two words swapped: a near miss that always differs from it.
  const nearMiss = (xs: string[]): string => [xs[1], xs[0], ...xs.slice(2)].join(' ');
  const variants: Record<typeof task, { answer: string; wrong: string[] }> = {
    reverse_words: { answer: reversed.join(' '), wrong: [text, sorted.join(' '), nearMiss(reversed), reversed.slice(1).join(' ')] },
    sort_words: { answer: sorted.join(' '), wrong: [text, sorted.slice().reverse().join(' '), nearMiss(sorted), sorted.slice(0, -1).join(' ')] },
    count_words: { answer: String(ws.length), wrong: wrongNumbers(rng, ws.length).filter((x) => Number(x) > 0) },
    uppercase: { answer: text.toUpperCase(), wrong: [text, titleCase(ws), ws.map((w, i) => (i % 2 ? w : w.toUpperCase())).join(' ')] },
    title_case: { answer: titleCase(ws), wrong: [text, text.toUpperCase(), text[0].toUpperCase() + text.slice(1)] },
  };
  const { answer, wrong } = variants[task];
  return { task, prompt: fill(pick(rng, PHRASINGS[task]), { w: text }), answer, key: `words:${sorted.join(' ')}`, wrong: [...new Set(wrong)].filter((w) => w !== answer) };
}

function convertUnits(rng: Rng): TaskItem {
  const [from, to, factor] = pick(rng, CONVERSIONS);
  const n = 1 + rng.int(10);
  const answer = n * factor;
  const wrong = [n * factor * 10, (n + 1) * factor, n, n * factor + factor / 2].filter((x) => Number.isInteger(x) && x !== answer);
  return { task: 'convert_units', prompt: fill(pick(rng, PHRASINGS.convert_units), { n, from, to }), answer: `${answer} ${to}`, key: `units:${n}:${from}:${to}`, wrong: wrong.map((x) => `${x} ${to}`) };
}

// ---- generated fact table -------------------------------------------------------------------

export interface Country {
  name: string;
  capital: string;
  animal: string;
  color: string;
}

const SYLLABLES = ['zor', 'vi', 'tar', 'sin', 'mel', 'ka', 'bre', 'lo', 'qu', 'on', 'dra', 'pel', 'ni', 'ro', 'sa', 'tu', 'fen', 'gal', 'mi', 'ra'];
export const ANIMALS = ['fox', 'owl', 'bear', 'heron', 'lynx', 'otter', 'falcon', 'wolf', 'badger', 'crane', 'seal', 'stag'];
export const COLORS = ['red', 'blue', 'green', 'gold', 'white', 'black', 'purple', 'orange', 'silver', 'teal'];

function inventName(rng: Rng, parts: number): string {
  let s = '';
  for (let i = 0; i < parts; i++) s += pick(rng, SYLLABLES);
  return s[0].toUpperCase() + s.slice(1);
}

/** n fictional countries with distinct names and capitals, drawn from rng. */
export function makeFactTable(rng: Rng, n: number): Country[] {
  const used = new Set<string>();
  const fresh = (parts: number): string => {
    let name: string;
    do name = inventName(rng, parts);
    while (used.has(name));
    used.add(name);
    return name;
  };
  return Array.from({ length: n }, () => ({ name: fresh(2 + rng.int(2)), capital: fresh(2), animal: pick(rng, ANIMALS), color: pick(rng, COLORS) }));
}

export type Attribute = 'capital' | 'animal' | 'color';
/** A country's fact as a sentence, and the ways its question is asked (the hallucination suite,
 * src/eval/hallucination/facts.ts, asks in the same words). */
export const FACT: Record<Attribute, (c: Country) => string> = {
  capital: (c) => `The capital of ${c.name} is ${c.capital}.`,
  animal: (c) => `The national animal of ${c.name} is the ${c.animal}.`,
  color: (c) => `The flag of ${c.name} is ${c.color}.`,
};
export const QUESTION: Record<Attribute, string[]> = {
  capital: ['What is the capital of {x}?', 'Which city is the capital of {x}?', 'Name the capital of {x}.'],
  animal: ['What is the national animal of {x}?', 'Which animal is the national animal of {x}?'],
  color: ['What color is the flag of {x}?', 'Which color is the flag of {x}?'],
};
const LOOKUP_FRAMES = [
  'Facts: {facts}\nQuestion: {q}',
  'Use these facts to answer. {facts}\n{q}',
  'Read the facts and answer the question.\n{facts}\n{q}',
];

/** A question about one of two freshly invented countries whose facts the prompt gives: a new table
 * every time, so the answer can only be read from the prompt, never remembered. */
function lookup(rng: Rng): TaskItem {
  const attr = pick(rng, ['capital', 'animal', 'color'] as Attribute[]);
  const shown = makeFactTable(rng, 2);
  const target = shown[0];
  const answer = target[attr];
  const facts = rng.shuffle(shown.slice()).map((c) => FACT[attr](c)).join(' ');
  const q = fill(pick(rng, QUESTION[attr]), { x: target.name });
  const distractors = shown.slice(1).map((c) => c[attr]).filter((v) => v !== answer);
  const wrong = [...new Set([...distractors, attr === 'capital' ? target.name : pick(rng, attr === 'animal' ? ANIMALS : COLORS)])].filter((v) => v !== answer);
  if (wrong.length < 2) wrong.push('I do not know');
  return { task: 'lookup', prompt: fill(pick(rng, LOOKUP_FRAMES), { facts, q }), answer, key: `lookup:${shown.map((c) => `${c.name}=${c[attr]}`).join(',')}:${target.name}:${attr}`, wrong };
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** One random task of the given kind. */
export function makeTask(rng: Rng, kind: TaskKind): TaskItem {
  switch (kind) {
    case 'add':
    case 'subtract':
    case 'multiply':
      return arithmetic(rng, kind);
    case 'convert_units':
      return convertUnits(rng);
    case 'lookup':
      return lookup(rng);
    default:
      return wordTask(rng, kind);
  }
}
