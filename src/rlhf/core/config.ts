// Config pieces several RLHF methods share, where the keys mean the same thing in each: the held-out
// comparison after training (every policy method's `eval`), the head of the sampling methods'
// configs (the policy, the reward and the prompts: RLOO, REINFORCE++, RFT), and the whole frame of
// the offline preference methods (DPO and SimPO, ORPO, KTO), which add only their loss's keys.
import { check, intAtLeast, nonNegInt, posInt } from '../../util/config.js';
import { LOOP_DEFAULTS, validateLoop, validateLora, type LoopConfig, type LoraConfig } from '../../train/config.js';
import type { HeldOutSettings } from '../eval.js';

type Rule = [boolean, string];

export const HELD_OUT_DEFAULTS: HeldOutSettings = { prompts: '', limit: 0, maxNewTokens: 32, temperature: 1 };

export function heldOutRules(e: HeldOutSettings): Rule[] {
  return [
    nonNegInt('eval.limit', e.limit), posInt('eval.maxNewTokens', e.maxNewTokens),
    [e.temperature >= 0, `eval.temperature must be ≥ 0, got ${e.temperature}`],
  ];
}

/** Where a sampling method's policy, reward and prompts come from. */
export interface SamplingSource {
  /** The model the policy starts from (the SFT model). */
  policy: string;
  /** Tokenizer folder ('' = the policy folder). */
  tokenizer: string;
  /** A reward model folder (rlhf reward) … */
  reward: string;
  /** … or a reward-function module exporting score(prompt, response, record): exactly one. */
  rewardFn: string;
  data: {
    /** Prompt JSONL; every field of a line reaches a reward function as its `record`. */
    prompts: string;
    /** Longer prompts are left out. */
    maxPromptLen: number;
  };
}

/** The rules of SamplingSource (with the run folder's), `policy` saying what the policy folder is. */
export function samplingSourceRules(c: SamplingSource & { out: string }, policy: string): Rule[] {
  return [
    [c.out !== '', 'out must name a run folder'],
    [c.policy !== '', `policy must name ${policy}`],
    [(c.reward !== '') !== (c.rewardFn !== ''), `give exactly one of reward (a reward model folder) and rewardFn (a module exporting score(prompt, response, record)), got reward ${JSON.stringify(c.reward)} and rewardFn ${JSON.stringify(c.rewardFn)}`],
    [c.data.prompts !== '', 'data.prompts must name a prompt JSONL file'],
    posInt('data.maxPromptLen', c.data.maxPromptLen),
  ];
}

/** An offline method's data; each method's config names the format it reads. */
export interface OfflineData {
  /** Training JSONL (pairs, or labelled examples). */
  train: string;
  /** Held-out items of the same format, for the method's held-out metric ('' = none). */
  val: string;
  /** Items longer than this (prompt + the longer response) are dropped. */
  maxLen: number;
  /** Training items used (0 = all). */
  limit: number;
}

/** The keys every offline preference method has; each adds its loss's own. */
export interface OfflineConfig {
  /** Run folder: config, metrics, checkpoints, model/ and summary.json. */
  out: string;
  /** The model the policy starts from (DPO and KTO: also the frozen reference). */
  model: string;
  /** Tokenizer folder ('' = the model folder). */
  tokenizer: string;
  data: OfflineData;
  /** batchSize counts items (pairs, or labelled examples). */
  train: LoopConfig;
  lora: LoraConfig;
  /** Win rate against the starting model on held-out prompts with gold records, after training. */
  eval: HeldOutSettings;
}

export const OFFLINE_DATA_DEFAULTS: OfflineData = { train: '', val: '', maxLen: 256, limit: 0 };
/** The learning rate is scaled for the small models of the default pipeline. */
export const OFFLINE_TRAIN_DEFAULTS: LoopConfig = { ...LOOP_DEFAULTS, steps: 100, batchSize: 8, lr: 1e-4, warmupSteps: 10, minLrRatio: 0.1, weightDecay: 0, evalEvery: 0, evalBatches: 0, saveEvery: 50, logEvery: 10 };

/** The shared rules around the method's own (`own`); `names` says what model and data.train must
 * name. */
export function validateOffline(c: OfflineConfig, names: { model: string; data: string }, own: Rule[]): void {
  check([
    [c.out !== '', 'out must name a run folder'],
    [c.model !== '', `model must name ${names.model}`],
    [c.data.train !== '', `data.train must name ${names.data}`],
    intAtLeast('data.maxLen', c.data.maxLen, 2),
    nonNegInt('data.limit', c.data.limit),
    ...own,
    ...heldOutRules(c.eval),
  ]);
  validateLoop(c.train);
  if (c.lora.enabled) validateLora(c.lora, 'lora', { recompute: c.train.recompute, at: 'train' });
}
