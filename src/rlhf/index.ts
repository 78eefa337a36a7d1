// RLHF methods: the reward model, PPO, DPO and GRPO (each a config with every default, a pure loss
// and a trainer on src/train/loop.ts), the math they share, and held-out comparison by the gold
// labelers. The pipeline's stages and report card are src/pipeline's.
//
//   const rm = await trainRewardModel({ ...REWARD_DEFAULTS, model: 'runs/sft/model', data: { ...REWARD_DEFAULTS.data, train: 'rankings.jsonl' } });
//   const p = await ppo({ ...PPO_DEFAULTS, policy: 'runs/sft/model', reward: rm.model, data: { ...PPO_DEFAULTS.data, prompts: 'prompts.jsonl' } });
//   const { loss, metrics } = dpoLoss(policyChosen, policyRejected, refChosen, refRejected, { beta: 0.1, type: 'sigmoid', labelSmoothing: 0 });

// Shared math: masked statistics, GAE, KL estimators and the adaptive controller, log σ, entropy.
export { maskedMean, maskedVar, whiten, explainedVariance } from './core/masked.js';
export { gae, type GaeResult } from './core/gae.js';
export { klPerToken, adaptiveKlUpdate, type KlEstimator, type KlControllerConfig } from './core/kl.js';
export { logSigmoid, entropyFromLogits } from './core/ops.js';

// Prompt + response batches, sampling, the frozen reference.
export { joinBatch, selectRows, takeRows, responseLogprobs, sequenceLogprobs, responseValues, sequenceScores, type SequenceBatch, type ResponseLogits } from './core/batch.js';
export { encodePrompt, encodeResponse, endOfTurnId, responseText, loadPolicyPrompts, type PolicyPrompt } from './core/prompts.js';
export { sampleResponses, type SampleOptions, type Samples } from './core/rollout.js';
export { modelReference, loraReference, withAdaptersOff, type Reference } from './core/reference.js';

// Reward model.
export { REWARD_DEFAULTS, validateReward, type RewardConfig } from './reward/config.js';
export { rewardPairLoss, rankingPairs, type RankingPairs, type RewardLossMetrics } from './reward/loss.js';
export { loadRankings, collateRankings, type RankingExample } from './reward/data.js';
export { trainRewardModel, pairwiseAccuracy, type RewardSummary } from './reward/trainer.js';
export { readRewardNormalization, writeRewardNormalization, type RewardNormalization } from './reward/normalization.js';
export { scoreResponses, scorePairs } from './reward/score.js';
export { rankPolicySamples, type SampledRankingOptions } from './reward/sampled.js';

// PPO.
export { PPO_DEFAULTS, validatePpo, type PpoConfig } from './ppo/config.js';
export { ppoPolicyLoss, ppoValueLoss, type PolicyLossInput, type PolicyLossMetrics, type ValueLossInput, type ValueLossMetrics } from './ppo/loss.js';
export { shapeScores, tokenRewards, type ScoreShaping } from './ppo/rewards.js';
export { makeExperience, type Experience, type ExperienceStats } from './ppo/experience.js';
export { trainPpo, ppoLoopConfig, type PpoSetup, type PpoIterationRecord, type PpoTrainResult } from './ppo/trainer.js';
export { ppo, type PpoSummary, type RolloutWatch } from './ppo/run.js';

// DPO.
export { DPO_DEFAULTS, validateDpo, type DpoConfig } from './dpo/config.js';
export { dpoLoss, type DpoLossType, type DpoLossOptions, type DpoMetrics } from './dpo/loss.js';
export { loadPairs, computeReference, type DpoPair } from './dpo/data.js';
export { dpo, type DpoSummary } from './dpo/trainer.js';

// GRPO.
export { GRPO_DEFAULTS, validateGrpo, type GrpoConfig } from './grpo/config.js';
export { groupAdvantages, grpoLoss, type GrpoLossInput, type GrpoMetrics } from './grpo/loss.js';
export { grpo, grpoLoopConfig, type GrpoSummary, type GrpoIterationRecord } from './grpo/trainer.js';

// Held-out comparison by the gold labelers, and the best-of-N yardstick.
export { comparePolicies, responseKl, goldWatch, type PolicyComparison, type ComparisonSample, type CompareOptions } from './eval.js';
export { bestOfN, bestOfNCurve, bestOfNKl, bestOfNSizes, winRateCeiling, type BestOfNPoint, type BestOfNCandidates, type BestOfNOptions, type BestOfNResult } from './bestofn.js';
