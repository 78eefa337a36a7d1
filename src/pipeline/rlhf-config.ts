// The RLHF part of the one-command pipeline: the settings of its stages (rlhf-stages.ts), every
// default in one place. Every number a stage uses is a key here, so it is part of the stage's hash.
// Paths are not configured: each stage reads the run folder (the data stage's files, the SFT model,
// the reward model). The pipeline config extends this.
//
// The preference task is continuation sentiment on generated stories (docs/data-default.md): the
// reward model, best-of-N, PPO, DPO, RLOO and the other preference methods learn and are judged on
// continuation prompts; the instruction tasks are the verifiable-reward task of GRPO. Every policy
// is measured on both kinds of held-out prompt (evaluate.ts), so what a preference method costs on
// instructions shows too.
import { check, intAtLeast, nonNegInt, posInt } from '../util/config.js';
import { validateLoop, type LoopConfig } from '../train/config.js';
import { DPO_DEFAULTS, SIMPO_DEFAULTS, validateDpo, type DpoConfig } from '../rlhf/dpo/config.js';
import { GRPO_DEFAULTS, validateGrpo, type GrpoConfig } from '../rlhf/grpo/config.js';
import { KTO_DEFAULTS, validateKto, type KtoConfig } from '../rlhf/kto/config.js';
import { ORPO_DEFAULTS, validateOrpo, type OrpoConfig } from '../rlhf/orpo/config.js';
import { PPO_DEFAULTS, validatePpo, type PpoConfig } from '../rlhf/ppo/config.js';
import { REINFORCE_PP_DEFAULTS, validateReinforcePp, type ReinforcePpConfig } from '../rlhf/reinforce/config.js';
import { REWARD_DEFAULTS, validateReward } from '../rlhf/reward/config.js';
import { RFT_DEFAULTS, validateRft, type RftConfig } from '../rlhf/rft/config.js';
import { RLOO_DEFAULTS, validateRloo, type RlooConfig } from '../rlhf/rloo/config.js';

/** Folders and files the pipeline fills in, left out of a method's stage config. */
type Paths = 'out' | 'policy' | 'model' | 'reward' | 'rewardFn' | 'tokenizer' | 'data' | 'eval';

export type PpoStageConfig = Omit<PpoConfig, Paths | 'ptx'> & { ptx: Omit<PpoConfig['ptx'], 'data'> };
export type OnlineStageConfig<C> = Omit<C, Paths>;
/** Offline preference methods learn from pairs of the SFT policy's own samples ranked by the gold
 * labeler (the rankings stage): the best against the worst of each continuation ranking. */
export type PairStageConfig<C> = Omit<C, Paths> & {
  /** Training pairs used (0 = all). */
  pairs: number;
  /** Pairs longer than this (prompt + longer response) are dropped. */
  maxLen: number;
};
/** GRPO's `reward` is the answer checker's settings, not a folder, so it stays. */
export type GrpoStageConfig = Omit<GrpoConfig, Exclude<Paths, 'reward'>>;
export type RftStageConfig = Omit<RftConfig, Paths>;

