// GRPO: every default in one place. G = 8 samples per prompt, ε 0.2, β 0.04 and one update per
// rollout follow DeepSeekMath (Shao et al. 2024); the learning rate is scaled for the small models of
// the default pipeline.
import { check, nonNegInt, posInt } from '../../util/config.js';
import { LORA_DEFAULTS, validateLora, type LoraConfig } from '../../train/config.js';
import type { WeightDtype } from '../../engine/kernels.js';
import { WEIGHT_DTYPES } from '../../models/quantize.js';
import type { LossAggregation } from '../core/pg-loss.js';

export interface GrpoConfig {
  /** Run folder: config, metrics, checkpoints, model/ and summary.json. */
  out: string;
  /** The SFT model: the policy starts here, and the reference is this model. */
  policy: string;
  /** Tokenizer folder ('' = the policy folder). */
  tokenizer: string;
  data: {
    /** Prompt JSONL with gold records; only instruction prompts (checkable answers) are used. */
    prompts: string;
    maxPromptLen: number;
  };
  iterations: number;
  /** Prompts per iteration; each is sampled groupSize times. */
  promptsPerIteration: number;
  groupSize: number;
  /** dtype: the weights sampling runs on (f32, or a bf16 / int8 copy made each iteration; the old
   * log-probs are then recomputed in float32). */
  rollout: { maxNewTokens: number; temperature: number; topK: number; dtype: WeightDtype };
  /** The checker's reward: `exact` for an exact-match answer, plus `correct` when the labeler finds
   * the right answer in a longer response, plus `graded` × how near a wrong answer came (the
   * labelers' partialCredit: numeric distance, word-order similarity, share of letters in the right
   * case; 0 = off). */
  reward: { exact: number; correct: number; graded: number };
  /** A reward-function module exporting score(prompt, response, record) in place of the checker
   * ('' = the checker; then only instruction prompts with gold answers are used). */
  rewardFn: string;
  /** Leave groups whose rewards are all equal out of the update (DAPO's dynamic sampling, Yu et
   * al. 2025): their advantages are 0, so they would only add the KL term and cost a backward. */
  skipUniformGroups: boolean;
  /** DAPO's dynamic sampling: sample further rollouts of fresh prompts until promptsPerIteration
   * groups with differing rewards are in hand, at most maxExtraRollouts more per iteration. */
  dynamicSampling: { enabled: boolean; maxExtraRollouts: number };
  /** Passes over each rollout batch, and samples per gradient step. */
  epochs: number;
  miniBatchSize: number;
  /** ε of the clipped ratio (ε_low under clip-higher). */
  clipRange: number;
  /** DAPO's clip-higher ε_high (0 = clipRange, the symmetric clip; DAPO uses 0.28 with ε_low 0.2). */
  clipHigh: number;
  /** 'sequence': a mean per response, then over responses (GRPO); 'token': one mean over every
   * token of the minibatch (DAPO's token-level loss). */
  lossAggregation: LossAggregation;
  /** β of the k3 KL penalty to the reference (0 = none, and no reference model is loaded). */
  klCoef: number;
  /** zero: ZeRO stage under data parallelism (1: AdamW's moments split across the ranks). */
  optim: { lr: number; weightDecay: number; beta1: number; beta2: number; eps: number; maxGradNorm: number; zero: number };
  lora: LoraConfig;
  /** Greedy exact-match accuracy of the SFT and the GRPO policy on held-out instruction prompts. */
  eval: { prompts: string; limit: number; maxNewTokens: number };
  seed: number;
  saveEvery: number;
  keepLast: number;
}

