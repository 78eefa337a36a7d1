// DPO: every default in one place. β 0.1 is the DPO paper's and TRL's default; the learning rate is
// scaled for the small models of the default pipeline. SimPO runs on the same data path with loss
// 'simpo' (no reference model); SIMPO_DEFAULTS holds its own defaults, β 2 and γ 1 (Meng et al.
// 2024: β 2–2.5 with γ/β 0.5).
import { LORA_DEFAULTS } from '../../train/config.js';
import { HELD_OUT_DEFAULTS, OFFLINE_DATA_DEFAULTS, OFFLINE_TRAIN_DEFAULTS, validateOffline, type OfflineConfig } from '../core/config.js';
import type { DpoLossType } from './loss.js';

/** The shared keys (core/config.ts) with DPO's data: data.train holds preference pairs ({prompt,
 * chosen, rejected}) or rankings (best vs worst), data.val held-out pairs for the implicit-reward
 * accuracy; reference log-probs are computed for the data.limit pairs used only. The SFT model is
 * where the policy starts and the frozen reference; train.batchSize counts preference pairs. */
export interface DpoConfig extends OfflineConfig {
  beta: number;
  /** sigmoid (DPO), ipo, or simpo (reference-free, length-normalised: simpo/loss.ts). */
  loss: DpoLossType | 'simpo';
  /** ε of conservative DPO, or SimPO's label smoothing (not with ipo). */
  labelSmoothing: number;
  /** SimPO's target reward margin γ (loss simpo only). */
  gamma: number;
  /** RPO's α (Pang et al. 2024, TRL's rpo_alpha): adds α × the chosen responses' negative
   * log-likelihood per token to the sigmoid or IPO loss, so the chosen responses' probability
   * cannot fall while the margin grows (0 = plain DPO). */
  rpoAlpha: number;
}

export const DPO_DEFAULTS: DpoConfig = {
  out: 'runs/dpo',
  model: '',
  tokenizer: '',
  data: { ...OFFLINE_DATA_DEFAULTS },
  beta: 0.1,
  loss: 'sigmoid',
  labelSmoothing: 0,
  gamma: 1,
  rpoAlpha: 0,
  train: { ...OFFLINE_TRAIN_DEFAULTS },
  lora: { ...LORA_DEFAULTS },
  eval: { ...HELD_OUT_DEFAULTS },
};

export function validateDpo(c: DpoConfig): void {
  validateOffline(c, { model: 'the SFT model folder', data: 'a preference (or ranking) JSONL file' }, [
    [c.beta > 0, `beta must be positive, got ${c.beta}`],
    [c.loss === 'sigmoid' || c.loss === 'ipo' || c.loss === 'simpo', `loss must be sigmoid, ipo or simpo, got ${JSON.stringify(c.loss)}`],
    [c.labelSmoothing >= 0 && c.labelSmoothing < 0.5, `labelSmoothing must be in [0, 0.5), got ${c.labelSmoothing}`],
    [c.loss !== 'ipo' || c.labelSmoothing === 0, 'labelSmoothing applies to the sigmoid and simpo losses only'],
    [c.gamma >= 0, `gamma must be ≥ 0, got ${c.gamma}`],
    [c.rpoAlpha >= 0, `rpoAlpha must be ≥ 0, got ${c.rpoAlpha}`],
    [c.loss !== 'simpo' || c.rpoAlpha === 0, 'rpoAlpha applies to the sigmoid and ipo losses only'],
  ]);
}

export const SIMPO_DEFAULTS: DpoConfig = { ...DPO_DEFAULTS, out: 'runs/simpo', loss: 'simpo', beta: 2, gamma: 1 };
