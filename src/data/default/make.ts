// The embedded default data, generated from a seed so the default run needs no download:
//   brown/{train,val}.jsonl   the Brown corpus through the full pipeline (pretraining text)
//   sft{,_val}.jsonl          conversations: instruction tasks and Brown continuations (messages)
//   rankings{,_val}.jsonl     K responses per prompt ranked by the gold labelers (ranking)
//   preference{,_val}.jsonl   best vs worst of each ranking (preference)
//   prompts.jsonl             prompt-only with gold records, for PPO/GRPO rewards (prompt)
//   eval.jsonl                held-out prompts with gold records, for measuring alignment (prompt)
// Held-out instruction questions are chosen by a hash of the question (not its phrasing) and never
// appear in the training files; held-out continuation prompts come only from Brown validation
// documents. The Brown training text is decontaminated against the held-out prompts.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../engine/rng.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { check, mergeConfig } from '../../util/config.js';
import { brownDocuments, brownSentences } from '../brown.js';
import type { DeepPartial, PipelineConfig } from '../config.js';
import type { Message, PromptRecord, RankingRecord } from '../formats.js';
import { hashString32, unitHash } from '../hash.js';
import { writeJsonl } from '../jsonl.js';
import { processDocs, type PipelineReport } from '../pipeline.js';
import { continuationCandidates, continuationItems, instructionCandidates, type ContinuationItem } from './candidates.js';
import { goldRank, type Gold } from './labelers.js';
import { TASK_KINDS, makeTask, type TaskItem } from './tasks.js';

export interface DefaultDataConfig {
  seed: number;
  /** Examples per file. */
  sft: number;
  sftVal: number;
  rankings: number;
  rankingsVal: number;
  prompts: number;
  eval: number;
  /** Responses per ranking example. */
  k: number;
  /** Share of examples that are Brown continuations rather than instruction tasks. */
  continuationShare: number;
  /** Share of instruction questions held out for eval (by hash of the question). */
  heldOutShare: number;
  /** Share of SFT conversations that open with a system message. */
  systemShare: number;
}

export const DEFAULT_DATA: DefaultDataConfig = {
  seed: 1234,
  sft: 40000,
  sftVal: 200,
  rankings: 2000,
  rankingsVal: 200,
  prompts: 2000,
  eval: 300,
  k: 4,
  continuationShare: 0.25,
  heldOutShare: 0.1,
  systemShare: 0.1,
};

const SYSTEM = 'You are a helpful assistant. Answer briefly and exactly.';

export function resolveDefaultDataConfig(overrides: Partial<DefaultDataConfig> = {}, where = 'default data config'): DefaultDataConfig {
  const c = mergeConfig({ ...DEFAULT_DATA }, overrides as Parameters<typeof mergeConfig>[1], where);
  check([
    [Number.isInteger(c.k) && c.k >= 2 && c.k <= 5, `k must be an integer in [2, 5], got ${c.k}`],
    [c.continuationShare >= 0 && c.continuationShare <= 1, `continuationShare must be in [0, 1], got ${c.continuationShare}`],
    [c.heldOutShare > 0 && c.heldOutShare < 1, `heldOutShare must be in (0, 1), got ${c.heldOutShare}`],
    ...(['sft', 'sftVal', 'rankings', 'rankingsVal', 'prompts', 'eval'] as const).map((key): [boolean, string] => [Number.isInteger(c[key]) && c[key] >= 0, `${key} must be a count ≥ 0, got ${c[key]}`]),
  ]);
  return c;
}

/** One prompt of the default mix, with its reference answer and gold record. */
interface Item {
  prompt: string;
  reference: string;
  gold: Gold;
  candidates: (rng: Rng, k: number) => string[];
}

/** Draws items from one side of the held-out line. Separate generators pick the kind of item, the
 * task and the continuation, so the n-th instruction item does not depend on continuationShare
 * (heldOutInstructions relies on that). */
class ItemSource {
  private readonly kindRng: Rng;
  private readonly taskRng: Rng;
  private readonly contRng: Rng;

  constructor(seed: number, private readonly cfg: DefaultDataConfig, private readonly conts: ContinuationItem[], private readonly heldOut: boolean) {
    this.kindRng = new Rng(hashString32('kind', seed));
    this.taskRng = new Rng(hashString32('task', seed));
    this.contRng = new Rng(hashString32('continuation', seed));
  }

  next(): Item {
    if (this.conts.length > 0 && this.kindRng.uniform() < this.cfg.continuationShare) {
      const c = this.conts[this.contRng.int(this.conts.length)];
      return { prompt: c.prompt, reference: c.continuation, gold: { kind: 'continuation' }, candidates: (r, k) => continuationCandidates(r, c, this.conts, k) };
    }
    let t: TaskItem;
    do t = makeTask(this.taskRng, TASK_KINDS[this.taskRng.int(TASK_KINDS.length)]);
    while (unitHash(t.key, 'held-out') < this.cfg.heldOutShare !== this.heldOut);
    return { prompt: t.prompt, reference: t.answer, gold: { kind: 'instruction', task: t.task, answer: t.answer }, candidates: (r, k) => instructionCandidates(r, t, k) };
  }
}

export interface DefaultData {
  sft: { messages: Message[] }[];
  sftVal: { messages: Message[] }[];
  rankings: RankingRecord[];
  rankingsVal: RankingRecord[];
  preference: { prompt: Message[]; chosen: string; rejected: string }[];
  preferenceVal: { prompt: Message[]; chosen: string; rejected: string }[];
  prompts: (PromptRecord & { gold: Gold })[];
  eval: (PromptRecord & { gold: Gold; reference: string })[];
}

