// Trainers under mpirun, for data-parallel.test.ts: `node dp-worker.js --worker JOB.json` runs the
// job's runs in order on every rank. A "fail" run pretrains until the given rank's data stream
// reaches the given step, where that rank throws or is killed.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exitWithError, finalizeWorld, world } from '../../src/distributed/world.js';
import { CausalLM, loadWeights } from '../../src/models/index.js';
import type { PretrainConfig, SftConfig } from '../../src/train/config.js';
import { trainLanguageModel } from '../../src/train/lm.js';
import { pretrain, pretrainModelConfig } from '../../src/train/pretrain.js';
import { sft } from '../../src/train/sft.js';
import { shardPaths, shardStream } from '../../src/train/shard-data.js';

export type WorkerRun =
  | { kind: 'pretrain'; config: PretrainConfig; resume?: boolean }
  | { kind: 'sft'; config: SftConfig; resume?: boolean }
  | { kind: 'fail'; config: PretrainConfig; rank: number; step: number; how: 'throw' | 'kill'; resume?: boolean };

/** Pretraining on byte shards whose stream fails on `rank` at `step` (rank −1: never). */
export async function failingRun(cfg: PretrainConfig, rank: number, step: number, how: 'throw' | 'kill', resume = false): Promise<number | null> {
  const me = world().rank;
  const model = new CausalLM(pretrainModelConfig(cfg, 257, 256), { seed: cfg.train.seed });
  const paths = shardPaths(cfg.data.train);
  const { result } = await trainLanguageModel({
    label: 'fail', runDir: cfg.out, model, trainable: model.namedParameters(), evalBatches: [], config: cfg.train,
    saveWeights: (dir) => model.save(dir), loadWeights: (dir) => loadWeights(model, dir),
    openStream: (state) => {
      const inner = shardStream(paths, cfg.data.seqLen, cfg.train.batchSize, cfg.train.seed, state);
      let drawn = 0;
      return {
        ...inner,
        next: () => {
          if (me === rank && ++drawn === step) {
            if (how === 'kill') process.kill(process.pid, 'SIGKILL');
            throw new Error(`rank ${rank} failed on purpose at step ${step}`);
          }
          return inner.next();
        },
      };
    },
  }, { resume, quiet: true });
  return result.resumedFrom;
}

async function runAll(runs: WorkerRun[]): Promise<void> {
  for (const r of runs) {
    if (r.kind === 'pretrain') await pretrain(r.config, { resume: r.resume, quiet: true });
    else if (r.kind === 'sft') await sft(r.config, { resume: r.resume, quiet: true });
    else await failingRun(r.config, r.rank, r.step, r.how, r.resume);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--worker') {
  runAll(JSON.parse(readFileSync(process.argv[3], 'utf8')) as WorkerRun[]).then(finalizeWorld, (e: unknown) => exitWithError(`error: ${(e as Error).message}`, 1));
}
