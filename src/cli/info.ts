// `rlhf info`: which backend, instruction set and thread count this machine runs, and whether
// training can run data-parallel (the MPI binding, and the ranks of this job under mpirun).
import { formatHelp, parseArgs, type CommandSpec } from './args.js';
import { kernels } from '../engine/backend.js';
import { mpiVersion } from '../distributed/mpi.js';
import { mpiLaunch, world } from '../distributed/world.js';

const spec: CommandSpec = { name: 'rlhf info', summary: 'show the backend and MPI in use', usage: 'rlhf info', flags: {} };

export async function run(argv: string[]): Promise<void> {
  if (parseArgs(spec, argv).help) return void console.log(formatHelp(spec));
  const k = kernels();
  const v = mpiVersion();
  const mpi = 'version' in v ? v.version : `not built: training runs in one process (${v.error})`;
  const ranks = mpiLaunch() ? world().size : 1;
  console.log(JSON.stringify({ backend: k.name, isa: k.isa, threads: k.threads, node: process.version, mpi, ranks }));
}
