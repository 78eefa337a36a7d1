// The RLHF part of the one-command pipeline: the settings of its stages (rlhf-stages.ts), every
// default in one place, sized so that reward model, PPO, DPO, GRPO and the report card take about
// five minutes on an idle 2-core machine after pretraining and SFT. Every number a stage uses is a key
// here, so it is part of the stage's hash. Paths are not configured: each stage reads the run folder
// (the data stage's files, the SFT model, the reward model). The pipeline config extends this.
import { check, intAtLeast, nonNegInt, posInt } from '../util/config.js';
import { validateLoop, type LoopConfig } from '../train/config.js';
import { DPO_DEFAULTS, validateDpo, type DpoConfig } from '../rlhf/dpo/config.js';
import { GRPO_DEFAULTS, validateGrpo, type GrpoConfig } from '../rlhf/grpo/config.js';
import { PPO_DEFAULTS, validatePpo, type PpoConfig } from '../rlhf/ppo/config.js';
import { REWARD_DEFAULTS, validateReward } from '../rlhf/reward/config.js';

/** The method configs without the keys the pipeline fills in (folders and files). */
export type PpoStageConfig = Omit<PpoConfig, 'out' | 'policy' | 'reward' | 'tokenizer' | 'data' | 'eval' | 'ptx'> & { ptx: Omit<PpoConfig['ptx'], 'data'> };
export type DpoStageConfig = Omit<DpoConfig, 'out' | 'model' | 'tokenizer' | 'data' | 'eval'> & {
  /** Which pairs DPO learns from: best vs worst of the SFT samples ranked by the gold labeler
   * (on-policy, the rankings stage), the default data's preference pairs, or both (sampled first). */
  pairsFrom: 'sampled' | 'default' | 'both';
  /** Training pairs used (0 = all). */
  pairs: number;
  /** Pairs longer than this (prompt + longer response) are dropped. */
  maxLen: number;
};
export type GrpoStageConfig = Omit<GrpoConfig, 'out' | 'policy' | 'tokenizer' | 'data' | 'eval'>;

export interface RlhfStagesConfig {
  /** Prompts longer than this many tokens (chat template included) are left out of the rankings,
   * best-of-N, PPO and GRPO stages, the win-rate prompts included. */
  maxPromptLen: number;
  /** Rankings of the SFT policy's own samples by the gold labeler (reward/sampled.ts), added to the
   * default data's rankings so the reward model learns on the text PPO will sample. */
  rankings: {
    /** Training prompts ranked (the first ones of prompts.jsonl) and held-out ones (its last). */
    prompts: number;
    valPrompts: number;
    /** Samples per prompt. */
    k: number;
    temperature: number;
    /** Sampling seeds of the training and the held-out rankings. */
    seed: number;
    valSeed: number;
  };
  reward: {
    train: LoopConfig;
    /** Rankings whose prompt plus longest response is longer are dropped. */
    maxLen: number;
    /** Responses sampled from the SFT policy (as PPO samples: ppo.rollout's length and temperature)
     * to measure the reward's mean and std. */
    normalizationSamples: number;
  };
  /** Best-of-N of the SFT policy on the win-rate prompts, picked by the gold labeler and by the reward
   * model (src/rlhf/bestofn.ts): the yardstick the PPO and DPO win rates are read against. */
  bestOfN: {
    /** The largest N; the curve is measured at 1, 2, 4, … and N. */
    n: number;
  };
  ppo: PpoStageConfig;
  dpo: DpoStageConfig;
  grpo: GrpoStageConfig;
  /** Held-out measurement, shared by every stage: eval.jsonl's prompts, judged by the gold labelers. */
  evaluation: {
    /** Prompts for the win rates against SFT (0 = all of eval.jsonl). */
    winRatePrompts: number;
    /** Instruction prompts for exact-match accuracy (0 = all of eval.jsonl's). */
    accuracyPrompts: number;
    maxNewTokens: number;
    /** Sampling temperature of both sides of a win-rate comparison (1 = the policies themselves). */
    temperature: number;
  };
  /** Sample generations shown in the report card. */
  report: { samples: number };
}

/** A deep copy of `o` without `keys`. */
function omit<T extends object, K extends keyof T>(o: T, keys: K[]): Omit<T, K> {
  const copy = structuredClone(o);
  for (const k of keys) delete copy[k];
  return copy;
}

