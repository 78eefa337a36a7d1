// The Self-Instruct loop (Wang et al. 2022, §2): each round
//   1. builds `requestsPerRound` prompts of 8 tasks (6 seed + 2 generated, fewer generated while
//      there are fewer) and asks the teacher to continue the list;
//   2. filters every new instruction (length, keywords, form; duplicates; ROUGE-L ≥ 0.7 against any
//      instruction in the pool), in request order, so the result does not depend on which reply
//      came back first; an instruction that passes joins the pool at once, so its near-copies in the
//      same round are caught;
//   3. asks the teacher whether each passing instruction is a classification task, then generates
//      its instances output-first (classification) or input-first (generation);
//   4. keeps the instruction if at least one instance survives the instance filters.
// Every round is appended to rounds.jsonl (the journal) before the next starts; a run started again
// on the same folder replays the journal and continues with the next round. Each round's sampling
// comes from its own seeded generator, so a resumed run makes what an uninterrupted one would have.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../engine/rng.js';
import { hashString32 } from '../data/hash.js';
import { configDiff } from '../train/run-dir.js';
import { ensureDir, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { RESUMABLE_KEYS, type SelfInstructConfig } from './config.js';
import { cleanInstruction, dedupeKey, filterInstances, instructionFilter, type DropReason } from './filters.js';
import {
  CLASSIFICATION_STOP, INSTANCE_STOP, INSTRUCTION_STOP, classificationPrompt, inputFirstPrompt, instructionPrompt, outputFirstPrompt,
  parseClassification, parseInputFirst, parseInstructions, parseOutputFirst,
} from './prompts.js';
import { RougePool } from './rouge.js';
import { selfInstructStats, type SelfInstructStats } from './stats.js';
import { diversityPlot } from './plot.js';
import { DEFAULT_SEED_TASKS, loadSeedTasks, toConversation, type AlpacaRecord, type Instance, type SeedTask } from './tasks.js';
import type { Teacher, TeacherRequest } from './teacher.js';

/** One candidate instruction as the journal records it. */
export interface Candidate {
  instruction: string;
  /** Why it was dropped; null when kept. */
  dropped: DropReason | null;
  /** Highest ROUGE-L against the pool when it was scored (null when an earlier filter dropped it). */
  rouge: number | null;
  /** The pool instruction reaching that score. */
  similarTo: string | null;
  isClassification?: boolean;
  instances?: Instance[];
}

export interface RoundRecord { round: number; requests: number; truncated: number; candidates: Candidate[] }

export interface GeneratedTask { instruction: string; isClassification: boolean; instances: Instance[]; round: number }

export interface SelfInstructResult {
  out: string;
  rounds: number;
  kept: number;
  stats: SelfInstructStats;
  /** Rounds found in the journal when the run started (0 for a fresh run). */
  resumedRounds: number;
}

interface State {
  seeds: SeedTask[];
  pool: RougePool;
  /** Instructions in the pool, by pool index (seeds first). */
  poolText: string[];
  seen: Set<string>;
  kept: GeneratedTask[];
  rounds: RoundRecord[];
}

const sample = <T>(rng: Rng, xs: readonly T[], k: number): T[] => rng.shuffle(xs.slice()).slice(0, Math.min(k, xs.length));

function admit(s: State, instruction: string): void {
  s.pool.add(instruction);
  s.poolText.push(instruction);
  s.seen.add(dedupeKey(instruction));
}

/** Replays one journal record into the state. */
function replay(s: State, r: RoundRecord): void {
  for (const c of r.candidates) {
    if (c.dropped === null || c.dropped === 'no_instances') admit(s, c.instruction);
    if (c.dropped === null) s.kept.push({ instruction: c.instruction, isClassification: c.isClassification ?? false, instances: c.instances ?? [], round: r.round });
  }
  s.rounds.push(r);
}

/** Reads the journal; a last line cut off by an interruption is dropped (and removed from the file). */
function readJournal(file: string): RoundRecord[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
  const out: RoundRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      out.push(JSON.parse(lines[i]) as RoundRecord);
    } catch (e) {
      if (i < lines.length - 1) throw new Error(`${file}:${i + 1}: the journal is damaged (${(e as Error).message}); remove the folder to start again`);
      writeFileSync(file, lines.slice(0, i).map((l) => l + '\n').join(''));
    }
  }
  return out;
}

