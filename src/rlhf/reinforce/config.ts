// REINFORCE++: every default in one place. One sample per prompt with global batch normalisation
// is the paper's method (Hu 2025); samplesPerPrompt > 1 with groupBaseline is OpenRLHF's
// reinforce_baseline. The per-token KL coefficient follows OpenRLHF's init_kl_coef scale, and γ 1
// the paper.
import { check } from '../../util/config.js';
import { ONLINE_DEFAULTS, validateOnline, type OnlineConfig } from '../core/online-config.js';

export interface ReinforcePpConfig extends OnlineConfig {
  /** γ of the returns (1: every later reward counts in full). */
  gamma: number;
  /** Subtract each prompt's mean score over its samplesPerPrompt samples first (needs k ≥ 2). */
  groupBaseline: boolean;
}

export const REINFORCE_PP_DEFAULTS: ReinforcePpConfig = {
  ...ONLINE_DEFAULTS,
  out: 'runs/reinforce-pp',
  promptsPerIteration: 32,
  samplesPerPrompt: 1,
  klCoef: 0.01,
  gamma: 1,
  groupBaseline: false,
};

export function validateReinforcePp(c: ReinforcePpConfig): void {
  validateOnline(c, 1);
  check([
    [c.gamma >= 0 && c.gamma <= 1, `gamma must be in [0, 1], got ${c.gamma}`],
    [!c.groupBaseline || c.samplesPerPrompt >= 2, `groupBaseline needs samplesPerPrompt ≥ 2 (a group to take the mean of), got ${c.samplesPerPrompt}`],
  ]);
}
