// The RLHF trainers under mpirun, for data-parallel.test.ts: `node dp-worker.js --worker JOB.json`
// runs the job's runs in order on every rank. The toy runs (PPO, REINFORCE++, GRPO with dynamic
// sampling) write their metrics.jsonl like the others, rank 0 alone.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exitWithError, finalizeWorld } from '../../src/distributed/world.js';
import { trainOnline } from '../../src/rlhf/core/online-run.js';
import type { DpoConfig } from '../../src/rlhf/dpo/config.js';
import { dpo } from '../../src/rlhf/dpo/trainer.js';
import { trainGrpo } from '../../src/rlhf/grpo/trainer.js';
import type { KtoConfig } from '../../src/rlhf/kto/config.js';
import { kto } from '../../src/rlhf/kto/trainer.js';
import { trainPpo } from '../../src/rlhf/ppo/trainer.js';
import { reinforcePpMethod } from '../../src/rlhf/reinforce/trainer.js';
import type { RewardConfig } from '../../src/rlhf/reward/config.js';
import { trainRewardModel } from '../../src/rlhf/reward/trainer.js';
import type { RftConfig } from '../../src/rlhf/rft/config.js';
import { rft } from '../../src/rlhf/rft/trainer.js';
import { any7, grpoToyConfig, onlineToyConfig, onlineToySetup, toyConfig, toySetup } from './toy.js';

export type RlhfRun =
  | { kind: 'reward'; config: RewardConfig }
  | { kind: 'dpo'; config: DpoConfig }
  | { kind: 'kto'; config: KtoConfig }
  | { kind: 'rft'; config: RftConfig }
  | { kind: 'ppo-toy' | 'reinforce-pp-toy' | 'grpo-toy'; out: string };

async function runAll(runs: RlhfRun[]): Promise<void> {
  for (const r of runs) {
    if (r.kind === 'reward') await trainRewardModel(r.config, { quiet: true });
    else if (r.kind === 'dpo') await dpo(r.config, { quiet: true });
    else if (r.kind === 'kto') await kto(r.config, { quiet: true });
    else if (r.kind === 'rft') await rft(r.config, { quiet: true });
    else if (r.kind === 'ppo-toy') await trainPpo(toySetup(), toyConfig(r.out), { quiet: true });
    else if (r.kind === 'reinforce-pp-toy') {
      const cfg = { ...onlineToyConfig('rpp-dp', { promptsPerIteration: 32, samplesPerPrompt: 1 }), out: r.out };
      await trainOnline(onlineToySetup(), cfg, reinforcePpMethod({ samplesPerPrompt: 1, klCoef: 0.01, gamma: 1, groupBaseline: false }), { quiet: true });
    } else {
      const { reward: _r, normalization: _n, ...setup } = onlineToySetup();
      await trainGrpo({ ...setup, reward: any7 }, grpoToyConfig(r.out), { quiet: true });
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--worker') {
  runAll(JSON.parse(readFileSync(process.argv[3], 'utf8')) as RlhfRun[]).then(finalizeWorld, (e: unknown) => exitWithError(`error: ${(e as Error).message}`, 1));
}
