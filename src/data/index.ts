// Data: corpus sources, the processing pipeline and its stages, dataset formats and loaders, token
// shards and the pretraining loader, and the embedded default data with its gold labelers.

// Sources
export { brownDocuments, brownSentences, brownDetokenize, brownDir, type BrownDocument } from './brown.js';
export { readDocuments, inputFiles, BROWN_INPUT, type SourceOptions } from './sources.js';

// The corpus pipeline: one typed config, composable stages, a streaming runner
export {
  DATA_DEFAULTS, resolvePipelineConfig, validatePipelineConfig,
  type PipelineConfig, type NormalizeConfig, type CleanConfig, type QualityConfig, type ExactDedupConfig,
  type NearDupConfig, type PiiConfig, type DecontamConfig, type SplitConfig, type DeepPartial,
} from './config.js';
export { Stage, runStages, normalizedWords, type Doc, type Drop, type StageCounts } from './stage.js';
export { NormalizeStage, CleanStage } from './clean.js';
export { QualityStage, qualitySignals, qualityVerdict, type QualitySignals } from './quality.js';
export { ExactDedupStage } from './dedup.js';
export { NearDupStage, MinHasher, LshIndex, lshParams, shingleHashes, jaccard, estimateJaccard } from './minhash.js';
export { PiiStage, scrubPii, luhnValid, ibanValid, type PiiKind } from './pii.js';
export { DecontamStage, EvalNgramIndex, type EvalSet } from './decontam.js';
export { CorpusPipeline, processCorpus, processDocs, splitOf, type Split, type PipelineReport, type ProcessOptions } from './pipeline.js';
export { formatTable, stageTable } from './report.js';

// Dataset formats and validating loaders
export {
  loadDataset, iterateDataset, detectFormat, formatValidator, turnsText, DATASET_FORMATS,
  type DatasetFormat, type FormatRecords, type LoadedDataset, type Message, type Role, type Turns,
  type TextRecord, type MessagesRecord, type CompletionRecord, type PreferenceRecord, type UnpairedRecord, type RankingRecord, type PromptRecord,
} from './formats.js';
export { readJsonl, writeJsonl, JsonlWriter, DataError, type OnError, type ReadOptions, type Validator } from './jsonl.js';

// Token shards, packing, the pretraining loader
export { ShardWriter, ShardReader, ShardSetWriter, bytesPerTokenFor, NO_EOS, SHARD_MAGIC, type ShardHeader } from './shards.js';
export { packDocuments, loadEncoder, type Encoder, type EncoderSpec, type PackOptions, type PackResult } from './pack.js';
export { TokenLoader, type LoaderConfig, type LoaderState, type LoaderBatch } from './loader.js';

// Default data and gold labelers
export { makeDefault, makeDefaultData, resolveDefaultDataConfig, sideOf, DEFAULT_DATA, type DefaultDataConfig, type DefaultData } from './default/make.js';
export {
  goldScore, goldMax, goldRank, goldRanking, isCorrect, partialCredit, isWellFormed, conciseness, sentimentScore, afinnComparativeScore, measureAlignment, loadGoldPrompts, LABELERS,
  type Gold, type GoldPrompt, type InstructionGold, type ContinuationGold, type AlignmentReport, type Labeler, type LabelerName,
} from './default/labelers.js';
export { judgeContinuation, continuationScore, type ContinuationFault, type ContinuationVerdict } from './default/rubric.js';
export { makeStory, stories, storyText, type Story } from './default/stories/story.js';
export { makeTask, makeFactTable, TASK_KINDS, type TaskKind, type TaskItem } from './default/tasks.js';
