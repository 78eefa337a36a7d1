// `rlhf rloo`: RLOO on the shared online machinery (core/online-run.ts). Its one contribution, the
// advantages: each response's KL-penalised reward against the mean of its k − 1 siblings'
// (advantages.ts), the same for every token of the response.
import { perToken } from '../core/pg-loss.js';
import { runOnline, type OnlineMethod, type OnlineRunOptions, type OnlineSummary } from '../core/online-run.js';
import { klPenalizedRewards, rlooAdvantages } from './advantages.js';
import type { RlooConfig } from './config.js';

export function rlooMethod(cfg: Pick<RlooConfig, 'samplesPerPrompt' | 'klCoef'>): OnlineMethod {
  return {
    name: 'rloo',
    advantages: (r, shaped) => {
      const { R, responseMask } = r.batch;
      const rewards = r.refLogprobs ? klPenalizedRewards(shaped, r.oldLogprobs, r.refLogprobs, responseMask, R, cfg.klCoef).rewards : shaped;
      const adv = rlooAdvantages(rewards, cfg.samplesPerPrompt);
      return { advantages: perToken(adv, R), metrics: { reward: rewards.reduce((a, x) => a + x, 0) / rewards.length } };
    },
  };
}

export function rloo(cfg: RlooConfig, opts: OnlineRunOptions = {}): Promise<OnlineSummary> {
  return runOnline(cfg, rlooMethod(cfg), opts);
}
