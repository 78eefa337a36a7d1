// Evaluation: the `rlhf eval` harness (evaluateModel returns the flat figures the report card
// shows), comparison statistics, and the hallucination suite with its mitigations.
export { evaluateModel, evalConfig, type EvalReport, type EvaluateOptions } from './evaluate.js';
export { EVAL_DEFAULTS, validateEval, type EvalConfig } from './config.js';
export { auroc, bootstrapMeanCi, comparePaired, frontierGainAt, frontierShare, quantile, type BootstrapOptions, type FrontierPoint, type PairedComparison } from './stats.js';
export { perplexity, type PerplexityResult } from './perplexity.js';
export { contamination, trainingFileTexts, type ContaminationReport } from './contamination.js';
export { makeJudge, type Judge } from './judge.js';
export { winRate, type WinRateReport } from './winrate.js';
export { makeSuite, gradeResponse, abstains, rephrase, ABSTENTION, HALLU_KINDS, type HalluItem, type HalluKind, type HalluSuite, type Outcome } from './hallucination/facts.js';
export { runHallucinationSuite, SUITE_DEFAULTS, type HalluReport, type SuiteOptions } from './hallucination/suite.js';
export { FactStore, augmentedPrompt } from './hallucination/retrieval.js';
export { factualityReward, promptRecord, score as factualityScore } from './hallucination/reward.js';
export { abstentionConversations, mixAbstention } from './hallucination/abstention.js';
export { loadSuite, writeSuite } from './hallucination/suite-file.js';
