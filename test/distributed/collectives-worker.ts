// Every collective on odd sizes, as one rank sees it. The test (collectives.test.ts) runs
// exercise() in its own process on the single-process communicator and, under `mpirun -np 3`,
// as `node collectives-worker.js --worker OUT`, each rank writing OUT/rank-<r>.json; it checks
// every result against values computed by hand for that rank and size.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allGatherJson, broadcastJson, shardCounts, type Communicator } from '../../src/distributed/communicator.js';
import { mpiAddonPath } from '../../src/distributed/mpi.js';
import { finalizeWorld, world } from '../../src/distributed/world.js';

export interface Exercised {
  rank: number;
  size: number;
  results: Record<string, number[]>;
  /** Messages of calls that must fail. */
  errors: string[];
}

const ramp = (n: number, f: (i: number) => number): Float32Array => Float32Array.from({ length: n }, (_, i) => f(i));

export function exercise(comm: Communicator): Exercised {
  const { rank: r, size: N } = comm;
  const results: Record<string, number[]> = {};
  const reduce = (op: 'sum' | 'mean' | 'max' | 'min'): void => {
    const b = ramp(7, (i) => (r + 1) * (i + 1));
    comm.allReduce(b, op);
    results[`allReduce ${op}`] = [...b];
  };
  (['sum', 'mean', 'max', 'min'] as const).forEach(reduce);
  const d = Float64Array.of(r + 0.25, 1e-9 * r);
  comm.allReduce(d);
  results['allReduce f64'] = [...d];
  const empty = new Float32Array(0);
  comm.allReduce(empty);
  results['allReduce empty'] = [...empty];

  const equal = new Float32Array(2 * N);
  comm.allGather(Float32Array.of(r, r + 0.5), equal);
  results['allGather equal'] = [...equal];
  // 7 elements over N ranks: blocks of shardCounts(7, N), rank r's holding 10 + its global indices.
  const counts = shardCounts(7, N);
  const start = counts.subarray(0, r).reduce((a, n) => a + n, 0);
  const ragged = new Float32Array(7);
  comm.allGather(ramp(counts[r], (i) => 10 + start + i), ragged, counts);
  results['allGather counts'] = [...ragged];
  const ints = new Int32Array(N);
  comm.allGather(Int32Array.of(-r), ints);
  results['allGather i32'] = [...ints];
  results['allGatherJson'] = allGatherJson(comm, { r }).map((x) => x.r);

  const mine = new Float32Array(counts[r]);
  comm.reduceScatter(ramp(7, (i) => (r + 1) * i), mine, counts);
  results['reduceScatter sum'] = [...mine];
  comm.reduceScatter(ramp(7, (i) => (r + 1) * i), mine, counts, 'mean');
  results['reduceScatter mean'] = [...mine];

  const inPlace = ramp(7, (i) => (r + 1) * i);
  comm.reduceScatterInPlace(inPlace, counts);
  results['reduceScatterInPlace'] = [...inPlace.subarray(0, counts[r])];
  // This rank's block in place, the others' still NaN until they arrive.
  const gathered7 = ramp(7, (i) => (i >= start && i < start + counts[r] ? 10 + i : NaN));
  comm.allGatherInPlace(gathered7, counts);
  results['allGatherInPlace'] = [...gathered7];

  const root = N - 1;
  const b = Float32Array.of(r, r, r);
  comm.broadcast(b, root);
  results['broadcast'] = [...b];
  const bytes = Uint8Array.of(r, 200);
  comm.broadcast(bytes, 0);
  results['broadcast u8'] = [...bytes];
  results['broadcastJson'] = [broadcastJson(comm, r === 0 ? 42 : -1)];

  // Gather to the last rank, blocks of r + 1 elements; scatter from rank 0, blocks of shardCounts.
  const gcounts = Int32Array.from({ length: N }, (_, k) => k + 1);
  const gathered = r === root ? new Float32Array(gcounts.reduce((a, n) => a + n, 0)) : null;
  comm.gather(ramp(r + 1, (i) => 100 * r + i), gathered, gcounts, root);
  results['gather'] = gathered ? [...gathered] : [];
  const part = new Float32Array(counts[r]);
  comm.scatter(r === 0 ? ramp(7, (i) => i * i) : null, part, counts, 0);
  results['scatter'] = [...part];
  comm.barrier();

  const errors: string[] = [];
  const expectError = (fn: () => void): void => {
    try {
      fn();
      errors.push('no error');
    } catch (e) {
      errors.push((e as Error).message);
    }
  };
  expectError(() => comm.allGather(Float32Array.of(1), new Float32Array(N + 1), new Array<number>(N + 1).fill(1)));
  expectError(() => comm.reduceScatter(new Float32Array(7), new Float32Array(1), counts));
  expectError(() => comm.broadcast(new Float32Array(1), N));
  expectError(() => comm.allReduce(new Int32Array(3) as unknown as Float32Array));
  return { rank: r, size: N, results, errors };
}

/** The binding's own checks, under the TypeScript ones: a call past them still fails cleanly. */
function nativeError(): string {
  const addon = createRequire(import.meta.url)(mpiAddonPath()!) as { allReduce(b: unknown, op: number): void };
  try {
    addon.allReduce(new Int32Array(3), 0);
    return 'no error';
  } catch (e) {
    return (e as Error).message;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--worker') {
  const comm = world();
  const out = exercise(comm);
  out.errors.push(nativeError());
  writeFileSync(join(process.argv[3], `rank-${comm.rank}.json`), JSON.stringify(out));
  finalizeWorld();
}
