// The stage runner and the default pipeline (npm start). A later stage joins by adding a Stage to
// STAGES (stages.ts) and its config section to PIPELINE_DEFAULTS (config.ts). Renamed here where the
// data API already exports the same names for its corpus pipeline.
export { runStages as runPipelineStages, stageHash, type Stage as PipelineStage, type StageContext, type StageResult, type StageOutcome } from './stage.js';
export { PIPELINE_DEFAULTS, validatePipeline, type PipelineConfig as PipelineRunConfig } from './config.js';
export { STAGES } from './stages.js';
export { runPipeline, formatPipelineSummary, freshRunDir, type PipelineResult } from './run.js';
