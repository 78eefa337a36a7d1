// stats.json of a self-instruct run: how many instructions the teacher wrote, how many were kept,
// why the rest were dropped, the ROUGE-L histograms, the verb–object diversity figure and the shape
// of the kept data, all recomputed from the journal so a resumed run's figures cover the whole run.
import { histogram, verbObjectCounts, type VerbCount } from './diversity.js';
import type { GeneratedTask, RoundRecord } from './loop.js';
import { rougeTokens, RougePool } from './rouge.js';
import type { SeedTask } from './tasks.js';

export interface SelfInstructStats {
  rounds: number;
  /** Candidate instructions parsed from the teacher's replies. */
  generated: number;
  kept: number;
  /** Instances (Alpaca records) of the kept instructions. */
  instances: number;
  /** Dropped candidates by reason (filters.ts's DropReason). */
  dropped: Record<string, number>;
  /** Items cut off at the teacher's token limit, never parsed as candidates. */
  truncated: number;
  /** Highest ROUGE-L of each scored candidate against the pool when it was filtered. */
  rougeHistogram: { lo: number; hi: number; count: number }[];
  /** Highest ROUGE-L of each kept instruction against the seed tasks (the paper's Fig. 3). */
  rougeHistogramSeeds: { lo: number; hi: number; count: number }[];
  meanRougeSeeds: number;
  diversity: { verbs: VerbCount[]; parsed: number; nonLatin: number; distinctVerbs: number };
  shape: { classificationShare: number; emptyInputShare: number; instancesPerTask: number; instructionTokens: number; inputTokens: number; outputTokens: number };
  teacher: { name: string; requests: number; retries: number };
  seconds: number;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export function selfInstructStats(rounds: RoundRecord[], seeds: SeedTask[], kept: GeneratedTask[], run: { seconds: number; teacher: { name: string; requests: number; retries: number } }): SelfInstructStats {
  const candidates = rounds.flatMap((r) => r.candidates);
  const dropped: Record<string, number> = {};
  for (const c of candidates) if (c.dropped) dropped[c.dropped] = (dropped[c.dropped] ?? 0) + 1;
  const seedPool = new RougePool();
  for (const t of seeds) seedPool.add(t.instruction);
  const vsSeeds = kept.map((t) => seedPool.max(t.instruction).score);
  const instructions = kept.map((t) => t.instruction);
  const vo = verbObjectCounts(instructions);
  const instances = kept.flatMap((t) => t.instances);
  return {
    rounds: rounds.length,
    generated: candidates.length,
    kept: kept.length,
    instances: instances.length,
    dropped,
    truncated: rounds.reduce((s, r) => s + r.truncated, 0),
    rougeHistogram: histogram(candidates.filter((c) => c.rouge !== null).map((c) => c.rouge as number)),
    rougeHistogramSeeds: histogram(vsSeeds),
    meanRougeSeeds: mean(vsSeeds),
    diversity: vo,
    shape: {
      classificationShare: kept.length ? kept.filter((t) => t.isClassification).length / kept.length : 0,
      emptyInputShare: instances.length ? instances.filter((x) => !x.input.trim()).length / instances.length : 0,
      instancesPerTask: kept.length ? instances.length / kept.length : 0,
      instructionTokens: mean(instructions.map((i) => rougeTokens(i).length)),
      inputTokens: mean(instances.map((x) => rougeTokens(x.input).length)),
      outputTokens: mean(instances.map((x) => rougeTokens(x.output).length)),
    },
    teacher: run.teacher,
    seconds: run.seconds,
  };
}
