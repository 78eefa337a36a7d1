// The embedded default data, generated from a seed so the default run needs no download:
//   stories/{train,val}.jsonl  generated simple stories (pretraining text)                  (text)
//   brown/{train,val}.jsonl    the Brown corpus through the full data pipeline             (text)
//   sft{,_val}.jsonl           conversations: instruction tasks and story continuations    (messages)
//   rankings{,_val}.jsonl      K responses per prompt ranked by the gold labelers, ties    (ranking)
//   preference{,_val}.jsonl    best vs worst of each ranking                               (preference)
//   prompts.jsonl              training prompts with gold records (PPO, RLOO, GRPO)        (prompt)
//   dev.jsonl                  development prompts with gold and reference, for tuning     (prompt)
//   eval.jsonl                 held-out prompts with gold and reference, for measuring     (prompt)
// Every question has a canonical key (an instruction's question in any order or phrasing; a
// story's hero, companion and home), and a hash of the key puts it on one side: eval (held out),
// dev (carved from the training side for tuning) or train. A key never crosses sides, so no
// held-out question is trained on in another order, and no held-out story opening is pretrained
// on. The Brown text is decontaminated against every held-out prompt.
import { join } from 'node:path';
import { Rng } from '../../engine/rng.js';
import { ensureDir, writeJsonAtomic } from '../../util/fs.js';
import { check, mergeConfig } from '../../util/config.js';
import { brownDocuments } from '../brown.js';
import type { DeepPartial, PipelineConfig } from '../config.js';
import type { Message, PromptRecord, RankingRecord } from '../formats.js';
import { hashString32 } from '../hash.js';
import { writeJsonl } from '../jsonl.js';
import { processDocs, type PipelineReport } from '../pipeline.js';
import { instructionCandidates } from './candidates.js';
import { continuationCandidates, continuationItem, type ContinuationItem } from './continuations.js';
import { goldRanking, type Gold } from './labelers.js';
import { makeStory, storyText } from './stories/story.js';
import { TASK_KINDS, makeTask, type TaskItem } from './tasks.js';

export interface DefaultDataConfig {
  seed: number;
  /** Generated stories for pretraining (stories/train.jsonl), and held-out ones for its
   * perplexity (stories/val.jsonl, from the dev side). */
  stories: number;
  storiesVal: number;
  /** SFT conversations (train side) and validation ones (dev side). */
  sft: number;
  sftVal: number;
  /** Share of SFT conversations that continue a story rather than follow an instruction. */
  continuationShare: number;
  /** Share of SFT conversations that open with a system message. */
  systemShare: number;
  // The counts below are per kind: a file holds as many continuation prompts as instructions.
  /** Ranking examples (K responses each) for the reward model: training ones, and held-out ones
   * (eval side, so held out by question) for its accuracy. */
  rankings: number;
  rankingsVal: number;
  /** Training prompts for the policy stages: rankings of the policy's samples, PPO and RLOO
   * rollouts (continuations), GRPO (instructions). */
  prompts: number;
  /** Development prompts, for tuning: never the held-out eval prompts. */
  dev: number;
  /** Held-out prompts for every figure of the report. */
  eval: number;
  /** Responses per ranking example. */
  k: number;
  /** Share of questions (by hash of the canonical key) held out for eval, and carved out for dev. */
  heldOutShare: number;
  devShare: number;
}

export const DEFAULT_DATA: DefaultDataConfig = {
  seed: 1234,
  // 20,000 stories are about 1.7 M words, several times what 300 pretraining steps of 8 × 256
  // tokens read, so the model never sees a story twice.
  stories: 20000,
  storiesVal: 500,
  sft: 40000,
  sftVal: 200,
  continuationShare: 0.25,
  systemShare: 0.1,
  rankings: 2000,
  rankingsVal: 200,
  // A few thousand of each: PPO and RLOO draw continuation rollouts from here, GRPO instructions,
  // and the pipeline ranks SFT samples of the first ones.
  prompts: 4000,
  dev: 400,
  // At least 400 per kind: a win rate's standard error is then at most 0.025.
  eval: 400,
  k: 4,
  heldOutShare: 0.1,
  devShare: 0.05,
};

const SYSTEM = 'You are a helpful assistant. Answer briefly and exactly.';
const COUNTS = ['stories', 'storiesVal', 'sft', 'sftVal', 'rankings', 'rankingsVal', 'prompts', 'dev', 'eval'] as const;