export const GRPO_DEFAULTS: GrpoConfig = {
  out: 'runs/grpo',
  policy: '',
  tokenizer: '',
  data: { prompts: '', maxPromptLen: 192 },
  iterations: 30,
  promptsPerIteration: 16,
  groupSize: 8,
  rollout: { maxNewTokens: 24, temperature: 1, topK: 0, dtype: 'f32' },
  // Partial credit for a right answer in the wrong form gives a weak policy more groups to learn
  // from; the exact form still earns twice as much.
  reward: { exact: 1, correct: 0.5, graded: 0 },
  rewardFn: '',
  skipUniformGroups: true,
  dynamicSampling: { enabled: false, maxExtraRollouts: 2 },
  epochs: 1,
  miniBatchSize: 32,
  clipRange: 0.2,
  clipHigh: 0,
  lossAggregation: 'sequence',
  klCoef: 0.04,
  optim: { lr: 5e-5, weightDecay: 0, beta1: 0.9, beta2: 0.95, eps: 1e-8, maxGradNorm: 1, zero: 0 },
  lora: { ...LORA_DEFAULTS },
  eval: { prompts: '', limit: 0, maxNewTokens: 24 },
  seed: 1234,
  saveEvery: 10,
  keepLast: 2,
};


export function validateGrpo(c: GrpoConfig): void {
  check([
    [c.out !== '', 'out must name a run folder'],
    [c.policy !== '', 'policy must name the SFT model folder'],
    [c.data.prompts !== '', 'data.prompts must name a prompt JSONL file with gold records'],
    posInt('data.maxPromptLen', c.data.maxPromptLen), posInt('iterations', c.iterations), posInt('promptsPerIteration', c.promptsPerIteration),
    [Number.isInteger(c.groupSize) && c.groupSize >= 2, `groupSize must be an integer ≥ 2 (advantages are relative to the group), got ${c.groupSize}`],
    posInt('rollout.maxNewTokens', c.rollout.maxNewTokens),
    [c.rollout.temperature > 0, `rollout.temperature must be positive, got ${c.rollout.temperature}`],
    nonNegInt('rollout.topK', c.rollout.topK),
    [WEIGHT_DTYPES.includes(c.rollout.dtype), `rollout.dtype must be one of ${WEIGHT_DTYPES.join(', ')}, got ${JSON.stringify(c.rollout.dtype)}`],
    [c.reward.exact >= 0 && c.reward.correct >= 0 && c.reward.graded >= 0 && c.reward.exact + c.reward.correct + c.reward.graded > 0, `reward.exact, reward.correct and reward.graded must be ≥ 0 and not all 0, got ${c.reward.exact}, ${c.reward.correct}, ${c.reward.graded}`],
    posInt('epochs', c.epochs), posInt('miniBatchSize', c.miniBatchSize),
    [c.clipRange > 0, `clipRange must be positive, got ${c.clipRange}`],
    [c.clipHigh >= 0, `clipHigh must be ≥ 0 (0 = clipRange), got ${c.clipHigh}`],
    [c.lossAggregation === 'sequence' || c.lossAggregation === 'token', `lossAggregation must be sequence or token, got ${JSON.stringify(c.lossAggregation)}`],
    [Number.isInteger(c.dynamicSampling.maxExtraRollouts) && c.dynamicSampling.maxExtraRollouts >= 0, `dynamicSampling.maxExtraRollouts must be an integer ≥ 0, got ${c.dynamicSampling.maxExtraRollouts}`],
    [c.klCoef >= 0, `klCoef must be ≥ 0, got ${c.klCoef}`],
    [c.optim.lr > 0, `optim.lr must be positive, got ${c.optim.lr}`],
    [c.optim.maxGradNorm >= 0, `optim.maxGradNorm must be ≥ 0, got ${c.optim.maxGradNorm}`],
    [c.optim.zero === 0 || c.optim.zero === 1, `optim.zero must be 0 or 1, got ${c.optim.zero}`],
    nonNegInt('eval.limit', c.eval.limit),
    posInt('eval.maxNewTokens', c.eval.maxNewTokens), posInt('saveEvery', c.saveEvery), posInt('keepLast', c.keepLast),
  ]);
  if (c.lora.enabled) validateLora(c.lora);
}
