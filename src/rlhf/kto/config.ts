// KTO: every default in one place. β 0.1 and λ_D = λ_U = 1 are the paper's and TRL's defaults; the
// learning rate is scaled for the small models of the default pipeline, as DPO's.
import { LORA_DEFAULTS } from '../../train/config.js';
import { HELD_OUT_DEFAULTS, OFFLINE_DATA_DEFAULTS, OFFLINE_TRAIN_DEFAULTS, validateOffline, type OfflineConfig } from '../core/config.js';

/** The shared keys (core/config.ts) with unpaired data: data.train holds {"prompt", "completion",
 * "label": true|false} lines (TRL's format; the ranking app's thumbs up/down export), data.val
 * held-out examples for the share on the right side of z0; examples longer than data.maxLen
 * (prompt + completion) are dropped. The SFT model is where the policy starts and the frozen
 * reference; train.batchSize counts examples (≥ 2: each batch estimates z0 from its own mismatched
 * pairs). */
export interface KtoConfig extends OfflineConfig {
  beta: number;
  /** λ_D and λ_U: the paper advises λ_D·n_D / (λ_U·n_U) in [1, 4/3]. */
  desirableWeight: number;
  undesirableWeight: number;
}

export const KTO_DEFAULTS: KtoConfig = {
  out: 'runs/kto',
  model: '',
  tokenizer: '',
  data: { ...OFFLINE_DATA_DEFAULTS },
  beta: 0.1,
  desirableWeight: 1,
  undesirableWeight: 1,
  train: { ...OFFLINE_TRAIN_DEFAULTS },
  lora: { ...LORA_DEFAULTS },
  eval: { ...HELD_OUT_DEFAULTS },
};

export function validateKto(c: KtoConfig): void {
  validateOffline(c, { model: 'the SFT model folder', data: 'an unpaired JSONL file ({"prompt", "completion", "label"})' }, [
    [c.beta > 0, `beta must be positive, got ${c.beta}`],
    [c.desirableWeight > 0 && c.undesirableWeight > 0, `desirableWeight and undesirableWeight must be positive, got ${c.desirableWeight}, ${c.undesirableWeight}`],
    [c.train.batchSize >= 2, `train.batchSize must be ≥ 2 (the KL estimate pairs each prompt with another example's completion), got ${c.train.batchSize}`],
  ]);
}
