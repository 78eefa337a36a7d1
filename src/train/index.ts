// Training: the one loop every trainer runs on, its checkpoints, pretraining, supervised
// fine-tuning and LoRA.
//
//   await train({ label, runDir, config, params, modules, saveWeights, loadWeights, batches, loss });
//   const s = await pretrain({ ...PRETRAIN_DEFAULTS, data: { train: 'shards/', val: 'val/', seqLen: 256 } });
//   const t = await sft({ ...SFT_DEFAULTS, model: s.model, data: { ...SFT_DEFAULTS.data, train: 'sft.jsonl' } });
//   const lora = new LoraModel(model, { ...LORA_DEFAULTS, enabled: true }); lora.save(dir); lora.merge();

// Configs, with every default.
export {
  LOOP_DEFAULTS, PRETRAIN_DEFAULTS, SFT_DEFAULTS, LORA_DEFAULTS, validateLoop, validatePretrain, validateSft, validateLora,
  type LoopConfig, type PretrainConfig, type PretrainModelConfig, type SftConfig, type LoraConfig,
} from './config.js';

// The loop: a method supplies batches and a loss (BatchMethod) or whole steps (StepMethod).
export {
  train, TrainingDiverged, type Method, type BatchMethod, type StepMethod, type StepContext, type StepOutput, type BatchLoss,
  type BatchStream, type BatchSplit, type ParamSet, type LoopResult, type UpdateOptions,
} from './loop.js';
export { DataParallel, type OptimizerMemory } from './data-parallel.js';
export { ZeroAdamW } from './zero.js';
export { Ema } from './ema.js';
export { saveCheckpoint, loadCheckpoint, listCheckpoints, latestCheckpoint, checkpointDir, type TrainerState, type LogWindow } from './checkpoint.js';
// Language modelling on the loop (pretraining, SFT, PPO-ptx).
export { trainLanguageModel, evaluate, batchLoss, countTargets, targetWeight, lmSplit, IGNORE, type LmBatch, type TrainRun, type TrainResult, type EvalResult } from './lm.js';
export { verifyCheckpoint } from '../util/checkpoint-manifest.js';
export { MetricsLog, readMetrics, type MetricsRecord } from './metrics.js';
export { prepareRunDir, copyTokenizer, writeSummary, saveFinalModel, configDiff } from './run-dir.js';

// Pretraining.
export { pretrain, pretrainModelConfig, type PretrainSummary } from './pretrain.js';
export { shardPaths, shardStream, evalWindows } from './shard-data.js';
export { BigramModel, countShards } from './bigram.js';

// Supervised fine-tuning and its evaluation.
export { sft, type SftSummary } from './sft.js';
export { loadConversations, encodeExample, encodeExamples, collate, sftStream, sftEvalBatches, epochBatches, type SftExample, type LossAveraging } from './sft-data.js';
// (Renamed here: the data API exports its own loadGoldPrompts, of every gold prompt of a file.)
export { exactMatchAccuracy, exactMatch, loadGoldPrompts as loadInstructionPrompts, type AccuracyReport, type AccuracySample, type GoldPrompt as InstructionPrompt } from './accuracy.js';

// LoRA.
export { LoraModel, loadLora, readAdapterConfig } from './lora.js';

// Sparse upcycling and its continued-pretraining comparison.
export { upcycleRun, upcycleMarkdown, expertLoad, validateUpcycleRun, UPCYCLE_RUN_DEFAULTS, type UpcycleRunConfig, type UpcycleReport } from './upcycle.js';