/** `base` (the defaults) with `overrides` merged in and checked; `where` names the source in errors. */
export function resolveDefaultDataConfig(overrides: Partial<DefaultDataConfig> = {}, where = 'default data config', base: DefaultDataConfig = DEFAULT_DATA): DefaultDataConfig {
  const c = mergeConfig({ ...base }, overrides as Parameters<typeof mergeConfig>[1], where);
  const count = (key: string, v: number): [boolean, string] => [Number.isInteger(v) && v >= 0, `${key} must be a count ≥ 0, got ${v}`];
  check([
    [Number.isInteger(c.k) && c.k >= 2 && c.k <= 5, `k must be an integer in [2, 5], got ${c.k}`],
    [c.continuationShare >= 0 && c.continuationShare <= 1, `continuationShare must be in [0, 1], got ${c.continuationShare}`],
    [c.systemShare >= 0 && c.systemShare <= 1, `systemShare must be in [0, 1], got ${c.systemShare}`],
    [c.heldOutShare > 0 && c.devShare > 0 && c.heldOutShare + c.devShare < 1, `heldOutShare and devShare must be > 0 with a sum below 1, got ${c.heldOutShare} and ${c.devShare}`],
    ...COUNTS.map((key) => count(key, c[key])),
  ]);
  return c;
}

/** The sides of the held-out line: training, development (tuning), held-out evaluation. */
export type Side = 'train' | 'dev' | 'eval';

/** Which side a canonical key falls on: a fixed hash of the key (not of the seed, so a question
 * stays on its side whatever the seed), read as a number in [0, 1). */
export function sideOf(key: string, cfg: Pick<DefaultDataConfig, 'heldOutShare' | 'devShare'>): Side {
  const u = hashString32(key, HELD_OUT_SALT) / 4294967296;
  return u < cfg.heldOutShare ? 'eval' : u < cfg.heldOutShare + cfg.devShare ? 'dev' : 'train';
}
const HELD_OUT_SALT = 0x4e1d;

/** Whether item j of n is a continuation when c of the n are: spread evenly (Bresenham), so any
 * prefix of a file holds both kinds in proportion. */
export const isContinuationAt = (j: number, c: number, n: number): boolean => Math.floor(((j + 1) * c) / n) > Math.floor((j * c) / n);

/** One prompt of the default mix, with its reference answer and gold record. */
interface Item {
  prompt: string;
  reference: string;
  gold: Gold;
  candidates: (rng: Rng, k: number) => string[];
}

/** Draws items of both kinds from one side of the line. Instructions and stories have generators
 * of their own, so the n-th instruction item does not depend on how many continuations came
 * before it. */
class ItemSource {
  private readonly taskRng: Rng;
  private readonly storyRng: Rng;

  constructor(name: string, cfg: DefaultDataConfig, private readonly onSide: (key: string) => boolean) {
    this.taskRng = new Rng(hashString32(`${name}:task`, cfg.seed));
    this.storyRng = new Rng(hashString32(`${name}:story`, cfg.seed));
  }

  instruction(): Item {
    let t: TaskItem;
    do t = makeTask(this.taskRng, TASK_KINDS[this.taskRng.int(TASK_KINDS.length)]);
    while (!this.onSide(t.key));
    return { prompt: t.prompt, reference: t.answer, gold: { kind: 'instruction', task: t.task, answer: t.answer }, candidates: (r, k) => instructionCandidates(r, t, k) };
  }

  continuation(): Item {
    let c: ContinuationItem | null = null;
    while (c === null) {
      const story = makeStory(this.storyRng, this.onSide);
      if (story) c = continuationItem(this.storyRng, story);
    }
    const item = c;
    return { prompt: item.prompt, reference: item.continuation, gold: item.gold, candidates: (r, k) => continuationCandidates(r, item, k) };
  }

  /** n items, c of them continuations, interleaved evenly. */
  mix(n: number, c: number): Item[] {
    return Array.from({ length: n }, (_, j) => (isContinuationAt(j, c, n) ? this.continuation() : this.instruction()));
  }
}

type Preference = { prompt: Message[]; chosen: string; rejected: string };
export interface DefaultData {
  stories: { text: string }[];
  storiesVal: { text: string }[];
  sft: { messages: Message[] }[];
  sftVal: { messages: Message[] }[];
  rankings: RankingRecord[];
  rankingsVal: RankingRecord[];
  preference: Preference[];
  preferenceVal: Preference[];
  prompts: (PromptRecord & { gold: Gold })[];
  dev: (PromptRecord & { gold: Gold; reference: string })[];
  eval: (PromptRecord & { gold: Gold; reference: string })[];
}

/** Stories from one side of the line. */
function sideStories(rng: Rng, onSide: (key: string) => boolean, n: number): { text: string }[] {
  const out: { text: string }[] = [];
  while (out.length < n) {
    const s = makeStory(rng, onSide);
    if (s) out.push({ text: storyText(s.beats) });
  }
  return out;
}

/** Generates every default dataset from the seed. Each file has its own generators, so changing
 * one file's size leaves the others as they were. */
