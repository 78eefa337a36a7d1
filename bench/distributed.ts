// Data parallelism on this machine: two ranks of one thread each against one process of one
// thread, training the "small" shape of bench/train.ts (6 layers, 384 wide, vocabulary 8192) on the
// real loop with a global batch of 8 × 256 tokens; an all-reduce of 64 MiB on loopback; and
// ZeRO-1's AdamW moments per rank against plain data parallelism. Ranks run under
// `mpirun --oversubscribe --bind-to none` as children of this script (`--child`); each reports the
// median time between its steps. The machine's load average is recorded beside the figures: with
// other work on the cores, the scaling measures the sharing more than the method.
// Keys: dp_tok_s_small_1x1, dp_tok_s_small_2x1, dp_scaling_2x1_small (ideal 2.0), the share of a
// 2-rank step spent combining gradients (dp_comm_share_2x1_small), dp_scaling_2x1_small_zero1,
// allreduce_gb_s_64mb, dp_moment_mb_per_rank_small_2, zero1_moment_mb_per_rank_small_2,
// zero1_moment_ratio_2 (target 0.5), dp_rss_mb_small_2 and zero1_rss_mb_small_2 (peak resident
// memory of rank 0), load_avg_1m. CPU time is steadier than wall time on a shared machine:
// dp_cpu_scaling_2x1_small is one process's CPU time per step over rank 0's (whose time includes
// waiting in collectives, spent yielding the core), the speed-up the ranks would reach each on a
// core of its own; dp_compute_cpu_scaling_2x1_small leaves out the CPU time spent inside the
// collectives (waiting included), what the split of the work itself achieves.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from './harness.js';
import { Rng } from '../src/engine/rng.js';
import { mpiAddonPath } from '../src/distributed/mpi.js';
import type { Communicator } from '../src/distributed/communicator.js';
import { finalizeWorld, world } from '../src/distributed/world.js';
import { CausalLM, modelConfig } from '../src/models/index.js';
import { LOOP_DEFAULTS } from '../src/train/config.js';
import { trainLanguageModel, type LmBatch } from '../src/train/lm.js';

export const prefixes = ['dp_', 'allreduce_', 'zero1_', 'load_'];

const SMALL = modelConfig({ numLayers: 6, hiddenSize: 384, numHeads: 6, intermediateSize: 1024, vocabSize: 8192, maxPositions: 256 });
const B = 8, T = 256, WARMUP = 2, TIMED = 5;

interface TrainReport { stepMs: number; cpuMs: number; commCpuMs: number; commMs: number; momentBytes: number; unshardedMomentBytes: number; rssMb: number }

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const peakRssMb = (): number => Number(/VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

/** CPU milliseconds spent inside the communicator's collectives, counted by wrapping them. */
function countCollectiveCpu(comm: Communicator): () => number {
  let ms = 0;
  const methods = ['allReduce', 'allGather', 'reduceScatter', 'reduceScatterInPlace', 'allGatherInPlace', 'broadcast', 'gather', 'scatter', 'barrier'] as const;
  const target = comm as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of methods) {
    const f = target[name].bind(comm);
    target[name] = (...args) => {
      const u = process.cpuUsage();
      try {
        return f(...args);
      } finally {
        const d = process.cpuUsage(u);
        ms += (d.user + d.system) / 1000;
      }
    };
  }
  return () => ms;
}

/** Child: trains SMALL on random tokens for WARMUP + TIMED steps; rank 0 writes its report. */
async function childTrain(out: string, zero: number): Promise<void> {
  const commCpu = countCollectiveCpu(world());
  const model = new CausalLM(SMALL, { seed: 1 });
  const rng = new Rng(7);
  const batch = (): LmBatch => ({ ids: Int32Array.from({ length: B * T }, () => rng.int(SMALL.vocabSize)), targets: Int32Array.from({ length: B * T }, () => rng.int(SMALL.vocabSize)), mask: null, B, T });
  const starts: number[] = [], cpu: number[] = [], inComm: number[] = [];
  const runDir = mkdtempSync(join(tmpdir(), 'bench-dp-'));
  const { result } = await trainLanguageModel({
    label: 'bench', runDir, model, trainable: model.namedParameters(), evalBatches: [],
    // The time between two draws is one step.
    openStream: () => ({
      next: () => {
        starts.push(performance.now());
        const u = process.cpuUsage();
        cpu.push((u.user + u.system) / 1000);
        inComm.push(commCpu());
        return batch();
      },
      state: () => null,
    }),
    saveWeights: () => {}, loadWeights: () => {},
    config: { ...LOOP_DEFAULTS, steps: WARMUP + TIMED + 1, batchSize: B, lr: 1e-4, warmupSteps: 0, logEvery: 1, evalEvery: 0, saveEvery: 0, zero },
  }, { quiet: true });
  rmSync(runDir, { recursive: true, force: true });
  const gaps = (xs: number[]): number[] => xs.slice(WARMUP).map((t, i, a) => (i + 1 < a.length ? a[i + 1] - t : NaN)).filter(Number.isFinite);
  const report: TrainReport = {
    stepMs: median(gaps(starts)), cpuMs: median(gaps(cpu)), commCpuMs: median(gaps(inComm)), commMs: (1000 * result.commSeconds) / (WARMUP + TIMED + 1),
    momentBytes: result.optimizer.momentBytes, unshardedMomentBytes: result.optimizer.unshardedMomentBytes, rssMb: peakRssMb(),
  };
  if (world().rank === 0) writeFileSync(out, JSON.stringify(report));
}

