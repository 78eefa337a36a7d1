// The process's communicator, chosen once: MPI when an MPI launcher started the process (mpirun
// sets OMPI_COMM_WORLD_SIZE, and PMIx/PMI launchers their ranks), else a single process. Started by
// mpirun without the binding built, the process stops rather than run as N unaware copies that
// would each train alone and overwrite each other's files.
import { availableParallelism, cpus } from 'node:os';
import { setThreads } from '../engine/backend.js';
import { SingleProcess, type Communicator } from './communicator.js';
import { MpiCommunicator } from './mpi.js';

let current: Communicator | null = null;

/** The launcher variable that says this process is one rank of an MPI job, with its value. */
export function mpiLaunch(env: NodeJS.ProcessEnv = process.env): { variable: string; size: number } | null {
  for (const variable of ['OMPI_COMM_WORLD_SIZE', 'PMIX_SIZE', 'PMI_SIZE']) {
    if (env[variable] !== undefined) return { variable, size: Number(env[variable]) };
  }
  // Some PMIx launchers name the rank but not the size.
  return env.PMIX_RANK !== undefined ? { variable: 'PMIX_RANK', size: NaN } : null;
}

/** Threads for each rank of `comm` on this machine, unless RLHF_THREADS says: the cores this rank
 * may run on when the launcher bound it to some (Open MPI binds each of up to two ranks to a core),
 * else the machine's cores shared out among its ranks. */
export function threadsPerRank(comm: Communicator, env: NodeJS.ProcessEnv = process.env): number | null {
  if (env.RLHF_THREADS || comm.localSize <= 1) return null;
  const usable = availableParallelism(), all = cpus().length;
  return usable < all ? usable : Math.max(1, Math.floor(all / comm.localSize));
}

/** This process's communicator (MPI_COMM_WORLD under mpirun). */
export function world(): Communicator {
  if (current) return current;
  const launch = mpiLaunch();
  if (!launch) return (current = new SingleProcess());
  let comm: Communicator;
  try {
    comm = new MpiCommunicator();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (launch.size > 1) throw new Error(`this process is one of ${launch.size} ranks (${launch.variable} is set) but cannot join them: ${why}`);
    comm = new SingleProcess();
  }
  const threads = threadsPerRank(comm);
  if (threads) setThreads(threads);
  return (current = comm);
}

/** Finalises MPI if this process joined a job (after its last collective). */
export function finalizeWorld(): void {
  current?.finalize();
}

/** Prints `message` — prefixed with the rank when this process is one of several — and ends the
 * process with `code`; with several ranks it ends the whole job (MPI_Abort), so no rank is left
 * waiting in a collective for this one. */
export function exitWithError(message: string, code: number): never {
  let comm: Communicator | null = null;
  try {
    comm = mpiLaunch() ? world() : null;
  } catch {
    // MPI itself could not start (the message says why): end this process alone.
  }
  const several = comm !== null && comm.size > 1;
  console.error(several ? `rank ${comm!.rank} of ${comm!.size}: ${message}` : message);
  if (several) comm!.abort(code);
  process.exit(code);
}