/** Checks an existing folder was made with the same settings (those in RESUMABLE_KEYS may differ). */
function checkResume(out: string, cfg: SelfInstructConfig): void {
  const file = join(out, 'config.json');
  if (!existsSync(file)) return;
  const before = JSON.parse(readFileSync(file, 'utf8')) as SelfInstructConfig;
  const diff = configDiff(before, cfg).filter((k) => !RESUMABLE_KEYS.some((r) => k === r || k.startsWith(`${r}.`)));
  if (diff.length) throw new Error(`${out} holds a self-instruct run made with other settings (${diff.join(', ')}); continue it with the same settings, or choose a new --out`);
}

/** Writes tasks.jsonl, sft.jsonl, stats.json and diversity.svg from the state. */
function writeOutputs(out: string, s: State, seconds: number, teacher: { name: string; requests: number; retries: number }): SelfInstructStats {
  const records: AlpacaRecord[] = s.kept.flatMap((t) => t.instances.map((x) => ({ instruction: t.instruction, input: x.input, output: x.output })));
  writeFileAtomic(join(out, 'tasks.jsonl'), records.map((r) => JSON.stringify(r) + '\n').join(''));
  writeFileAtomic(join(out, 'sft.jsonl'), records.map((r) => JSON.stringify(toConversation(r)) + '\n').join(''));
  const stats = selfInstructStats(s.rounds, s.seeds, s.kept, { seconds, teacher });
  writeJsonAtomic(join(out, 'stats.json'), stats);
  writeFileAtomic(join(out, 'diversity.svg'), diversityPlot(stats.diversity.verbs, stats.rougeHistogramSeeds, `Self-Instruct: ${stats.kept} instructions kept of ${stats.generated} generated`));
  return stats;
}

export interface RunOptions {
  quiet?: boolean;
  /** Request and retry counts of an API teacher, for stats.json. */
  teacherCounts?: () => { requests: number; retries: number };
}