export function makeDefaultData(cfg: DefaultDataConfig): DefaultData {
  const test = (side: Side) => (key: string): boolean => sideOf(key, cfg) === side;
  const onSide = { train: test('train'), dev: test('dev'), eval: test('eval') };
  const user = (content: string): Message[] => [{ role: 'user', content }];
  const items = (name: string, side: Side, n: number, c: number): { items: Item[]; rng: Rng } => ({
    items: new ItemSource(name, cfg, onSide[side]).mix(n, c), rng: new Rng(hashString32(`${name}:responses`, cfg.seed)),
  });
  const conversations = (name: string, side: Side, n: number): { messages: Message[] }[] => {
    const { items: its, rng } = items(name, side, n, Math.round(n * cfg.continuationShare));
    return its.map((it) => {
      const messages: Message[] = rng.uniform() < cfg.systemShare ? [{ role: 'system', content: SYSTEM }] : [];
      messages.push({ role: 'user', content: it.prompt }, { role: 'assistant', content: it.reference });
      return { messages };
    });
  };
  // n of each kind, interleaved.
  const rankings = (name: string, side: Side, n: number): RankingRecord[] => {
    const { items: its, rng } = items(name, side, 2 * n, n);
    return its.map((it) => {
      const responses = it.candidates(rng, cfg.k);
      const { ranking, ties } = goldRanking(it.gold, responses);
      return { prompt: user(it.prompt), responses, ranking, ...(ties.length ? { ties } : {}) };
    });
  };
  // Best against worst, where they differ (a ranking of all-equal responses has no pair).
  const bestVsWorst = (rs: RankingRecord[]): Preference[] => rs
    .filter((r) => !(r.ties?.[0]?.length === r.responses.length))
    .map((r) => ({ prompt: r.prompt as Message[], chosen: r.responses[r.ranking[0]] as string, rejected: r.responses[r.ranking[r.ranking.length - 1]] as string }));
  const prompts = (name: string, side: Side, n: number): (PromptRecord & { gold: Gold; reference: string })[] =>
    items(name, side, 2 * n, n).items.map((it) => ({ prompt: user(it.prompt), gold: it.gold, reference: it.reference }));
  const rankingsTrain = rankings('rankings', 'train', cfg.rankings);
  const rankingsVal = rankings('rankings_val', 'eval', cfg.rankingsVal);
  return {
    stories: sideStories(new Rng(hashString32('stories', cfg.seed)), onSide.train, cfg.stories),
    storiesVal: sideStories(new Rng(hashString32('stories_val', cfg.seed)), onSide.dev, cfg.storiesVal),
    sft: conversations('sft', 'train', cfg.sft),
    sftVal: conversations('sft_val', 'dev', cfg.sftVal),
    rankings: rankingsTrain,
    rankingsVal,
    preference: bestVsWorst(rankingsTrain),
    preferenceVal: bestVsWorst(rankingsVal),
    prompts: prompts('prompts', 'train', cfg.prompts).map(({ prompt, gold }) => ({ prompt, gold })),
    dev: prompts('dev', 'dev', cfg.dev),
    eval: prompts('eval', 'eval', cfg.eval),
  };
}

export interface MakeDefaultResult {
  brown: PipelineReport;
  files: Record<string, number>;
}

/** Writes the generated datasets and the processed Brown corpus under outDir. */
export function makeDefault(outDir: string, cfg: DefaultDataConfig = DEFAULT_DATA, pipeline: DeepPartial<PipelineConfig> = {}, onStep?: (step: string) => void): MakeDefaultResult {
  ensureDir(join(outDir, 'stories'));
  ensureDir(join(outDir, 'brown'));
  const files: Record<string, number> = {};
  onStep?.('datasets');
  const data = makeDefaultData(cfg);
  const names: [keyof DefaultData, string][] = [
    ['stories', 'stories/train.jsonl'], ['storiesVal', 'stories/val.jsonl'],
    ['sft', 'sft.jsonl'], ['sftVal', 'sft_val.jsonl'], ['rankings', 'rankings.jsonl'], ['rankingsVal', 'rankings_val.jsonl'],
    ['preference', 'preference.jsonl'], ['preferenceVal', 'preference_val.jsonl'], ['prompts', 'prompts.jsonl'], ['dev', 'dev.jsonl'], ['eval', 'eval.jsonl'],
  ];
  for (const [key, file] of names) files[file] = writeJsonl(join(outDir, file), data[key]);

  // Brown is decontaminated against every held-out prompt: eval.jsonl's and the held-out rankings'.
  onStep?.('brown');
  const heldOut = [...data.eval, ...data.rankingsVal].map((r) => (r.prompt as Message[])[0].content);
  const brownDocs = [...brownDocuments()].map((d) => ({ id: d.id, text: d.text }));
  const brown = processDocs(brownDocs, pipeline, [{ name: 'default-eval', texts: heldOut }]);
  files['brown/train.jsonl'] = writeJsonl(join(outDir, 'brown/train.jsonl'), brown.train.map((d) => ({ text: d.text })));
  files['brown/val.jsonl'] = writeJsonl(join(outDir, 'brown/val.jsonl'), brown.val.map((d) => ({ text: d.text })));
  writeJsonAtomic(join(outDir, 'brown/report.json'), brown.report);
  writeJsonAtomic(join(outDir, 'manifest.json'), { config: cfg, files });
  return { brown: brown.report, files };
}