const EVAL_SEED = 0xe7a1;

/** Generates every default dataset from the seed; continuation prompts for training come from
 * `trainSentences`, held-out ones from `heldOutSentences`. Each file has its own generators, so
 * changing one file's size leaves the others as they were. */
export function makeDefaultData(cfg: DefaultDataConfig, trainSentences: { docId: string; text: string }[], heldOutSentences: { docId: string; text: string }[]): DefaultData {
  const contTrain = continuationItems(new Rng(hashString32('cont-train', cfg.seed)), trainSentences, 2000);
  const contHeld = continuationItems(new Rng(hashString32('cont-held', cfg.seed)), heldOutSentences, Math.max(50, cfg.eval));
  const user = (content: string): Message[] => [{ role: 'user', content }];
  const times = <T>(name: string, n: number, f: (src: ItemSource, rng: Rng) => T): T[] => {
    const src = new ItemSource(hashString32(name, cfg.seed), cfg, contTrain, false);
    const rng = new Rng(hashString32(name + ':responses', cfg.seed));
    return Array.from({ length: n }, () => f(src, rng));
  };
  const conversation = (src: ItemSource, rng: Rng): { messages: Message[] } => {
    const it = src.next();
    const messages: Message[] = rng.uniform() < cfg.systemShare ? [{ role: 'system', content: SYSTEM }] : [];
    messages.push({ role: 'user', content: it.prompt }, { role: 'assistant', content: it.reference });
    return { messages };
  };
  const ranking = (src: ItemSource, rng: Rng): RankingRecord => {
    const it = src.next();
    const responses = it.candidates(rng, cfg.k);
    return { prompt: user(it.prompt), responses, ranking: goldRank(it.gold, responses) };
  };
  const bestVsWorst = (r: RankingRecord): DefaultData['preference'][number] => ({
    prompt: r.prompt as Message[],
    chosen: r.responses[r.ranking[0]] as string,
    rejected: r.responses[r.ranking[r.ranking.length - 1]] as string,
  });
  const rankings = times('rankings', cfg.rankings, ranking);
  const rankingsVal = times('rankings_val', cfg.rankingsVal, ranking);
  const held = new ItemSource(EVAL_SEED ^ cfg.seed, cfg, contHeld, true);
  return {
    sft: times('sft', cfg.sft, conversation),
    sftVal: times('sft_val', cfg.sftVal, conversation),
    rankings,
    rankingsVal,
    preference: rankings.map(bestVsWorst),
    preferenceVal: rankingsVal.map(bestVsWorst),
    prompts: times('prompts', cfg.prompts, (src) => {
      const it = src.next();
      return { prompt: user(it.prompt), gold: it.gold };
    }),
    eval: Array.from({ length: cfg.eval }, () => {
      const it = held.next();
      return { prompt: user(it.prompt), gold: it.gold, reference: it.reference };
    }),
  };
}

/** The first n held-out instruction prompts: a superset of those eval.jsonl will hold (its
 * continuation slots take none of them), known before Brown is processed so Brown can be
 * decontaminated against them. */
export function heldOutInstructions(cfg: DefaultDataConfig, n = cfg.eval): string[] {
  const src = new ItemSource(EVAL_SEED ^ cfg.seed, cfg, [], true);
  return Array.from({ length: n }, () => src.next().prompt);
}

export interface MakeDefaultResult {
  brown: PipelineReport;
  files: Record<string, number>;
}

/** Writes the processed Brown corpus and every default dataset under outDir. */
export function makeDefault(outDir: string, cfg: DefaultDataConfig = DEFAULT_DATA, pipeline: DeepPartial<PipelineConfig> = {}, onStep?: (step: string) => void): MakeDefaultResult {
  mkdirSync(join(outDir, 'brown'), { recursive: true });
  const files: Record<string, number> = {};
  // Held-out instruction prompts do not depend on Brown, so they exist before Brown is cleaned
  // and can decontaminate it.
  onStep?.('brown');
  const heldOutText = heldOutInstructions(cfg);
  const brownDocs = [...brownDocuments()].map((d) => ({ id: d.id, text: d.text }));
  const brown = processDocs(brownDocs, pipeline, [{ name: 'default-eval', texts: heldOutText }]);
  files['brown/train.jsonl'] = writeJsonl(join(outDir, 'brown/train.jsonl'), brown.train.map((d) => ({ text: d.text })));
  files['brown/val.jsonl'] = writeJsonl(join(outDir, 'brown/val.jsonl'), brown.val.map((d) => ({ text: d.text })));
  writeJsonAtomic(join(outDir, 'brown/report.json'), brown.report);

  onStep?.('datasets');
  const valIds = new Set(brown.val.map((d) => d.id));
  const trainIds = new Set(brown.train.map((d) => d.id));
  const sentences = [...brownSentences()];
  const data = makeDefaultData(cfg, sentences.filter((s) => trainIds.has(s.docId)), sentences.filter((s) => valIds.has(s.docId)));
  const names: [keyof DefaultData, string][] = [
    ['sft', 'sft.jsonl'], ['sftVal', 'sft_val.jsonl'], ['rankings', 'rankings.jsonl'], ['rankingsVal', 'rankings_val.jsonl'],
    ['preference', 'preference.jsonl'], ['preferenceVal', 'preference_val.jsonl'], ['prompts', 'prompts.jsonl'], ['eval', 'eval.jsonl'],
  ];
  for (const [key, file] of names) files[file] = writeJsonl(join(outDir, file), data[key]);
  writeJsonAtomic(join(outDir, 'manifest.json'), { config: cfg, files });
  return { brown: brown.report, files };
}
