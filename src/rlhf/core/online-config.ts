// The settings every critic-free online method shares (RLOO, REINFORCE++): where the policy, the
// reward and the prompts come from, how much is sampled per iteration, the clipped update, the
// optimiser, LoRA, the held-out comparison and the checkpoints. Each method's config extends these
// with its own keys and defaults (rloo/config.ts, reinforce/config.ts); GRPO keeps its own shape.
import { check, nonNegInt, posInt } from '../../util/config.js';
import { LORA_DEFAULTS, validateLora, type LoraConfig } from '../../train/config.js';
import type { HeldOutSettings } from '../eval.js';
import { HELD_OUT_DEFAULTS, heldOutRules, samplingSourceRules, type SamplingSource } from './config.js';
import type { LossAggregation } from './pg-loss.js';
import type { WeightDtype } from '../../engine/kernels.js';
import { WEIGHT_DTYPES } from '../../models/quantize.js';

/** The policy, reward and prompts (core/config.ts SamplingSource); the policy folder is the SFT
 * model, where the policy starts and the frozen reference. */
export interface OnlineConfig extends SamplingSource {
  /** Run folder: config, metrics, checkpoints, model/ (the policy), summary.json. */
  out: string;
  /** Loop steps: each samples a rollout, then trains on it. */
  iterations: number;
  promptsPerIteration: number;
  /** k: responses sampled per prompt. */
  samplesPerPrompt: number;
  /** dtype: the weights sampling runs on (f32, or a bf16 / int8 copy made each iteration; the old
   * log-probs are then recomputed in float32). */
  rollout: { maxNewTokens: number; temperature: number; topK: number; dtype: WeightDtype };
  /** Shaping of the raw score before the KL penalty joins it (ppo/rewards.ts shapeScores). */
  score: {
    /** Divide a reward model's score by its stored mean/std under the SFT policy. */
    normalize: boolean;
    /** Clip shaped scores to [−clip, clip] (0 = off). */
    clip: number;
    /** Subtracted from the score of a response cut off before its end-of-turn token. */
    missingEosPenalty: number;
  };
  /** β of the KL penalty to the reference folded into the reward (0 = none, no reference loaded). */
  klCoef: number;
  /** Passes over each rollout, and responses per optimiser update. */
  epochs: number;
  miniBatchSize: number;
  /** ε of the clipped ratio (with one epoch and one minibatch the ratio is 1: plain REINFORCE). */
  clipRange: number;
  /** How token losses are averaged (core/pg-loss.ts): 'token' follows the REINFORCE gradient,
   * Σ_t ∇log π(y_t) per response; 'sequence' weighs every response the same. */
  aggregation: LossAggregation;
  /** zero: ZeRO stage under data parallelism (1: AdamW's moments split across the ranks). */
  optim: { lr: number; weightDecay: number; beta1: number; beta2: number; eps: number; maxGradNorm: number; zero: number };
  lora: LoraConfig;
  /** Win rate against the SFT policy on held-out prompts with gold records, after training. */
  eval: HeldOutSettings;
  seed: number;
  saveEvery: number;
  keepLast: number;
}

export const ONLINE_DEFAULTS: OnlineConfig = {
  out: '',
  policy: '',
  tokenizer: '',
  reward: '',
  rewardFn: '',
  data: { prompts: '', maxPromptLen: 192 },
  iterations: 40,
  promptsPerIteration: 16,
  samplesPerPrompt: 4,
  rollout: { maxNewTokens: 32, temperature: 1, topK: 0, dtype: 'f32' },
  score: { normalize: true, clip: 5, missingEosPenalty: 1 },
  klCoef: 0.05,
  epochs: 1,
  miniBatchSize: 32,
  clipRange: 0.2,
  aggregation: 'token',
  optim: { lr: 5e-5, weightDecay: 0, beta1: 0.9, beta2: 0.95, eps: 1e-8, maxGradNorm: 1, zero: 0 },
  lora: { ...LORA_DEFAULTS },
  eval: { ...HELD_OUT_DEFAULTS },
  seed: 1234,
  saveEvery: 10,
  keepLast: 2,
};

/** The shared rules; `minSamples` is the method's least k (RLOO needs 2 for its baseline). */
export function validateOnline(c: OnlineConfig, minSamples: number): void {
  check([
    ...samplingSourceRules(c, 'the SFT model folder'),
    posInt('iterations', c.iterations), posInt('promptsPerIteration', c.promptsPerIteration),
    [Number.isInteger(c.samplesPerPrompt) && c.samplesPerPrompt >= minSamples, `samplesPerPrompt must be an integer ≥ ${minSamples}, got ${c.samplesPerPrompt}`],
    posInt('rollout.maxNewTokens', c.rollout.maxNewTokens),
    [c.rollout.temperature > 0, `rollout.temperature must be positive (the method samples), got ${c.rollout.temperature}`],
    nonNegInt('rollout.topK', c.rollout.topK),
    [WEIGHT_DTYPES.includes(c.rollout.dtype), `rollout.dtype must be one of ${WEIGHT_DTYPES.join(', ')}, got ${JSON.stringify(c.rollout.dtype)}`],
    [c.score.clip >= 0 && c.score.missingEosPenalty >= 0, `score.clip and score.missingEosPenalty must be ≥ 0, got ${c.score.clip}, ${c.score.missingEosPenalty}`],
    [c.klCoef >= 0, `klCoef must be ≥ 0, got ${c.klCoef}`],
    posInt('epochs', c.epochs), posInt('miniBatchSize', c.miniBatchSize),
    [c.clipRange > 0, `clipRange must be positive, got ${c.clipRange}`],
    [c.aggregation === 'token' || c.aggregation === 'sequence', `aggregation must be token or sequence, got ${JSON.stringify(c.aggregation)}`],
    [c.optim.lr > 0, `optim.lr must be positive, got ${c.optim.lr}`],
    [c.optim.maxGradNorm >= 0, `optim.maxGradNorm must be ≥ 0, got ${c.optim.maxGradNorm}`],
    [c.optim.zero === 0 || c.optim.zero === 1, `optim.zero must be 0 or 1, got ${c.optim.zero}`],
    ...heldOutRules(c.eval),
    posInt('saveEvery', c.saveEvery), posInt('keepLast', c.keepLast),
  ]);
  if (c.lora.enabled) validateLora(c.lora);
}
