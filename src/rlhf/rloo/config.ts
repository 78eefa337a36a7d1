// RLOO: every default in one place. k = 4 samples per prompt and a sequence-level KL penalty
// β 0.05 follow Ahmadian et al. (2024) and TRL's RLOOTrainer; one pass with two minibatches per
// rollout keeps it close to plain REINFORCE (the clip only acts on the second minibatch).
import { ONLINE_DEFAULTS, validateOnline, type OnlineConfig } from '../core/online-config.js';

export type RlooConfig = OnlineConfig;

export const RLOO_DEFAULTS: RlooConfig = {
  ...ONLINE_DEFAULTS,
  out: 'runs/rloo',
  samplesPerPrompt: 4,
  klCoef: 0.05,
};

export function validateRloo(c: RlooConfig): void {
  validateOnline(c, 2);
}
