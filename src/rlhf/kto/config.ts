// KTO: every default in one place. β 0.1 and λ_D = λ_U = 1 are the paper's and TRL's defaults; the
// learning rate is scaled for the small models of the default pipeline, as DPO's.
import { check, nonNegInt, posInt } from '../../util/config.js';
import { LOOP_DEFAULTS, LORA_DEFAULTS, validateLoop, validateLora, type LoopConfig, type LoraConfig } from '../../train/config.js';

export interface KtoConfig {
  /** Run folder: config, metrics, checkpoints, model/ and summary.json. */
  out: string;
  /** The SFT model: the policy starts here, and the frozen reference is this model. */
  model: string;
  /** Tokenizer folder ('' = the model folder). */
  tokenizer: string;
  data: {
    /** Unpaired JSONL: {"prompt", "completion", "label": true|false} (TRL's format; the ranking
     * app's thumbs up/down export). */
    train: string;
    /** Held-out unpaired examples for the share on the right side of z0 ('' = none). */
    val: string;
    /** Examples longer than this (prompt + completion) are dropped. */
    maxLen: number;
    /** Training examples used (0 = all). */
    limit: number;
  };
  beta: number;
  /** λ_D and λ_U: the paper advises λ_D·n_D / (λ_U·n_U) in [1, 4/3]. */
  desirableWeight: number;
  undesirableWeight: number;
  /** batchSize counts examples (≥ 2: each batch estimates z0 from its own mismatched pairs). */
  train: LoopConfig;
  lora: LoraConfig;
  /** Win rate against the SFT policy on held-out prompts with gold records, after training. */
  eval: { prompts: string; limit: number; maxNewTokens: number; temperature: number };
}

export const KTO_DEFAULTS: KtoConfig = {
  out: 'runs/kto',
  model: '',
  tokenizer: '',
  data: { train: '', val: '', maxLen: 256, limit: 0 },
  beta: 0.1,
  desirableWeight: 1,
  undesirableWeight: 1,
  train: { ...LOOP_DEFAULTS, steps: 100, batchSize: 8, lr: 1e-4, warmupSteps: 10, minLrRatio: 0.1, weightDecay: 0, evalEvery: 0, evalBatches: 0, saveEvery: 50, logEvery: 10 },
  lora: { ...LORA_DEFAULTS },
  eval: { prompts: '', limit: 0, maxNewTokens: 32, temperature: 1 },
};

export function validateKto(c: KtoConfig): void {
  check([
    [c.out !== '', 'out must name a run folder'],
    [c.model !== '', 'model must name the SFT model folder'],
    [c.data.train !== '', 'data.train must name an unpaired JSONL file ({"prompt", "completion", "label"})'],
    [Number.isInteger(c.data.maxLen) && c.data.maxLen >= 2, `data.maxLen must be an integer ≥ 2, got ${c.data.maxLen}`],
    nonNegInt('data.limit', c.data.limit),
    [c.beta > 0, `beta must be positive, got ${c.beta}`],
    [c.desirableWeight > 0 && c.undesirableWeight > 0, `desirableWeight and undesirableWeight must be positive, got ${c.desirableWeight}, ${c.undesirableWeight}`],
    [c.train.batchSize >= 2, `train.batchSize must be ≥ 2 (the KL estimate pairs each prompt with another example's completion), got ${c.train.batchSize}`],
    nonNegInt('eval.limit', c.eval.limit), posInt('eval.maxNewTokens', c.eval.maxNewTokens),
    [c.eval.temperature >= 0, `eval.temperature must be ≥ 0, got ${c.eval.temperature}`],
  ]);
  validateLoop(c.train);
  if (c.lora.enabled) validateLora(c.lora, 'lora', { recompute: c.train.recompute, at: 'train' });
}
