// The stage runner. A pipeline is an ordered list of stages; each has a name, a config (its slice
// of the pipeline config), and writes its outputs into <run>/<name>/. Its hash covers its name,
// its config and the hashes of the stages it reads from, and is recorded in <run>/<name>/stage.json:
//   {status: "running", hash, config}                      while it runs
//   {status: "done", hash, config, result, seconds}        when it finished
// Running the pipeline again on the same folder skips every stage that is done with the same
// hash, resumes one that was interrupted (status running, same hash: trainers continue from their
// checkpoints), and reruns from scratch one whose config or inputs changed (or that always runs).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/fs.js';
import { readJson } from '../train/metrics.js';

export interface StageContext {
  runDir: string;
  /** The stage's own output folder, <run>/<name>. */
  dir: string;
  /** Output folders of every stage before this one, by name. */
  dirs: Record<string, string>;
  /** Results of the stages before this one, by name. */
  results: Record<string, StageResult>;
  /** An earlier run of this stage with the same hash was interrupted. */
  resume: boolean;
  quiet: boolean;
  log(message: string): void;
}

/** What a stage reports: a JSON object, kept in stage.json and shown in the pipeline summary. */
export type StageResult = Record<string, unknown>;

export interface Stage<P> {
  name: string;
  summary: string;
  /** Stages whose outputs this one reads: their hashes are part of its hash. */
  inputs: string[];
  /** The part of the pipeline config this stage depends on. */
  config(pipeline: P): unknown;
  run(ctx: StageContext, pipeline: P): Promise<StageResult>;
  /** Lines for the end-of-pipeline summary. */
  report?(result: StageResult): string[];
  /** Run every time, never skipped: for a stage that reads whatever the run folder holds (the
   * report card), so its inputs are not a fixed list. */
  always?: boolean;
}

interface StageRecord { status: 'running' | 'done'; hash: string; config: unknown; result?: StageResult; seconds?: number }

export function stageHash(name: string, config: unknown, inputHashes: string[]): string {
  return createHash('sha256').update(JSON.stringify({ name, config, inputs: inputHashes })).digest('hex').slice(0, 16);
}

export interface StageOutcome { name: string; status: 'ran' | 'resumed' | 'skipped'; seconds: number; result: StageResult; dir: string }

/** Runs `names` in order (each stage's inputs must come earlier in the list). */
export async function runStages<P>(all: Stage<P>[], names: string[], pipeline: P, runDir: string, { quiet = false } = {}): Promise<StageOutcome[]> {
  const byName = new Map(all.map((s) => [s.name, s]));
  const hashes: Record<string, string> = {};
  const dirs: Record<string, string> = {};
  const results: Record<string, StageResult> = {};
  const outcomes: StageOutcome[] = [];
  const log = (m: string): void => { if (!quiet) console.log(m); };
  for (const name of names) {
    const stage = byName.get(name);
    if (!stage) throw new Error(`pipeline: unknown stage "${name}" (known: ${all.map((s) => s.name).join(', ')})`);
    const missing = stage.inputs.filter((i) => !(i in hashes));
    if (missing.length) throw new Error(`pipeline: stage "${name}" reads ${missing.join(', ')}, which must run before it`);
    const config = stage.config(pipeline);
    const hash = stageHash(name, config, stage.inputs.map((i) => hashes[i]));
    const dir = join(runDir, name);
    const recordPath = join(dir, 'stage.json');
    const prev = existsSync(recordPath) ? (readJson(recordPath) as StageRecord) : null;
    hashes[name] = hash;
    dirs[name] = dir;
    if (prev?.status === 'done' && prev.hash === hash && !stage.always) {
      log(`── ${name}: done earlier with the same config (${hash}), skipped`);
      results[name] = prev.result ?? {};
      outcomes.push({ name, status: 'skipped', seconds: prev.seconds ?? 0, result: results[name], dir });
      continue;
    }
    const resume = prev?.status === 'running' && prev.hash === hash;
    // A changed config or input makes the old outputs stale: start the stage from nothing.
    if (!resume) rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    log(`── ${name}: ${stage.summary}${resume ? ' (resuming an interrupted run)' : ''}`);
    writeJsonAtomic(recordPath, { status: 'running', hash, config } satisfies StageRecord);
    const t0 = performance.now();
    const result = await stage.run({ runDir, dir, dirs: { ...dirs }, results: { ...results }, resume, quiet, log }, pipeline);
    const seconds = (performance.now() - t0) / 1000;
    writeJsonAtomic(recordPath, { status: 'done', hash, config, result, seconds } satisfies StageRecord);
    results[name] = result;
    outcomes.push({ name, status: resume ? 'resumed' : 'ran', seconds, result, dir });
  }
  return outcomes;
}