/** Child: median time of an in-place all-reduce of 64 MiB of float32 over the ranks. */
function childAllReduce(out: string): void {
  const comm = world();
  const buf = new Float32Array(16 << 20).fill(1);
  const times: number[] = [];
  for (let i = 0; i < 2 + 5; i++) {
    comm.barrier();
    const t0 = performance.now();
    comm.allReduce(buf);
    if (i >= 2) times.push(performance.now() - t0);
  }
  if (comm.rank === 0) writeFileSync(out, JSON.stringify({ ms: median(times) }));
}

const SELF = fileURLToPath(import.meta.url);
const ENV = { ...process.env, RLHF_THREADS: '1', OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };

/** Runs this script's child mode on `np` ranks (np 0: one plain process, no MPI); its report. */
function child<T>(np: number, mode: string, ...args: string[]): T {
  const out = join(mkdtempSync(join(tmpdir(), 'bench-dp-out-')), 'report.json');
  const node = [process.execPath, SELF, '--child', mode, out, ...args];
  const r = np === 0
    ? spawnSync(node[0], node.slice(1), { encoding: 'utf8', env: ENV })
    : spawnSync('mpirun', ['-np', String(np), '--oversubscribe', '--bind-to', 'none', ...node], { encoding: 'utf8', env: ENV });
  if (r.status !== 0) throw new Error(`bench child ${mode} on ${np || 1} rank(s) failed: ${(r.stderr || r.stdout).slice(-800)}`);
  return JSON.parse(readFileSync(out, 'utf8')) as T;
}

export async function run(b: Bench): Promise<void> {
  if (spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status !== 0 || !mpiAddonPath()) {
    console.log('data parallelism: mpirun or build/Release/rlhf_mpi.node missing; skipped');
    return;
  }
  const load = loadavg()[0];
  b.record('load_avg_1m', load, 'the 1-minute load average when the distributed benchmarks started');
  const tokS = (r: TrainReport): number => (B * T * 1000) / r.stepMs;
  if (b.wants('dp_') || b.wants('zero1_')) {
    const one = child<TrainReport>(0, 'train', '0');
    const two = child<TrainReport>(2, 'train', '0');
    const zero = child<TrainReport>(2, 'train', '1');
    b.record('dp_tok_s_small_1x1', tokS(one), `1 process × 1 thread, ${B}×${T} tokens a step, median of ${TIMED}`);
    b.record('dp_tok_s_small_2x1', tokS(two), '2 ranks × 1 thread, the same global batch');
    b.record('dp_scaling_2x1_small', tokS(two) / tokS(one), 'ideal 2.0, target ≥ 1.8 (on a quiet machine)');
    b.record('dp_cpu_scaling_2x1_small', one.cpuMs / two.cpuMs, `CPU ms a step: ${one.cpuMs.toFixed(0)} in 1 process, ${two.cpuMs.toFixed(0)} on rank 0 of 2`);
    b.record('dp_compute_cpu_scaling_2x1_small', one.cpuMs / (two.cpuMs - two.commCpuMs), `the same without the ${two.commCpuMs.toFixed(0)} CPU ms a step inside collectives`);
    b.record('dp_comm_share_2x1_small', two.commMs / two.stepMs, 'of a 2-rank step: averaging the gradients (what overlap could hide at most)');
    b.record('dp_scaling_2x1_small_zero1', tokS(zero) / tokS(one), '2 ranks with ZeRO-1 over 1 process');
    const mb = (x: number): number => x / 2 ** 20;
    b.record('dp_moment_mb_per_rank_small_2', mb(two.momentBytes), 'AdamW moments on each of 2 ranks, plain data parallelism');
    b.record('zero1_moment_mb_per_rank_small_2', mb(zero.momentBytes), 'with ZeRO-1');
    b.record('zero1_moment_ratio_2', zero.momentBytes / two.momentBytes, 'target 0.5');
    b.record('dp_rss_mb_small_2', two.rssMb, 'peak resident memory of rank 0, plain');
    b.record('zero1_rss_mb_small_2', zero.rssMb, 'peak resident memory of rank 0, ZeRO-1');
  }
  if (b.wants('allreduce_')) {
    const { ms } = child<{ ms: number }>(2, 'allreduce');
    b.record('allreduce_gb_s_64mb', (64 * 2 ** 20) / (ms / 1000) / 1e9, `2 ranks, in place, median ${ms.toFixed(1)} ms (algorithm bandwidth: bytes / time)`);
  }
}

if (process.argv[1] === SELF && process.argv[2] === '--child') {
  const [mode, out, zero] = process.argv.slice(3);
  (mode === 'train' ? childTrain(out, Number(zero)) : Promise.resolve(childAllReduce(out))).then(() => finalizeWorld());
}