export async function selfInstruct(cfg: SelfInstructConfig, teacher: Teacher, opts: RunOptions = {}): Promise<SelfInstructResult> {
  const log = (m: string): void => { if (!opts.quiet) console.log(m); };
  const t0 = performance.now();
  ensureDir(cfg.out);
  checkResume(cfg.out, cfg);
  writeJsonAtomic(join(cfg.out, 'config.json'), cfg);
  const seeds = await loadSeedTasks(cfg.seedTasks || DEFAULT_SEED_TASKS);
  const s: State = { seeds, pool: new RougePool(), poolText: [], seen: new Set(), kept: [], rounds: [] };
  for (const t of seeds) admit(s, t.instruction);
  const journal = join(cfg.out, 'rounds.jsonl');
  for (const r of readJournal(journal)) replay(s, r);
  const resumedRounds = s.rounds.length;
  if (resumedRounds) log(`self-instruct: resuming ${cfg.out} after ${resumedRounds} rounds (${s.kept.length} instructions kept)`);
  log(`self-instruct: ${seeds.length} seed tasks, teacher ${teacher.name}, target ${cfg.count} instructions`);
  let requests = 0;
  const teacherCounts = (): { name: string; requests: number; retries: number } => ({ name: teacher.name, ...(opts.teacherCounts?.() ?? { requests, retries: 0 }) });

  for (let round = s.rounds.length; s.kept.length < cfg.count && round < cfg.maxRounds; round++) {
    const rng = new Rng(hashString32(`self-instruct-round:${round}`, cfg.seed));
    const generated = s.kept.map((t) => t.instruction);
    const genReqs: TeacherRequest[] = Array.from({ length: cfg.requestsPerRound }, (_, i) => {
      const fromGen = sample(rng, generated, cfg.inContext.generated);
      const fromSeed = sample(rng, seeds.map((t) => t.instruction), cfg.inContext.seed + cfg.inContext.generated - fromGen.length);
      return { prompt: instructionPrompt(rng.shuffle([...fromSeed, ...fromGen])), ...cfg.generation, stop: INSTRUCTION_STOP, seed: hashString32(`gen:${round}:${i}`, cfg.seed) };
    });
    const replies = await teacher.complete(genReqs);
    requests += genReqs.length;

    const record: RoundRecord = { round, requests: genReqs.length, truncated: 0, candidates: [] };
    const passing: Candidate[] = [];
    for (const reply of replies) {
      const parsed = parseInstructions(reply.text, reply.truncated);
      record.truncated += parsed.truncated;
      for (const raw of parsed.instructions) {
        if (s.kept.length + passing.length >= cfg.count) break;
        const instruction = cleanInstruction(raw);
        const c: Candidate = { instruction, dropped: instructionFilter(instruction, cfg.filters), rouge: null, similarTo: null };
        if (!c.dropped && s.seen.has(dedupeKey(instruction))) c.dropped = 'duplicate';
        if (!c.dropped) {
          const m = s.pool.max(instruction);
          c.rouge = m.score;
          c.similarTo = m.index >= 0 ? s.poolText[m.index] : null;
          if (m.score >= cfg.rougeThreshold) c.dropped = 'similar';
        }
        if (!c.dropped) {
          admit(s, instruction);
          passing.push(c);
        }
        record.candidates.push(c);
      }
    }

    // Classification identification, then instance generation, both as one batch of requests.
    const clsReplies = await teacher.complete(passing.map((c, i) => ({
      prompt: classificationPrompt(c.instruction), maxTokens: cfg.classification.maxTokens, temperature: 0, topP: 1, stop: CLASSIFICATION_STOP, seed: hashString32(`cls:${round}:${i}`, cfg.seed),
    })));
    passing.forEach((c, i) => { c.isClassification = parseClassification(clsReplies[i].text) ?? false; });
    const instReplies = await teacher.complete(passing.map((c, i) => ({
      prompt: c.isClassification ? outputFirstPrompt(c.instruction) : inputFirstPrompt(c.instruction), ...cfg.instances, stop: INSTANCE_STOP, seed: hashString32(`inst:${round}:${i}`, cfg.seed),
    })));
    requests += 2 * passing.length;
    passing.forEach((c, i) => {
      c.instances = filterInstances((c.isClassification ? parseOutputFirst : parseInputFirst)(instReplies[i].text), cfg.filters);
      if (c.instances.length === 0) c.dropped = 'no_instances';
      else s.kept.push({ instruction: c.instruction, isClassification: c.isClassification ?? false, instances: c.instances, round });
    });

    appendFileSync(journal, JSON.stringify(record) + '\n');
    s.rounds.push(record);
    const keptNow = record.candidates.filter((c) => c.dropped === null).length;
    log(`round ${round + 1}: ${record.candidates.length} candidates, ${keptNow} kept (total ${s.kept.length}/${cfg.count})`);
    if ((round + 1) % cfg.writeEvery === 0) writeOutputs(cfg.out, s, (performance.now() - t0) / 1000, teacherCounts());
  }
  const stats = writeOutputs(cfg.out, s, (performance.now() - t0) / 1000, teacherCounts());
  if (s.kept.length < cfg.count) log(`self-instruct: stopped after ${cfg.maxRounds} rounds with ${s.kept.length} of ${cfg.count} instructions (raise --maxRounds, or try a stronger teacher)`);
  return { out: cfg.out, rounds: s.rounds.length, kept: s.kept.length, stats, resumedRounds };
}
