// DPO: every default in one place. β 0.1 is the DPO paper's and TRL's default; the learning rate is
// scaled for the small models of the default pipeline. SimPO runs on the same data path with loss
// 'simpo' (no reference model); SIMPO_DEFAULTS holds its own defaults, β 2 and γ 1 (Meng et al.
// 2024: β 2–2.5 with γ/β 0.5).
import { check, intAtLeast, nonNegInt, posInt } from '../../util/config.js';
import { LOOP_DEFAULTS, LORA_DEFAULTS, validateLoop, validateLora, type LoopConfig, type LoraConfig } from '../../train/config.js';
import type { DpoLossType } from './loss.js';

export interface DpoConfig {
  /** Run folder: config, metrics, checkpoints, model/ and summary.json. */
  out: string;
  /** The SFT model: the policy starts here, and the frozen reference is this model. */
  model: string;
  /** Tokenizer folder ('' = the model folder). */
  tokenizer: string;
  data: {
    /** Preference pairs ({prompt, chosen, rejected}) or rankings (best vs worst) JSONL. */
    train: string;
    /** Held-out pairs for the implicit-reward accuracy ('' = none). */
    val: string;
    /** Pairs longer than this (prompt + longer response) are dropped. */
    maxLen: number;
    /** Training pairs used (0 = all): reference log-probs are computed for these only. */
    limit: number;
  };
  beta: number;
  /** sigmoid (DPO), ipo, or simpo (reference-free, length-normalised: simpo/loss.ts). */
  loss: DpoLossType | 'simpo';
  /** ε of conservative DPO, or SimPO's label smoothing (not with ipo). */
  labelSmoothing: number;
  /** SimPO's target reward margin γ (loss simpo only). */
  gamma: number;
  /** batchSize counts preference pairs. */
  train: LoopConfig;
  lora: LoraConfig;
  /** Win rate against the SFT policy on held-out prompts with gold records, after training. */
  eval: {
    prompts: string;
    limit: number;
    maxNewTokens: number;
    temperature: number;
  };
}

export const DPO_DEFAULTS: DpoConfig = {
  out: 'runs/dpo',
  model: '',
  tokenizer: '',
  data: { train: '', val: '', maxLen: 256, limit: 0 },
  beta: 0.1,
  loss: 'sigmoid',
  labelSmoothing: 0,
  gamma: 1,
  train: { ...LOOP_DEFAULTS, steps: 100, batchSize: 8, lr: 1e-4, warmupSteps: 10, minLrRatio: 0.1, weightDecay: 0, evalEvery: 0, evalBatches: 0, saveEvery: 50, logEvery: 10 },
  lora: { ...LORA_DEFAULTS },
  eval: { prompts: '', limit: 0, maxNewTokens: 32, temperature: 1 },
};

export function validateDpo(c: DpoConfig): void {
  check([
    [c.out !== '', 'out must name a run folder'],
    [c.model !== '', 'model must name the SFT model folder'],
    [c.data.train !== '', 'data.train must name a preference (or ranking) JSONL file'],
    intAtLeast('data.maxLen', c.data.maxLen, 2),
    nonNegInt('data.limit', c.data.limit),
    [c.beta > 0, `beta must be positive, got ${c.beta}`],
    [c.loss === 'sigmoid' || c.loss === 'ipo' || c.loss === 'simpo', `loss must be sigmoid, ipo or simpo, got ${JSON.stringify(c.loss)}`],
    [c.labelSmoothing >= 0 && c.labelSmoothing < 0.5, `labelSmoothing must be in [0, 0.5), got ${c.labelSmoothing}`],
    [c.loss !== 'ipo' || c.labelSmoothing === 0, 'labelSmoothing applies to the sigmoid and simpo losses only'],
    [c.gamma >= 0, `gamma must be ≥ 0, got ${c.gamma}`],
    nonNegInt('eval.limit', c.eval.limit),
    posInt('eval.maxNewTokens', c.eval.maxNewTokens),
    [c.eval.temperature >= 0, `eval.temperature must be ≥ 0, got ${c.eval.temperature}`],
  ]);
  validateLoop(c.train);
  if (c.lora.enabled) validateLora(c.lora, 'lora', { recompute: c.train.recompute, at: 'train' });
}

export const SIMPO_DEFAULTS: DpoConfig = { ...DPO_DEFAULTS, out: 'runs/simpo', loss: 'simpo', beta: 2, gamma: 1 };
