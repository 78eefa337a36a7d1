// The communicator: this process's rank among the job's ranks, and the collectives data-parallel
// training is built from, named as MPI names them. Two implementations share the interface:
//   - SingleProcess (here): size 1, every collective the identity or a copy. It is the reference
//     for the MPI one, and what runs when the job was not started by an MPI launcher.
//   - the MPI binding (mpi.ts): Open MPI through build/Release/rlhf_mpi.node.
// Buffers are typed arrays changed in place (a tensor's own storage, no copies); `counts` give each
// rank's block of a gathered or scattered buffer, in rank order. Both implementations check their
// arguments the same way and name the rank in every error.

export type ReduceOp = 'sum' | 'mean' | 'max' | 'min';
export type FloatBuffer = Float32Array | Float64Array;
export type CommBuffer = FloatBuffer | Int32Array | Uint8Array;

export interface Communicator {
  /** This process's rank, 0 … size − 1; rank 0 writes the run's files. */
  readonly rank: number;
  readonly size: number;
  /** Ranks on this machine, which share its cores. */
  readonly localSize: number;
  /** What carries the messages: "single process", or the MPI library's name and version. */
  readonly backend: string;
  /** buf ← op over every rank's buf (mean: the sum / size). */
  allReduce(buf: FloatBuffer, op?: ReduceOp): void;
  /** out ← every rank's local, concatenated in rank order; counts[r] is rank r's length (default:
   * all equal to local's). */
  allGather(local: CommBuffer, out: CommBuffer, counts?: ArrayLike<number>): void;
  /** out ← this rank's block (counts[rank] elements at Σ counts[< rank]) of op over every rank's
   * input. */
  reduceScatter(input: FloatBuffer, out: FloatBuffer, counts: ArrayLike<number>, op?: ReduceOp): void;
  /** In place: op over every rank's buf, of which this rank keeps its block, at buf[0,
   * counts[rank]); the rest of buf is left undefined. (No second buffer: ZeRO reduces each large
   * gradient in its own storage.) */
  reduceScatterInPlace(buf: FloatBuffer, counts: ArrayLike<number>, op?: ReduceOp): void;
  /** In place: this rank's block already sits at its place in buf (at Σ counts[< rank]); the
   * others' blocks arrive at theirs. */
  allGatherInPlace(buf: CommBuffer, counts: ArrayLike<number>): void;
  /** buf ← root's buf. */
  broadcast(buf: CommBuffer, root?: number): void;
  /** root's out ← every rank's local in rank order (out may be null elsewhere). */
  gather(local: CommBuffer, out: CommBuffer | null, counts: ArrayLike<number>, root?: number): void;
  /** out ← this rank's block of root's input (input may be null elsewhere). */
  scatter(input: CommBuffer | null, out: CommBuffer, counts: ArrayLike<number>, root?: number): void;
  barrier(): void;
  /** Ends the collective part of the process; call once, after the last collective. */
  finalize(): void;
  /** Ends every rank of the job with `code` (a failed rank stops the job instead of leaving the
   * others waiting in a collective forever). */
  abort(code: number): never;
}

/** Rank r's block of n items split over `size` ranks: [lo, hi), sizes differing by at most one,
 * the larger ones first. */
export function shardRange(n: number, rank: number, size: number): [number, number] {
  const base = Math.floor(n / size), extra = n % size;
  const lo = rank * base + Math.min(rank, extra);
  return [lo, lo + base + (rank < extra ? 1 : 0)];
}

/** Every rank's block length of n items (shardRange's), as collectives take them. */
export function shardCounts(n: number, size: number): Int32Array {
  return Int32Array.from({ length: size }, (_, r) => { const [lo, hi] = shardRange(n, r, size); return hi - lo; });
}

/** Argument checks shared by both implementations, so a call that would fail under mpirun fails
 * in a single process too. Every message names the rank. */
export class CollectiveArgs {
  constructor(private readonly rank: number, private readonly size: number) {}

  error(fn: string, what: string): Error {
    return new Error(`${fn} on rank ${this.rank} of ${this.size}: ${what}`);
  }

  root(fn: string, root: number): void {
    if (!(Number.isInteger(root) && root >= 0 && root < this.size)) throw this.error(fn, `root must be a rank in [0, ${this.size - 1}], got ${root}`);
  }

  sameType(fn: string, a: CommBuffer, b: CommBuffer, names: string): void {
    if (a.constructor !== b.constructor) throw this.error(fn, `${names} must be typed arrays of the same type (${a.constructor.name}, ${b.constructor.name})`);
  }

  float(fn: string, buf: CommBuffer, name: string): void {
    if (!(buf instanceof Float32Array || buf instanceof Float64Array)) throw this.error(fn, `${name} must be a Float32Array or Float64Array`);
  }

  /** Checks counts (one non-negative integer per rank); returns their sum. */
  counts(fn: string, counts: ArrayLike<number>): number {
    if (counts.length !== this.size) throw this.error(fn, `counts must have ${this.size} entries (one per rank), got ${counts.length}`);
    let total = 0;
    for (let r = 0; r < counts.length; r++) {
      if (!(Number.isInteger(counts[r]) && counts[r] >= 0)) throw this.error(fn, `counts[${r}] must be a non-negative integer, got ${counts[r]}`);
      total += counts[r];
    }
    return total;
  }

