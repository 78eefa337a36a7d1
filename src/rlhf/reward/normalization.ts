// The reward's scale under the SFT policy, kept beside the reward model's weights in
// reward_normalization.json, so PPO can turn raw scores into z-scores before clipping them: raw RM
// outputs have an arbitrary offset and scale that would otherwise leak into the KL trade-off.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../util/fs.js';
import { readJson } from '../../train/metrics.js';

export const NORMALIZATION_FILE = 'reward_normalization.json';

export interface RewardNormalization {
  mean: number;
  std: number;
  /** Responses the figures were measured on, and the policy that sampled them. */
  samples: number;
  policy: string;
}

export function writeRewardNormalization(modelDir: string, n: RewardNormalization): void {
  writeJsonAtomic(join(modelDir, NORMALIZATION_FILE), n);
}

/** The stored normalisation of a reward model folder, or null when it has none. */
export function readRewardNormalization(modelDir: string): RewardNormalization | null {
  const path = join(modelDir, NORMALIZATION_FILE);
  if (!existsSync(path)) return null;
  const n = readJson(path) as RewardNormalization;
  if (!(Number.isFinite(n.mean) && n.std > 0)) throw new Error(`${path}: expected a finite mean and a positive std, got ${JSON.stringify(n)}`);
  return n;
}

/** Mean and (population) standard deviation. */
export function meanStd(xs: ArrayLike<number>): { mean: number; std: number } {
  let mean = 0, sq = 0;
  for (let i = 0; i < xs.length; i++) mean += xs[i] / xs.length;
  for (let i = 0; i < xs.length; i++) sq += (xs[i] - mean) ** 2 / xs.length;
  return { mean, std: Math.sqrt(sq) };
}
