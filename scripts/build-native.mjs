// Builds the native parts at install time. A failed build must not fail the install: without the
// kernels addon the plain-TypeScript reference backend runs instead; without the MPI binding
// training runs in one process. Each says so in one line.
//   build/Release/rlhf_native.node  the kernels, with node-gyp (binding.gyp)
//   build/Release/rlhf_mpi.node     the MPI collectives (native/mpi.c), with mpicc when Open MPI's
//                                   compiler wrapper is installed (Debian: libopenmpi-dev)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const verbose = process.env.RLHF_NATIVE_VERBOSE === '1';
// npm passes npm_config_nodedir; run by hand, this node's own install holds the headers.
const nodedir = process.env.npm_config_nodedir ?? dirname(dirname(process.execPath));

function buildKernels() {
  if (process.env.RLHF_SKIP_NATIVE === '1') {
    console.warn('rlhf-ts: RLHF_SKIP_NATIVE=1, using the TypeScript reference backend');
    return;
  }
  // npm runs install scripts with npm_config_node_gyp pointing at its own node-gyp; run by hand,
  // look for the copy bundled with the npm next to this node.
  const gyp = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')]
    .find((p) => p && existsSync(p));
  // Build against this node's own headers (never download them).
  const gypArgs = ['rebuild', ...(existsSync(join(nodedir, 'include/node/node_api.h')) ? [`--nodedir=${nodedir}`] : [])];
  const [cmd, args] = gyp ? [process.execPath, [gyp, ...gypArgs]] : ['node-gyp', gypArgs];
  const result = spawnSync(cmd, args, { stdio: verbose ? 'inherit' : 'pipe', encoding: 'utf8' });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : (result.stderr || '').trim().split('\n').filter((l) => /error/i.test(l))[0] ?? `exit ${result.status}`;
    console.warn(`rlhf-ts: native backend not built (${why}); using the TypeScript reference backend (slower). RLHF_NATIVE_VERBOSE=1 npm rebuild shows the full log.`);
  }
}

/** node_api.h: beside this node, or where node-gyp keeps downloaded headers. */
function nodeIncludeDir() {
  return [join(nodedir, 'include/node'), join(homedir(), '.cache/node-gyp', process.versions.node, 'include/node')]
    .find((d) => existsSync(join(d, 'node_api.h')));
}

// The MPI binding is compiled by mpicc itself rather than node-gyp: mpicc knows where this
// machine's MPI headers and libraries are, which is its whole job.
function buildMpi() {
  if (process.env.RLHF_SKIP_MPI === '1') {
    console.warn('rlhf-ts: RLHF_SKIP_MPI=1, training runs in one process');
    return;
  }
  const mpicc = process.env.MPICC || 'mpicc';
  if (spawnSync(mpicc, ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.warn(`rlhf-ts: ${mpicc} not found, so no MPI binding: training runs in one process (install Open MPI, e.g. apt-get install openmpi-bin libopenmpi-dev, then npm rebuild for data parallelism)`);
    return;
  }
  const include = nodeIncludeDir();
  if (!include) {
    console.warn('rlhf-ts: node_api.h not found, so no MPI binding: training runs in one process');
    return;
  }
  mkdirSync('build/Release', { recursive: true });
  const args = ['-O2', '-fPIC', '-shared', '-std=gnu11', '-Wall', `-I${include}`, '-DNODE_GYP_MODULE_NAME=rlhf_mpi', 'native/mpi.c', '-o', 'build/Release/rlhf_mpi.node'];
  const result = spawnSync(mpicc, args, { stdio: verbose ? 'inherit' : 'pipe', encoding: 'utf8' });
  if (result.status !== 0) {
    const why = (result.stderr || '').trim().split('\n').filter((l) => /error/i.test(l))[0] ?? `exit ${result.status}`;
    console.warn(`rlhf-ts: MPI binding not built (${why}); training runs in one process. RLHF_NATIVE_VERBOSE=1 npm rebuild shows the full log.`);
  }
}

buildKernels();
buildMpi();