export interface RlhfStagesConfig {
  /** Prompts longer than this many tokens (chat template included) are left out of every RLHF
   * stage, the held-out prompts included. */
  maxPromptLen: number;
  /** Rankings of the SFT policy's own samples by the gold labeler (reward/sampled.ts), added to the
   * default data's rankings so the reward model learns on the text PPO will sample. */
  rankings: {
    /** Training prompts ranked, per task kind: continuations feed the reward PPO, RLOO and DPO
     * climb; most instruction samples tie (right answers score alike), so fewer of those. */
    prompts: { continuation: number; instruction: number };
    /** Held-out prompts ranked per kind (the evaluation split's; their pairs measure the reward
     * model on the policy's own samples). */
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
  /** Best-of-N of the SFT policy on the held-out continuation prompts, picked by the gold labeler
   * and by the reward model (src/rlhf/bestofn.ts): the frontier the policies are read against. */
  bestOfN: {
    /** The largest N; the curve is measured at 1, 2, 4, … and N. */
    n: number;
    /** Held-out continuation prompts it runs on (the first of evaluation.prompts; 0 = all): N
     * samples each make it the pipeline's largest sampling job. */
    prompts: number;
  };
  /** PPO against the reward model; the same settings drive `ppo_gold` (the gold labeler itself as
   * the reward: what PPO can do when the reward is right). */
  ppo: PpoStageConfig;
  /** PPO against AFINN's comparative score, the labeler with a hole (valence per token pays most
   * for the shortest positive answer): the card's reward-hacking example. PPO's settings otherwise. */
  rewardHacking: { iterations: number; actorLr: number };
  dpo: PairStageConfig<Omit<DpoConfig, 'loss'>>;
  simpo: PairStageConfig<DpoConfig>;
  orpo: PairStageConfig<OrpoConfig>;
  /** KTO learns from the best (desirable) and the worst (undesirable) response of each ranking as
   * unpaired examples. */
  kto: PairStageConfig<KtoConfig>;
  rloo: OnlineStageConfig<RlooConfig>;
  reinforcePp: OnlineStageConfig<ReinforcePpConfig>;
  rft: RftStageConfig;
  grpo: GrpoStageConfig;
  /** Held-out measurement, shared by every stage (evaluate.ts). */
  evaluation: {
    /** Which prompts every held-out figure is measured on: 'eval' (the held-out questions) or 'dev'
     * (carved from the training side; tune on this, never on eval). */
    split: 'eval' | 'dev';
    /** Held-out prompts per task kind (0 = all of the split's). */
    prompts: number;
    /** Instruction prompts for greedy exact match (0 = all of the split's). */
    accuracyPrompts: number;
    maxNewTokens: number;
    /** Sampling temperature of both sides of a comparison (1 = the policies themselves). */
    temperature: number;
    /** The SFT side of every comparison is sampled once with baselineSeed, each policy with
     * policySeed: independent samples. */
    baselineSeed: number;
    policySeed: number;
    /** Bootstrap resamples of the confidence intervals. */
    resamples: number;
    /** Held-out examples kept per stage for the report card. */
    examples: number;
    /** The grounded QA hallucination suite for base, SFT and every policy (hallucination.ts), and
     * the seed its invented facts come from. */
    hallucination: boolean;
    suiteSeed: number;
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

const PATHS: Paths[] = ['out', 'policy', 'model', 'reward', 'rewardFn', 'tokenizer', 'data', 'eval'];
const stage = <T extends object>(o: T): Omit<T, Paths> => omit(o as T & Record<Paths, unknown>, PATHS) as Omit<T, Paths>;
const ppoDefaults = stage(PPO_DEFAULTS);
const pairs = { pairs: 0, maxLen: 256 };

export const RLHF_STAGES_DEFAULTS: RlhfStagesConfig = {
  maxPromptLen: 192,
  rankings: { prompts: { continuation: 2400, instruction: 600 }, valPrompts: 200, k: 4, temperature: 1, seed: 1, valSeed: 2 },
  reward: { train: { ...REWARD_DEFAULTS.train, steps: 600, lr: 5e-4, saveEvery: 100 }, maxLen: 256, normalizationSamples: 64 },
  bestOfN: { n: 64, prompts: 200 },
  ppo: {
    // PPO-ptx off by default (ppo.ptx.coef turns it on, drawing from the pack stage's shards): SFT
    // moves this model far from the stories LM (ptx loss 3.5 against pretraining's 0.56), and with
    // coef 1 the pull back dominated the policy gradient: on the dev prompts ptx loss fell 3.5 →
    // 1.7 in 10 iterations while KL rose 0 → 13.8 nats, responses grew 14 → 24 tokens and the gold
    // score fell −0.80 → −1.07.
    // KL target 4 nats: at 6 the controller, which moves β slowly, let the held-out KL end at 9.7
    // (win rate 0.94 on the dev prompts); at 4 it ended at 7.5 (win rate 0.91).
    ...ppoDefaults, iterations: 80, ptx: { ...omit(ppoDefaults.ptx, ['data']), coef: 0 },
    kl: { ...ppoDefaults.kl, target: 4 },
    optim: { ...ppoDefaults.optim, actorLr: 1e-4, criticLr: 1e-4 },
  },
  rewardHacking: { iterations: 60, actorLr: 5e-4 },
  // RPO (rpoAlpha 1) for 1000 steps: on the dev prompts plain DPO at β 0.1 reached a win rate of
  // 0.63 at KL 0.9 in 100 steps, then 0.69 at KL 14.8 in 250 as the chosen responses' probability
  // fell and the text turned to word salad; β 0.25 for 400 steps 0.74 at KL 9.7, β 0.5 for 500
  // 0.72 at 6.3; with the NLL term 0.68 (250 steps), 0.71 (600) and 0.73 (1000) at KL 1.3–2.8.
  dpo: { ...stage(omit(DPO_DEFAULTS, ['loss'])), rpoAlpha: 1, train: { ...DPO_DEFAULTS.train, steps: 1000 }, ...pairs },
  simpo: { ...stage(SIMPO_DEFAULTS), ...pairs },
  orpo: { ...stage(ORPO_DEFAULTS), ...pairs },
  kto: { ...stage(KTO_DEFAULTS), ...pairs },
  // Two epochs at lr 2e-4: the command's defaults (one epoch, 5e-5: 80 updates in 40 iterations
  // against PPO's 320) reached a win rate of 0.61 at KL 0.5 on the dev prompts; these 0.88 at 8.0.
  rloo: { ...stage(RLOO_DEFAULTS), epochs: 2, optim: { ...RLOO_DEFAULTS.optim, lr: 2e-4 } },
  reinforcePp: stage(REINFORCE_PP_DEFAULTS),
  rft: stage(RFT_DEFAULTS),
  grpo: { ...stage(GRPO_DEFAULTS), reward: { ...GRPO_DEFAULTS.reward }, iterations: 100, optim: { ...GRPO_DEFAULTS.optim, lr: 1e-4 } },
  evaluation: { split: 'eval', prompts: 400, accuracyPrompts: 0, maxNewTokens: 32, temperature: 1, baselineSeed: 11, policySeed: 12, resamples: 2000, examples: 8, hallucination: true, suiteSeed: 20240607 },
  report: { samples: 6 },
};

export function validateRlhfStages(c: RlhfStagesConfig): void {
  check([
    posInt('maxPromptLen', c.maxPromptLen),
    nonNegInt('rankings.prompts.continuation', c.rankings.prompts.continuation), nonNegInt('rankings.prompts.instruction', c.rankings.prompts.instruction), nonNegInt('rankings.valPrompts', c.rankings.valPrompts),
    intAtLeast('rankings.k', c.rankings.k, 2),
    [c.rankings.temperature > 0, `rankings.temperature must be positive, got ${c.rankings.temperature}`],
    nonNegInt('rankings.seed', c.rankings.seed), nonNegInt('rankings.valSeed', c.rankings.valSeed),
    posInt('bestOfN.n', c.bestOfN.n), nonNegInt('bestOfN.prompts', c.bestOfN.prompts),
    intAtLeast('reward.normalizationSamples', c.reward.normalizationSamples, 2),
    posInt('rewardHacking.iterations', c.rewardHacking.iterations),
    [c.rewardHacking.actorLr > 0, `rewardHacking.actorLr must be positive, got ${c.rewardHacking.actorLr}`],
    ...(['dpo', 'simpo', 'orpo', 'kto'] as const).flatMap((m) => [nonNegInt(`${m}.pairs`, c[m].pairs), posInt(`${m}.maxLen`, c[m].maxLen)]),
    [c.evaluation.split === 'eval' || c.evaluation.split === 'dev', `evaluation.split must be eval or dev, got ${JSON.stringify(c.evaluation.split)}`],
    nonNegInt('evaluation.prompts', c.evaluation.prompts), nonNegInt('evaluation.accuracyPrompts', c.evaluation.accuracyPrompts),
    posInt('evaluation.maxNewTokens', c.evaluation.maxNewTokens),
    [c.evaluation.temperature >= 0, `evaluation.temperature must be ≥ 0, got ${c.evaluation.temperature}`],
    nonNegInt('evaluation.baselineSeed', c.evaluation.baselineSeed), nonNegInt('evaluation.policySeed', c.evaluation.policySeed),
    [c.evaluation.baselineSeed !== c.evaluation.policySeed, `evaluation.baselineSeed and policySeed must differ (the two sides of a comparison are independent samples), got ${c.evaluation.baselineSeed} for both`],
    posInt('evaluation.resamples', c.evaluation.resamples), nonNegInt('evaluation.examples', c.evaluation.examples),
    nonNegInt('evaluation.suiteSeed', c.evaluation.suiteSeed),
    nonNegInt('report.samples', c.report.samples),
  ]);
  validateLoop(c.reward.train, 'reward.train');
  // The method validators check the rest; the paths they require are the pipeline's, filled here.
  const paths = { out: '-', tokenizer: '' };
  const online = { ...paths, policy: '-', reward: '-', rewardFn: '', data: { prompts: '-', maxPromptLen: c.maxPromptLen } };
  const offline = (m: { maxLen: number }) => ({ ...paths, model: '-', data: { train: '-', val: '', maxLen: m.maxLen, limit: 0 } });
  validateReward({ ...REWARD_DEFAULTS, ...paths, model: '-', data: { ...REWARD_DEFAULTS.data, train: '-', maxLen: c.reward.maxLen }, train: c.reward.train });
  validatePpo({ ...PPO_DEFAULTS, ...c.ppo, ...online, ptx: { ...c.ppo.ptx, data: '-' } });
  const { pairs: _d, maxLen: _dl, ...dpo } = c.dpo;
  validateDpo({ ...DPO_DEFAULTS, ...dpo, ...offline(c.dpo) });
  const { pairs: _s, maxLen: _sl, ...simpo } = c.simpo;
  validateDpo({ ...SIMPO_DEFAULTS, ...simpo, ...offline(c.simpo) });
  const { pairs: _o, maxLen: _ol, ...orpo } = c.orpo;
  validateOrpo({ ...ORPO_DEFAULTS, ...orpo, ...offline(c.orpo) });
  const { pairs: _k, maxLen: _kl, ...kto } = c.kto;
  validateKto({ ...KTO_DEFAULTS, ...kto, ...offline(c.kto) });
  validateRloo({ ...RLOO_DEFAULTS, ...c.rloo, ...online });
  validateReinforcePp({ ...REINFORCE_PP_DEFAULTS, ...c.reinforcePp, ...online });
  validateRft({ ...RFT_DEFAULTS, ...c.rft, ...online });
  validateGrpo({ ...GRPO_DEFAULTS, ...c.grpo, ...paths, policy: '-', data: { prompts: '-', maxPromptLen: c.maxPromptLen } });
}
