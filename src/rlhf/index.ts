// RLHF methods: the reward model, PPO, RLOO, REINFORCE++, GRPO (with DAPO's options), rejection
// sampling, DPO / IPO / SimPO, ORPO and KTO (each a config with every default, a pure loss and a
// trainer on src/train/loop.ts), reward sources (a reward model or a reward-function plug-in), the
// math they share, and held-out comparison by the gold labelers. The pipeline's stages and report
// card are src/pipeline's.
//
//   const rm = await trainRewardModel({ ...REWARD_DEFAULTS, model: 'runs/sft/model', data: { ...REWARD_DEFAULTS.data, train: 'rankings.jsonl' } });
//   const p = await ppo({ ...PPO_DEFAULTS, policy: 'runs/sft/model', reward: rm.model, data: { ...PPO_DEFAULTS.data, prompts: 'prompts.jsonl' } });
//   const r = await rloo({ ...RLOO_DEFAULTS, policy: 'runs/sft/model', rewardFn: 'dist/examples/reward-fns/gold.js', data: { ...RLOO_DEFAULTS.data, prompts: 'prompts.jsonl' } });
//   const { loss, metrics } = dpoLoss(policyChosen, policyRejected, refChosen, refRejected, { beta: 0.1, type: 'sigmoid', labelSmoothing: 0 });

// Shared math: masked statistics, GAE, KL estimators and the adaptive controller, log σ, entropy.
export { maskedMean, maskedVar, whiten, explainedVariance } from './core/masked.js';
export { gae, type GaeResult } from './core/gae.js';
export { klPerToken, adaptiveKlUpdate, klHorizon, type KlEstimator, type KlControllerConfig } from './core/kl.js';
export { clippedPgLoss, aggregationWeights, perToken, type ClippedPgInput, type ClippedPgMetrics, type LossAggregation } from './core/pg-loss.js';
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
export { loadRewardFn, callRewardFn, type RewardFn, type LoadedRewardFn, type RewardFnCall } from './reward/plugin.js';
export { openRewardSource, rewardModelSource, rewardFnSource, checkerSource, type RewardSource, type CheckerReward } from './reward/source.js';

// PPO.
export { PPO_DEFAULTS, validatePpo, type PpoConfig } from './ppo/config.js';
export { ppoPolicyLoss, ppoValueLoss, type PolicyLossInput, type PolicyLossMetrics, type ValueLossInput, type ValueLossMetrics } from './ppo/loss.js';
export { shapeScores, tokenRewards, type ScoreShaping } from './ppo/rewards.js';
export { makeExperience, type Experience, type ExperienceStats } from './ppo/experience.js';
export { trainPpo, ppoLoopConfig, type PpoSetup, type PpoIterationRecord, type PpoTrainResult } from './ppo/trainer.js';
export { ppo, type PpoSummary } from './ppo/run.js';

// DPO.
export { DPO_DEFAULTS, SIMPO_DEFAULTS, validateDpo, type DpoConfig } from './dpo/config.js';
export { dpoLoss, type DpoLossType, type DpoLossOptions, type DpoMetrics } from './dpo/loss.js';
export { loadPairs, computeReference, type DpoPair } from './dpo/data.js';
export { dpo, type DpoSummary } from './dpo/trainer.js';

// GRPO.
export { GRPO_DEFAULTS, validateGrpo, type GrpoConfig } from './grpo/config.js';
export { groupAdvantages, grpoLoss, type GrpoLossInput, type GrpoMetrics } from './grpo/loss.js';
export { informativeGroups, fillInformative, type GroupDraw, type FilledBatch } from './grpo/dynamic.js';
export { grpo, trainGrpo, grpoLoopConfig, type GrpoSetup, type GrpoSummary, type GrpoIterationRecord } from './grpo/trainer.js';

// Critic-free online methods: the shared rollout and update, RLOO, REINFORCE++.
export { rollout, policyUpdate, concatRollouts, rolloutKl, type OnlineSetup, type Rollout, type RolloutSettings, type UpdateSettings, type UpdateContext } from './core/online.js';
export { ONLINE_DEFAULTS, validateOnline, type OnlineConfig } from './core/online-config.js';
export { runOnline, trainOnline, onlineLoopConfig, type OnlineMethod, type OnlineTrainSetup, type OnlineIterationRecord, type OnlineSummary, type OnlineRunOptions } from './core/online-run.js';
export { RLOO_DEFAULTS, validateRloo, type RlooConfig } from './rloo/config.js';
export { rlooAdvantages, klPenalizedRewards } from './rloo/advantages.js';
export { rloo, rlooMethod } from './rloo/trainer.js';
export { REINFORCE_PP_DEFAULTS, validateReinforcePp, type ReinforcePpConfig } from './reinforce/config.js';
export { reinforcePpAdvantages, discountedReturns, groupCentered, type ReinforcePpOptions } from './reinforce/advantages.js';
export { reinforcePp, reinforcePpMethod } from './reinforce/trainer.js';

// Rejection-sampling fine-tuning.
export { RFT_DEFAULTS, validateRft, type RftConfig } from './rft/config.js';
export { selectBest } from './rft/select.js';
export { rft, type RftSummary, type RftRound, type RftOptions } from './rft/trainer.js';

// KTO, ORPO, SimPO (offline, from labels or pairs; SimPO trains through dpo() with loss 'simpo').
export { KTO_DEFAULTS, validateKto, type KtoConfig } from './kto/config.js';
export { ktoLoss, ktoReferencePoint, mismatchedOrder, type KtoLossOptions, type KtoMetrics } from './kto/loss.js';
export { loadUnpaired, assignKlCompletions, computeKtoReference, type KtoExample, type UnpairedData } from './kto/data.js';
export { kto, type KtoSummary } from './kto/trainer.js';
export { ORPO_DEFAULTS, validateOrpo, type OrpoConfig } from './orpo/config.js';
export { orpoLoss, type OrpoMetrics } from './orpo/loss.js';
export { orpo, type OrpoSummary } from './orpo/trainer.js';
export { simpoLoss, type SimpoLossOptions, type SimpoMetrics } from './simpo/loss.js';

// Held-out comparison by the gold labelers, and the best-of-N yardstick.
export { comparePolicies, compareWithStart, describeComparison, responseKl, goldWatch, type HeldOutSettings, type RolloutWatch, type PolicyComparison, type ComparisonSample, type CompareOptions } from './eval.js';
export { bestOfN, bestOfNCurve, bestOfNKl, bestOfNSizes, winRateCeiling, type BestOfNPoint, type BestOfNCandidates, type BestOfNOptions, type BestOfNResult } from './bestofn.js';
