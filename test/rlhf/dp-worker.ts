// The RLHF trainers under mpirun, for data-parallel.test.ts: `node dp-worker.js --worker JOB.json`
// runs the job's runs in order on every rank; the PPO toy's records go to <out>/records.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitWithError, finalizeWorld, world } from '../../src/distributed/world.js';
import type { DpoConfig } from '../../src/rlhf/dpo/config.js';
import { dpo } from '../../src/rlhf/dpo/trainer.js';
import type { GrpoConfig } from '../../src/rlhf/grpo/config.js';
import { grpo } from '../../src/rlhf/grpo/trainer.js';
import { trainPpo } from '../../src/rlhf/ppo/trainer.js';
import type { RewardConfig } from '../../src/rlhf/reward/config.js';
import { trainRewardModel } from '../../src/rlhf/reward/trainer.js';
import { toyConfig, toySetup } from './toy.js';

export type RlhfRun =
  | { kind: 'reward'; config: RewardConfig }
  | { kind: 'dpo'; config: DpoConfig }
  | { kind: 'grpo'; config: GrpoConfig }
  | { kind: 'ppo-toy'; out: string; iterations: number };

async function runAll(runs: RlhfRun[]): Promise<void> {
  for (const r of runs) {
    if (r.kind === 'reward') await trainRewardModel(r.config, { quiet: true });
    else if (r.kind === 'dpo') await dpo(r.config, { quiet: true });
    else if (r.kind === 'grpo') await grpo(r.config, { quiet: true });
    else {
      const result = await trainPpo(toySetup(), { ...toyConfig(r.out), iterations: r.iterations }, { quiet: true });
      if (world().rank === 0) writeFileSync(join(r.out, 'records.json'), JSON.stringify(result.records));
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--worker') {
  runAll(JSON.parse(readFileSync(process.argv[3], 'utf8')) as RlhfRun[]).then(finalizeWorld, (e: unknown) => exitWithError(`error: ${(e as Error).message}`, 1));
}
