// The MPI communicator: native/mpi.c (build/Release/rlhf_mpi.node, built by npm install when
// mpicc is found) behind the Communicator interface. The arguments are checked here as the
// single-process reference checks them; the addon checks them again where MPI would otherwise read
// past a buffer.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CollectiveArgs, type CommBuffer, type Communicator, type FloatBuffer, type ReduceOp } from './communicator.js';

interface MpiAddon {
  version(): string;
  init(): { rank: number; size: number; localRank: number; localSize: number; thread: number };
  finalize(): void;
  abort(code: number): never;
  barrier(): void;
  allReduce(buf: FloatBuffer, op: number): void;
  /** local null: in place. */
  allGather(local: CommBuffer | null, out: CommBuffer, counts: Int32Array | null): void;
  /** out null: in place. */
  reduceScatter(input: FloatBuffer, out: FloatBuffer | null, counts: Int32Array, op: number): void;
  broadcast(buf: CommBuffer, root: number): void;
  gather(local: CommBuffer, out: CommBuffer | null, counts: Int32Array, root: number): void;
  scatter(input: CommBuffer | null, out: CommBuffer, counts: Int32Array, root: number): void;
}

const OPS: Record<ReduceOp, number> = { sum: 0, mean: 1, max: 2, min: 3 };

/** Where `npm install` puts the binding (repo root, from dist/src/distributed), or null. */
export function mpiAddonPath(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'build', 'Release', 'rlhf_mpi.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}

let addon: MpiAddon | null = null;

function load(): MpiAddon {
  if (addon) return addon;
  const path = mpiAddonPath();
  if (!path) throw new Error('the MPI binding build/Release/rlhf_mpi.node is not built (install Open MPI — apt-get install openmpi-bin libopenmpi-dev — then npm rebuild)');
  addon = createRequire(import.meta.url)(path) as MpiAddon;
  return addon;
}

/** The MPI library the binding was built against ("Open MPI v4.1.4"), or why there is none;
 * does not initialise MPI. */
export function mpiVersion(): { version: string } | { error: string } {
  try {
    return { version: load().version() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

const i32 = (counts: ArrayLike<number>): Int32Array => (counts instanceof Int32Array ? counts : Int32Array.from(counts));

export class MpiCommunicator implements Communicator {
  readonly rank: number;
  readonly size: number;
  readonly localSize: number;
  readonly backend: string;
  private readonly mpi: MpiAddon;
  private readonly check: CollectiveArgs;

  /** Initialises MPI (once per process). */
  constructor() {
    this.mpi = load();
    const info = this.mpi.init();
    this.rank = info.rank;
    this.size = info.size;
    this.localSize = info.localSize;
    this.backend = this.mpi.version();
    this.check = new CollectiveArgs(this.rank, this.size);
  }

  allReduce(buf: FloatBuffer, op: ReduceOp = 'sum'): void {
    this.check.float('allReduce', buf, 'buf');
    this.mpi.allReduce(buf, OPS[op]);
  }

  allGather(local: CommBuffer, out: CommBuffer, counts?: ArrayLike<number>): void {
    this.check.sameType('allGather', local, out, 'local and out');
    if (counts) this.blocks('allGather', counts, local.length, out.length, 'local', 'out');
    else this.check.length('allGather', 'out', out.length, local.length * this.size, 'needs size × local =');
    this.mpi.allGather(local, out, counts ? i32(counts) : null);
  }

  reduceScatter(input: FloatBuffer, out: FloatBuffer, counts: ArrayLike<number>, op: ReduceOp = 'sum'): void {
    this.check.float('reduceScatter', input, 'input');
    this.check.sameType('reduceScatter', input, out, 'input and out');
    this.blocks('reduceScatter', counts, out.length, input.length, 'out', 'input');
    this.mpi.reduceScatter(input, out, i32(counts), OPS[op]);
  }

  reduceScatterInPlace(buf: FloatBuffer, counts: ArrayLike<number>, op: ReduceOp = 'sum'): void {
    this.check.float('reduceScatterInPlace', buf, 'buf');
    this.check.length('reduceScatterInPlace', 'buf', buf.length, this.check.counts('reduceScatterInPlace', counts), 'but the counts sum to');
    this.mpi.reduceScatter(buf, null, i32(counts), OPS[op]);
  }

  allGatherInPlace(buf: CommBuffer, counts: ArrayLike<number>): void {
    this.check.length('allGatherInPlace', 'buf', buf.length, this.check.counts('allGatherInPlace', counts), 'but the counts sum to');
    this.mpi.allGather(null, buf, i32(counts));
  }

  broadcast(buf: CommBuffer, root = 0): void {
    this.check.root('broadcast', root);
    this.mpi.broadcast(buf, root);
  }

  gather(local: CommBuffer, out: CommBuffer | null, counts: ArrayLike<number>, root = 0): void {
    this.check.root('gather', root);
    if (this.rank === root) {
      if (!out) throw this.check.error('gather', 'out must be a typed array on the root');
      this.check.sameType('gather', local, out, 'local and out');
    }
    this.blocks('gather', counts, local.length, this.rank === root ? out!.length : null, 'local', 'out');
    this.mpi.gather(local, this.rank === root ? out : null, i32(counts), root);
  }

  scatter(input: CommBuffer | null, out: CommBuffer, counts: ArrayLike<number>, root = 0): void {
    this.check.root('scatter', root);
    if (this.rank === root) {
      if (!input) throw this.check.error('scatter', 'input must be a typed array on the root');
      this.check.sameType('scatter', input, out, 'input and out');
    }
    this.blocks('scatter', counts, out.length, this.rank === root ? input!.length : null, 'out', 'input');
    this.mpi.scatter(this.rank === root ? input : null, out, i32(counts), root);
  }

  barrier(): void {
    this.mpi.barrier();
  }

  finalize(): void {
    this.mpi.finalize();
  }

  abort(code: number): never {
    return this.mpi.abort(code);
  }

  /** This rank's block has `mine` elements and the whole (when this rank holds it) `whole`. */
  private blocks(fn: string, counts: ArrayLike<number>, mine: number, whole: number | null, mineName: string, wholeName: string): void {
    const total = this.check.counts(fn, counts);
    this.check.length(fn, mineName, mine, counts[this.rank], 'but counts gives this rank');
    if (whole !== null) this.check.length(fn, wholeName, whole, total, 'but the counts sum to');
  }
}
