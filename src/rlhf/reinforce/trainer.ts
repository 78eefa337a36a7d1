// `rlhf reinforce-pp`: REINFORCE++ on the shared online machinery (core/online-run.ts). Its one
// contribution, the advantages: per-token rewards with the k1 KL penalty folded in, their returns,
// normalised over the whole batch (advantages.ts): under data parallelism, over every rank's share.
import { sumAcross } from '../../distributed/shard.js';
import { world } from '../../distributed/world.js';
import { klPerToken } from '../core/kl.js';
import { runOnline, type OnlineMethod, type OnlineRunOptions, type OnlineSummary } from '../core/online-run.js';
import { reinforcePpAdvantages } from './advantages.js';
import type { ReinforcePpConfig } from './config.js';

export function reinforcePpMethod(cfg: Pick<ReinforcePpConfig, 'samplesPerPrompt' | 'klCoef' | 'gamma' | 'groupBaseline'>): OnlineMethod {
  return {
    name: 'reinforce-pp',
    advantages: (r, shaped) => {
      const { B, R, responseMask } = r.batch;
      const kl = r.refLogprobs ? klPerToken(r.oldLogprobs, r.refLogprobs, 'k1') : new Float32Array(B * R);
      const { advantages } = reinforcePpAdvantages(shaped, kl, responseMask, B, R, { beta: cfg.klCoef, gamma: cfg.gamma, k: cfg.samplesPerPrompt, groupBaseline: cfg.groupBaseline, across: sumAcross(world()) });
      return { advantages };
    },
  };
}

export function reinforcePp(cfg: ReinforcePpConfig, opts: OnlineRunOptions = {}): Promise<OnlineSummary> {
  return runOnline(cfg, reinforcePpMethod(cfg), opts);
}
