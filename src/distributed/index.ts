// Data parallelism over MPI (docs/distributed.md): the process's communicator and its collectives,
// and what a step method needs to shard its work. The loop (src/train/loop.ts) does the rest.
//
//   const comm = world();                    // MPI under mpirun, else one process
//   comm.allReduce(grads, 'mean');           // in place on a Float32Array
//   const mine = shardOf(prompts, comm);     // this rank's share of a global batch
//   finalizeWorld();                         // after the last collective
export {
  SingleProcess, shardRange, shardCounts, allReduceNumbers, allGatherJson, broadcastJson,
  type Communicator, type ReduceOp, type CommBuffer, type FloatBuffer,
} from './communicator.js';
export { MpiCommunicator, mpiVersion } from './mpi.js';
export { world, finalizeWorld, exitWithError, mpiLaunch, threadsPerRank } from './world.js';
export { shardOf, shareSize, rankSeed, minibatches, globalCount, sumAcross, shareFields } from './shard.js';
