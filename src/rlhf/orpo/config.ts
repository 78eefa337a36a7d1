// ORPO: every default in one place. λ 0.1 is the paper's and TRL's default (TRL names it beta); the
// learning rate is DPO's here. ORPO needs no reference model: the policy starts from the SFT model
// (or a base model: the NLL term does the SFT) and is the only model in memory.
import { LORA_DEFAULTS } from '../../train/config.js';
import { HELD_OUT_DEFAULTS, OFFLINE_DATA_DEFAULTS, OFFLINE_TRAIN_DEFAULTS, validateOffline, type OfflineConfig } from '../core/config.js';

/** The shared keys (core/config.ts) with DPO's data: data.train holds preference pairs ({prompt,
 * chosen, rejected}) or rankings (best vs worst), data.val held-out pairs for the odds-ratio
 * accuracy; train.batchSize counts preference pairs. */
export interface OrpoConfig extends OfflineConfig {
  /** λ, the weight of the odds-ratio term against the chosen responses' NLL. */
  lambda: number;
}

export const ORPO_DEFAULTS: OrpoConfig = {
  out: 'runs/orpo',
  model: '',
  tokenizer: '',
  data: { ...OFFLINE_DATA_DEFAULTS },
  lambda: 0.1,
  train: { ...OFFLINE_TRAIN_DEFAULTS },
  lora: { ...LORA_DEFAULTS },
  eval: { ...HELD_OUT_DEFAULTS },
};

export function validateOrpo(c: OrpoConfig): void {
  validateOffline(c, { model: 'the model folder the policy starts from', data: 'a preference (or ranking) JSONL file' }, [
    [c.lambda >= 0, `lambda must be ≥ 0 (0 = SFT on the chosen responses only), got ${c.lambda}`],
  ]);
}
