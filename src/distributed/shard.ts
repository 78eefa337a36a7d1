// What a step method (PPO, GRPO, RLOO, …) needs to run data-parallel: its rank's share of the
// step's global batch, a sampling seed of its own, and minibatches that keep every rank's update
// count equal (each update is a collective: a rank that took one update fewer would leave the others
// waiting). The offline methods need none of this; the loop splits their batches.
import { allReduceNumbers, shardCounts, shardRange, type Communicator } from './communicator.js';

/** This rank's block of a global batch (the larger blocks go to the lower ranks). */
export function shardOf<T>(items: readonly T[], comm: Communicator): T[] {
  const [lo, hi] = shardRange(items.length, comm.rank, comm.size);
  return items.slice(lo, hi);
}

/** How many of n items shardOf gives this rank; throws when that is none (`what` names the setting
 * that must grow). */
export function shareSize(n: number, comm: Communicator, what: string): number {
  const [lo, hi] = shardRange(n, comm.rank, comm.size);
  if (hi === lo) throw new Error(`${what} is ${n}, which leaves rank ${comm.rank} of ${comm.size} nothing; make it at least the number of ranks`);
  return hi - lo;
}

/** A seed for rank r's sampling: rank 0 keeps `seed`, so one process samples as it always has. */
export function rankSeed(seed: number, rank: number): number {
  return rank === 0 ? seed : (seed ^ Math.imul(rank, 0x9e3779b9)) >>> 0;
}

/** This rank's minibatches of one epoch over its rows (already shuffled): the global batch of
 * `globalRows` in minibatches of miniBatchSize makes ceil(globalRows / miniBatchSize) updates, and
 * every rank cuts its rows into that many nearly equal parts, some possibly empty (such a rank
 * still calls update(), with weight 0). One process takes consecutive minibatches of
 * miniBatchSize, as it always has. */
export function minibatches(rows: readonly number[], globalRows: number, miniBatchSize: number, comm: Communicator): number[][] {
  if (comm.size === 1) {
    const out: number[][] = [];
    for (let i = 0; i < rows.length; i += miniBatchSize) out.push(rows.slice(i, i + miniBatchSize));
    return out;
  }
  const count = Math.ceil(globalRows / miniBatchSize), n = rows.length;
  return Array.from({ length: count }, (_, j) => rows.slice(Math.floor((j * n) / count), Math.floor(((j + 1) * n) / count)));
}

/** Rows over every rank (each rank passes its own count). */
export function globalCount(n: number, comm: Communicator): number {
  return allReduceNumbers(comm, [n])[0];
}

/** Adds partial sums over the ranks (a whole-batch mean or variance from each rank's share); one
 * process: the sums as they are. */
export function sumAcross(comm: Communicator): ((partial: number[]) => number[]) | undefined {
  return comm.size > 1 ? (partial) => allReduceNumbers(comm, partial) : undefined;
}

/** After each rank has computed numeric `fields` of its block (shardOf's) of `items` — a
 * reference model's log-probs, say — every rank gets them for all items. */
export function shareFields<T>(items: T[], fields: readonly (keyof T & string)[], comm: Communicator): void {
  if (comm.size === 1) return;
  const F = fields.length;
  const [lo, hi] = shardRange(items.length, comm.rank, comm.size);
  const mine = new Float64Array(F * (hi - lo));
  for (let i = lo; i < hi; i++) fields.forEach((f, k) => { mine[F * (i - lo) + k] = items[i][f] as number; });
  const all = new Float64Array(F * items.length);
  comm.allGather(mine, all, shardCounts(items.length, comm.size).map((n) => F * n));
  items.forEach((x, i) => fields.forEach((f, k) => { (x as Record<string, number>)[f] = all[F * i + k]; }));
}