  length(fn: string, name: string, have: number, want: number, why: string): void {
    if (have !== want) throw this.error(fn, `${name} has ${have} elements, ${why} ${want}`);
  }
}

/** One process alone: rank 0 of 1. */
export class SingleProcess implements Communicator {
  readonly rank = 0;
  readonly size = 1;
  readonly localSize = 1;
  readonly backend = 'single process';
  private readonly check = new CollectiveArgs(0, 1);

  allReduce(buf: FloatBuffer): void {
    this.check.float('allReduce', buf, 'buf');
  }

  allGather(local: CommBuffer, out: CommBuffer, counts?: ArrayLike<number>): void {
    this.check.sameType('allGather', local, out, 'local and out');
    this.copyBlock('allGather', local, out, counts ?? [local.length], 'local', 'out');
  }

  reduceScatter(input: FloatBuffer, out: FloatBuffer, counts: ArrayLike<number>): void {
    this.check.float('reduceScatter', input, 'input');
    this.check.sameType('reduceScatter', input, out, 'input and out');
    this.copyBlock('reduceScatter', input, out, counts, 'input', 'out', true);
  }

  reduceScatterInPlace(buf: FloatBuffer, counts: ArrayLike<number>): void {
    this.check.float('reduceScatterInPlace', buf, 'buf');
    this.check.length('reduceScatterInPlace', 'buf', buf.length, this.check.counts('reduceScatterInPlace', counts), 'but the counts sum to');
  }

  allGatherInPlace(buf: CommBuffer, counts: ArrayLike<number>): void {
    this.check.length('allGatherInPlace', 'buf', buf.length, this.check.counts('allGatherInPlace', counts), 'but the counts sum to');
  }

  broadcast(_buf: CommBuffer, root = 0): void {
    this.check.root('broadcast', root);
  }

  gather(local: CommBuffer, out: CommBuffer | null, counts: ArrayLike<number>, root = 0): void {
    this.check.root('gather', root);
    if (!out) throw this.check.error('gather', 'out must be a typed array on the root');
    this.check.sameType('gather', local, out, 'local and out');
    this.copyBlock('gather', local, out, counts, 'local', 'out');
  }

  scatter(input: CommBuffer | null, out: CommBuffer, counts: ArrayLike<number>, root = 0): void {
    this.check.root('scatter', root);
    if (!input) throw this.check.error('scatter', 'input must be a typed array on the root');
    this.check.sameType('scatter', input, out, 'input and out');
    this.copyBlock('scatter', input, out, counts, 'input', 'out', true);
  }

  barrier(): void {}
  finalize(): void {}

  abort(code: number): never {
    process.exit(code);
  }

  /** With one rank the block is the whole: `from` → `to`, after the checks the MPI binding makes
   * (`fromIsWhole`: `from` is the full buffer and `to` this rank's block, as in scatter). */
  private copyBlock(fn: string, from: CommBuffer, to: CommBuffer, counts: ArrayLike<number>, fromName: string, toName: string, fromIsWhole = false): void {
    const total = this.check.counts(fn, counts);
    if (fromIsWhole) {
      this.check.length(fn, fromName, from.length, total, 'but the counts sum to');
      this.check.length(fn, toName, to.length, counts[0], 'but counts gives this rank');
    } else {
      this.check.length(fn, fromName, from.length, counts[0], 'but counts gives this rank');
      this.check.length(fn, toName, to.length, total, 'but the counts sum to');
    }
    if (from !== to) to.set(from as never);
  }
}

/** Sums (or another op) of a few numbers over every rank, in float64. */
export function allReduceNumbers(comm: Communicator, xs: readonly number[], op: ReduceOp = 'sum'): number[] {
  if (comm.size === 1) return [...xs];
  const buf = Float64Array.from(xs);
  comm.allReduce(buf, op);
  return [...buf];
}

/** Every rank's value, in rank order (small JSON: metrics, positions). */
export function allGatherJson<T>(comm: Communicator, value: T): T[] {
  if (comm.size === 1) return [value];
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  const lengths = new Int32Array(comm.size);
  comm.allGather(Int32Array.of(bytes.length), lengths);
  const all = new Uint8Array(lengths.reduce((a, n) => a + n, 0));
  comm.allGather(bytes, all, lengths);
  const decoder = new TextDecoder();
  let at = 0;
  return [...lengths].map((n) => { const s = decoder.decode(all.subarray(at, at + n)); at += n; return JSON.parse(s) as T; });
}

/** Root's value on every rank (the other ranks' `value` is ignored). */
export function broadcastJson<T>(comm: Communicator, value: T, root = 0): T {
  if (comm.size === 1) return value;
  const bytes = comm.rank === root ? new TextEncoder().encode(JSON.stringify(value) ?? 'null') : new Uint8Array(0);
  const length = Int32Array.of(bytes.length);
  comm.broadcast(length, root);
  const buf = comm.rank === root ? bytes : new Uint8Array(length[0]);
  comm.broadcast(buf, root);
  return JSON.parse(new TextDecoder().decode(buf)) as T;
}
