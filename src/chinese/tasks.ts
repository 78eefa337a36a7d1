// Chinese instruction data, generated from a seed the way the default data is (src/data/default):
// tasks with checkable answers and several phrasings each, built from the lines of the training
// poems — the next or previous line of a couplet (what continued pretraining on the poems should
// have taught), a line's character count, its characters reversed, its k-th character — and sums of
// two numbers below 20, plus poem continuations. Held-out questions are chosen by a hash of the
// question (not its phrasing), so none appears in the training conversations in any phrasing.
import { Rng } from '../engine/rng.js';
import { unitHash } from '../data/hash.js';
import type { Message, MessagesRecord } from '../data/formats.js';

export type ChineseTask = 'next_line' | 'prev_line' | 'count_chars' | 'reverse' | 'nth_char' | 'add';
export const CHINESE_TASKS: ChineseTask[] = ['next_line', 'prev_line', 'count_chars', 'reverse', 'nth_char', 'add'];

export interface ChineseItem {
  task: ChineseTask;
  prompt: string;
  answer: string;
  /** The question without its phrasing ("next:床前明月光"). */
  key: string;
}

const PHRASINGS: Record<ChineseTask, string[]> = {
  next_line: ['「{a}」的下一句是什么？', '请接下一句：{a}', '{a}，下一句是？', '写出「{a}」的下一句。'],
  prev_line: ['「{b}」的上一句是什么？', '请写出上一句：{b}', '哪一句的下一句是「{b}」？'],
  count_chars: ['「{a}」有几个字？', '数一数这句有多少个字：{a}', '这句话一共几个字？{a}'],
  reverse: ['把「{a}」倒过来写。', '倒序写出：{a}', '请把这句话的字顺序颠倒：{a}'],
  nth_char: ['「{a}」的第{k}个字是什么？', '这句话的第{k}个字是哪个字？{a}'],
  add: ['{x}加{y}等于多少？', '计算{x}加{y}。', '{x}与{y}的和是多少？'],
};

const NUMERALS = ['一', '二', '三', '四', '五', '六', '七'];
const HAN = /^\p{Script=Han}+$/u;

const fill = (t: string, v: Record<string, string | number>): string => t.replace(/\{(\w+)\}/g, (_, k: string) => String(v[k]));

/** Consecutive lines of the poems (a, b), each 4 to 7 Chinese characters: the couplets. */
export function couplets(poems: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const poem of poems) {
    for (const sentence of poem.split(/[。！？\n]/u)) {
      const lines = sentence.split(/[，、；：]/u).map((s) => s.trim());
      for (let i = 0; i + 1 < lines.length; i++) {
        const [a, b] = [lines[i], lines[i + 1]];
        if (HAN.test(a) && HAN.test(b) && a.length >= 4 && a.length <= 7 && b.length >= 4 && b.length <= 7) out.push([a, b]);
      }
    }
  }
  return out;
}

/** One task of the given kind with a random couplet (or numbers). */
export function makeChineseTask(rng: Rng, task: ChineseTask, pairs: [string, string][]): ChineseItem {
  const phrase = PHRASINGS[task][rng.int(PHRASINGS[task].length)];
  if (task === 'add') {
    const x = rng.int(20), y = rng.int(20);
    return { task, prompt: fill(phrase, { x, y }), answer: String(x + y), key: `add:${x}:${y}` };
  }
  const [a, b] = pairs[rng.int(pairs.length)];
  switch (task) {
    case 'next_line': return { task, prompt: fill(phrase, { a }), answer: b, key: `next:${a}` };
    case 'prev_line': return { task, prompt: fill(phrase, { b }), answer: a, key: `prev:${b}` };
    case 'count_chars': return { task, prompt: fill(phrase, { a }), answer: String(a.length), key: `count:${a}` };
    case 'reverse': return { task, prompt: fill(phrase, { a }), answer: [...a].reverse().join(''), key: `reverse:${a}` };
    case 'nth_char': {
      const k = rng.int(a.length);
      return { task, prompt: fill(phrase, { a, k: NUMERALS[k] }), answer: a[k], key: `nth:${a}:${k}` };
    }
  }
}

export interface ChineseSftData {
  train: MessagesRecord[];
  val: MessagesRecord[];
  /** Held-out instruction prompts with their answers (eval.jsonl's shape). */
  eval: { prompt: Message[]; gold: { kind: 'instruction'; task: ChineseTask; answer: string } }[];
}

export interface ChineseSftOptions { examples: number; valExamples: number; evalPrompts: number; continuationShare: number; seed: number }

/** The share of questions held out for evaluation, by hash of the question. */
const HELD_OUT = 0.1;

/** Conversations from the poems: instruction tasks (training questions only) and continuations
 * ("续写这首诗：" and the first couplet; the rest of the poem as the answer). */
export function chineseSftData(poems: string[], o: ChineseSftOptions): ChineseSftData {
  const pairs = couplets(poems);
  if (!pairs.length) throw new Error('chineseSftData: no couplets of 4–7 Chinese characters in the poems');
  const rng = new Rng(o.seed);
  const heldOut = (it: ChineseItem): boolean => unitHash(it.key, 'chinese-eval') < HELD_OUT;
  const draw = (wantHeldOut: boolean): ChineseItem => {
    for (;;) {
      const it = makeChineseTask(rng, CHINESE_TASKS[rng.int(CHINESE_TASKS.length)], pairs);
      if (heldOut(it) === wantHeldOut) return it;
    }
  };
  const openings = poems.map((p) => /^([^。！？\n]+[。！？])\n?([\s\S]+)$/u.exec(p)).filter((m): m is RegExpExecArray => m !== null);
  const conversation = (): MessagesRecord => {
    if (openings.length && rng.uniform() < o.continuationShare) {
      const m = openings[rng.int(openings.length)];
      return { messages: [{ role: 'user', content: `续写这首诗：${m[1]}` }, { role: 'assistant', content: m[2].trim() }] };
    }
    const it = draw(false);
    return { messages: [{ role: 'user', content: it.prompt }, { role: 'assistant', content: it.answer }] };
  };
  const train = Array.from({ length: o.examples }, conversation);
  const val = Array.from({ length: o.valExamples }, conversation);
  const evalItems = Array.from({ length: o.evalPrompts }, () => draw(true));
  return {
    train, val,
    eval: evalItems.map((it) => ({ prompt: [{ role: 'user', content: it.prompt }], gold: { kind: 'instruction', task: it.task, answer: it.answer } })),
  };
}
