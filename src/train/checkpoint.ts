// Training checkpoints. Each is a folder `checkpoints/step-00000120/` holding
//   the weights            the model in Hugging Face layout (config.json, model.safetensors, …), or
//                          a LoRA adapter in PEFT layout: whatever the run's saveWeights writes
//   optimizer.safetensors  AdamW's moments: "<param>.exp_avg" and "<param>.exp_avg_sq", float32
//   trainer_state.json     step, RNG state, the method's position (data cursors, …), tokens seen,
//                          the open logging window
//   ema.safetensors        the EMA of the trained weights, when the run keeps one
//   manifest.json          every other file's size and SHA-256 (src/util/checkpoint-manifest.ts)
// The folder is written under a temporary name and renamed into place, so a run killed at any
// moment leaves only complete checkpoints under step-* names; the oldest beyond keepLast go.
// A checkpoint damaged afterwards (a flipped byte, a truncated file) fails its manifest: resuming
// falls back to the newest intact one with a warning, and loading it directly is an error.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RngState } from '../engine/rng.js';
import type { Tensor } from '../engine/tensor.js';
import type { AdamWState, ParamGroup } from '../nn/index.js';
import { SafetensorsFile, writeSafetensors } from '../models/index.js';
import { writeJsonAtomic } from '../util/fs.js';
import { readJson } from './metrics.js';
import { verifyCheckpoint, writeManifest } from '../util/checkpoint-manifest.js';

/** Per-key sums and counts of the metrics logged since the last metrics.jsonl record. */
export interface LogWindow { sums: Record<string, number>; counts: Record<string, number> }

export interface TrainerState {
  /** Loop steps completed (one or more optimizer updates each). */
  step: number;
  /** Target tokens trained on so far. */
  tokens: number;
  /** The dropout RNG. */
  rng: RngState;
  /** The method's position: its data stream's, and any state it carries (its own JSON). */
  data: unknown;
  /** Seconds of training so far (for rates across resumes). */
  seconds: number;
  /** Metrics of the steps since the last log, so a resumed run logs the same means. */
  window?: LogWindow;
}

const STEP_DIR = /^step-(\d+)$/;

export const checkpointDir = (runDir: string, step: number): string => join(runDir, 'checkpoints', `step-${String(step).padStart(8, '0')}`);

/** Complete checkpoints of a run, oldest first. */
export function listCheckpoints(runDir: string): { step: number; dir: string }[] {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => ({ m: STEP_DIR.exec(name), name }))
    .filter((e) => e.m && existsSync(join(root, e.name, 'trainer_state.json')))
    .map((e) => ({ step: Number(e.m![1]), dir: join(root, e.name) }))
    .sort((a, b) => a.step - b.step);
}

/** Deletes half-written checkpoint folders left by a run that was killed while saving. */
export function removePartialCheckpoints(runDir: string): void {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) if (/\.tmp-\d+$/.test(name)) rmSync(join(root, name), { recursive: true, force: true });
}

/** The newest checkpoint whose files match its manifest. Damaged newer ones are passed over with a
 * warning (through `warn`, console.warn by default); a run whose every checkpoint is damaged is an
 * error rather than a silent fresh start. */
export function latestCheckpoint(runDir: string, { warn = console.warn }: { warn?: (msg: string) => void } = {}): { step: number; dir: string } | null {
  const all = listCheckpoints(runDir);
  const damaged: string[] = [];
  for (let i = all.length - 1; i >= 0; i--) {
    const problem = verifyCheckpoint(all[i].dir);
    if (problem === null) {
      if (damaged.length) warn(`warning: ${damaged.join('; ')}: falling back to ${all[i].dir}`);
      return all[i];
    }
    damaged.push(`checkpoint ${all[i].dir} is damaged (${problem})`);
  }
  if (damaged.length) throw new Error(`${runDir}: no intact checkpoint to resume from: ${damaged.join('; ')}. Delete ${join(runDir, 'checkpoints')} to start over.`);
  return null;
}

/** The optimizer's parameters with their names, in the order of its moment arrays (group by
 * group, which is not the model's order). */
function optimizerOrder(params: Map<string, Tensor>, groups: ParamGroup[]): [string, Tensor][] {
  const nameOf = new Map([...params].map(([n, p]) => [p, n]));
  return groups.flatMap((g) => g.params).map((p) => {
    const name = nameOf.get(p);
    if (name === undefined) throw new Error(`checkpoint: the optimizer holds a parameter ${p.name ?? ''} that is not among the trainable ones`);
    return [name, p];
  });
}

/** Writes a checkpoint atomically and prunes all but the newest keepLast. `optimizer` is AdamW's
 * whole state (under ZeRO gathered from every rank) with its parameter groups. */
export function saveCheckpoint(runDir: string, state: TrainerState, params: Map<string, Tensor>, optimizer: { groups: ParamGroup[]; state: AdamWState },
  saveWeights: (dir: string) => void, keepLast: number): string {
  const dir = checkpointDir(runDir, state.step);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  saveWeights(tmp);
  const { m, v, step } = optimizer.state;
  writeSafetensors(join(tmp, 'optimizer.safetensors'), optimizerOrder(params, optimizer.groups).flatMap(([name, p], i) => [
    { name: `${name}.exp_avg`, shape: p.shape, data: m[i] },
    { name: `${name}.exp_avg_sq`, shape: p.shape, data: v[i] },
  ]), 'F32', { format: 'pt', step: String(step) });
  writeJsonAtomic(join(tmp, 'trainer_state.json'), state);
  writeManifest(tmp);
  // Replacing a checkpoint of the same step (a resumed run saving again) needs the old one gone.
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  // Newer checkpoints than this one were passed over as damaged when the run resumed: the run has
  // gone on from an earlier step without them.
  for (const newer of listCheckpoints(runDir).filter((c) => c.step > state.step)) rmSync(newer.dir, { recursive: true, force: true });
  const all = listCheckpoints(runDir);
  for (const old of all.slice(0, Math.max(0, all.length - keepLast))) rmSync(old.dir, { recursive: true, force: true });
  return dir;
}

/** Reads a checkpoint's trainer state and the optimizer's, whose moments come in the order of
 * `groups` (the weights are the caller's: a full model and an adapter load differently). Throws if
 * a file fails the manifest. */
export function loadCheckpoint(dir: string, params: Map<string, Tensor>, groups: ParamGroup[]): { state: TrainerState; optimizer: AdamWState } {
  const problem = verifyCheckpoint(dir);
  if (problem !== null) throw new Error(`${dir}: checkpoint is damaged (${problem})`);
  const state = readJson(join(dir, 'trainer_state.json')) as TrainerState;
  const file = new SafetensorsFile(join(dir, 'optimizer.safetensors'));
  try {
    const read = (key: string, p: Tensor): Float32Array => {
      if (!file.tensors.has(key)) throw new Error(`${dir}/optimizer.safetensors: missing "${key}" (was the checkpoint written for another model or LoRA setting?)`);
      const data = file.readFloat(key);
      if (data.length !== p.size) throw new Error(`${dir}/optimizer.safetensors: "${key}" has ${data.length} values, the parameter ${p.size}`);
      return data;
    };
    const entries = optimizerOrder(params, groups);
    return {
      state,
      optimizer: {
        step: Number(file.metadata.step ?? state.step),
        m: entries.map(([n, p]) => read(`${n}.exp_avg`, p)),
        v: entries.map(([n, p]) => read(`${n}.exp_avg_sq`, p)),
      },
    };
  } finally {
    file.close();
  }
}