const ppoDefaults = omit(PPO_DEFAULTS, ['out', 'policy', 'reward', 'tokenizer', 'data', 'eval']);

export const RLHF_STAGES_DEFAULTS: RlhfStagesConfig = {
  maxPromptLen: 192,
  rankings: { prompts: 1600, valPrompts: 200, k: 4, temperature: 1, seed: 1, valSeed: 2 },
  reward: { train: { ...REWARD_DEFAULTS.train, steps: 600, lr: 5e-4, saveEvery: 100 }, maxLen: 256, normalizationSamples: 64 },
  bestOfN: { n: 64 },
  ppo: {
    // Small steps, many rollouts, and PPO-ptx: on dev prompts kept out of training (never the
    // held-out eval set), from a 4500-step SFT model, the policy without the pretraining term lost
    // to SFT (win rate 0.43 after 150 iterations: the reward model is wrong on over a third of the
    // policy's own pairs); with it the policy held its ground (0.50).
    ...ppoDefaults, iterations: 80, ptx: { ...omit(ppoDefaults.ptx, ['data']), coef: 1 },
    optim: { ...ppoDefaults.optim, actorLr: 1e-4, criticLr: 1e-4 },
  },
  dpo: { ...omit(DPO_DEFAULTS, ['out', 'model', 'tokenizer', 'data', 'eval']), pairsFrom: 'sampled', pairs: 0, maxLen: 256 },
  grpo: { ...omit(GRPO_DEFAULTS, ['out', 'policy', 'tokenizer', 'data', 'eval']), iterations: 100, optim: { ...GRPO_DEFAULTS.optim, lr: 1e-4 } },
  evaluation: { winRatePrompts: 200, accuracyPrompts: 0, maxNewTokens: 32, temperature: 1 },
  report: { samples: 6 },
};

export function validateRlhfStages(c: RlhfStagesConfig): void {
  check([
    posInt('maxPromptLen', c.maxPromptLen),
    nonNegInt('rankings.prompts', c.rankings.prompts), nonNegInt('rankings.valPrompts', c.rankings.valPrompts),
    intAtLeast('rankings.k', c.rankings.k, 2),
    [c.rankings.temperature > 0, `rankings.temperature must be positive, got ${c.rankings.temperature}`],
    nonNegInt('rankings.seed', c.rankings.seed), nonNegInt('rankings.valSeed', c.rankings.valSeed),
    posInt('bestOfN.n', c.bestOfN.n),
    intAtLeast('reward.normalizationSamples', c.reward.normalizationSamples, 2),
    nonNegInt('dpo.pairs', c.dpo.pairs),
    [['sampled', 'default', 'both'].includes(c.dpo.pairsFrom), `dpo.pairsFrom must be sampled, default or both, got ${JSON.stringify(c.dpo.pairsFrom)}`],
    nonNegInt('evaluation.winRatePrompts', c.evaluation.winRatePrompts), nonNegInt('evaluation.accuracyPrompts', c.evaluation.accuracyPrompts),
    posInt('evaluation.maxNewTokens', c.evaluation.maxNewTokens),
    [c.evaluation.temperature >= 0, `evaluation.temperature must be ≥ 0, got ${c.evaluation.temperature}`],
    nonNegInt('report.samples', c.report.samples),
  ]);
  validateLoop(c.reward.train, 'reward.train');
  // The method validators check the rest; the paths they require are the pipeline's, filled here.
  const paths = { out: '-', tokenizer: '' };
  validateReward({ ...REWARD_DEFAULTS, ...paths, model: '-', data: { ...REWARD_DEFAULTS.data, train: '-', maxLen: c.reward.maxLen }, train: c.reward.train });
  validatePpo({ ...PPO_DEFAULTS, ...c.ppo, ...paths, policy: '-', reward: '-', data: { prompts: '-', maxPromptLen: c.maxPromptLen }, ptx: { ...c.ppo.ptx, data: '-' } });
  const dpo = omit(c.dpo, ['pairs', 'pairsFrom', 'maxLen']);
  validateDpo({ ...DPO_DEFAULTS, ...dpo, ...paths, model: '-', data: { ...DPO_DEFAULTS.data, train: '-', maxLen: c.dpo.maxLen } });
  validateGrpo({ ...GRPO_DEFAULTS, ...c.grpo, ...paths, policy: '-', data: { prompts: '-', maxPromptLen: c.maxPromptLen } });
}
