// ORPO: every default in one place. λ 0.1 is the paper's and TRL's default (TRL names it beta); the
// learning rate is DPO's here. ORPO needs no reference model: the policy starts from the SFT model
// (or a base model: the NLL term does the SFT) and is the only model in memory.
import { check, nonNegInt, posInt } from '../../util/config.js';
import { LOOP_DEFAULTS, LORA_DEFAULTS, validateLoop, validateLora, type LoopConfig, type LoraConfig } from '../../train/config.js';

export interface OrpoConfig {
  /** Run folder: config, metrics, checkpoints, model/ and summary.json. */
  out: string;
  /** The model the policy starts from. */
  model: string;
  /** Tokenizer folder ('' = the model folder). */
  tokenizer: string;
  data: {
    /** Preference pairs ({prompt, chosen, rejected}) or rankings (best vs worst) JSONL. */
    train: string;
    /** Held-out pairs for the odds-ratio accuracy ('' = none). */
    val: string;
    /** Pairs longer than this (prompt + longer response) are dropped. */
    maxLen: number;
    /** Training pairs used (0 = all). */
    limit: number;
  };
  /** λ, the weight of the odds-ratio term against the chosen responses' NLL. */
  lambda: number;
  /** batchSize counts preference pairs. */
  train: LoopConfig;
  lora: LoraConfig;
  /** Win rate against the starting model on held-out prompts with gold records, after training. */
  eval: { prompts: string; limit: number; maxNewTokens: number; temperature: number };
}

export const ORPO_DEFAULTS: OrpoConfig = {
  out: 'runs/orpo',
  model: '',
  tokenizer: '',
  data: { train: '', val: '', maxLen: 256, limit: 0 },
  lambda: 0.1,
  train: { ...LOOP_DEFAULTS, steps: 100, batchSize: 8, lr: 1e-4, warmupSteps: 10, minLrRatio: 0.1, weightDecay: 0, evalEvery: 0, evalBatches: 0, saveEvery: 50, logEvery: 10 },
  lora: { ...LORA_DEFAULTS },
  eval: { prompts: '', limit: 0, maxNewTokens: 32, temperature: 1 },
};

export function validateOrpo(c: OrpoConfig): void {
  check([
    [c.out !== '', 'out must name a run folder'],
    [c.model !== '', 'model must name the model folder the policy starts from'],
    [c.data.train !== '', 'data.train must name a preference (or ranking) JSONL file'],
    [Number.isInteger(c.data.maxLen) && c.data.maxLen >= 2, `data.maxLen must be an integer ≥ 2, got ${c.data.maxLen}`],
    nonNegInt('data.limit', c.data.limit),
    [c.lambda >= 0, `lambda must be ≥ 0 (0 = SFT on the chosen responses only), got ${c.lambda}`],
    nonNegInt('eval.limit', c.eval.limit), posInt('eval.maxNewTokens', c.eval.maxNewTokens),
    [c.eval.temperature >= 0, `eval.temperature must be ≥ 0, got ${c.eval.temperature}`],
  ]);
  validateLoop(c.train);
  if (c.lora.enabled) validateLora(c.lora, 'lora', { recompute: c.train.recompute, at: 'train' });
}
