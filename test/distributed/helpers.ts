// Running test workers under mpirun: the flags that work in CI's containers (root, two cores, odd
// rank counts), one thread per rank, a timeout so a hang fails instead of waiting forever, and the
// reason to skip when Open MPI or the binding is missing.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mpiAddonPath } from '../../src/distributed/mpi.js';

/** Why tests that need mpirun cannot run here, or null when they can. */
export function mpiSkipReason(): string | null {
  if (spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status !== 0) return 'mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev; .ci/run does) to run the data-parallel tests';
  if (!mpiAddonPath()) return 'build/Release/rlhf_mpi.node not built (mpicc was missing at npm install): install libopenmpi-dev and npm rebuild to run the data-parallel tests';
  return null;
}

/** `mpirun -np N node <args>`. --oversubscribe lets more ranks than cores start (CI has two);
 * --bind-to none leaves them free to share those cores. */
export function mpirun(np: number, args: string[], timeoutS = 240): SpawnSyncReturns<string> {
  return spawnSync('mpirun', ['-np', String(np), '--oversubscribe', '--bind-to', 'none', process.execPath, ...args], {
    encoding: 'utf8',
    timeout: timeoutS * 1000,
    // mpirun passes SIGTERM on to its ranks, so a hung job leaves no process behind.
    killSignal: 'SIGTERM',
    env: { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', RLHF_THREADS: '1' },
  });
}

/** What a finished mpirun printed, for assertion messages. */
export const output = (r: SpawnSyncReturns<string>): string => `status ${r.status} signal ${r.signal}\n${r.stdout}\n${r.stderr}`.slice(-4000);
