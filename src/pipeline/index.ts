// The stage runner and the default pipeline (npm start): its stages (stages.ts, rlhf-stages.ts),
// their config (config.ts, rlhf-config.ts) and the report card (report/). A later stage joins by
// adding a Stage to STAGES and its config section to PIPELINE_DEFAULTS. Renamed here where the data
// API already exports the same names for its corpus pipeline.
export { runStages as runPipelineStages, stageHash, type Stage as PipelineStage, type StageContext, type StageResult, type StageOutcome } from './stage.js';
export { PIPELINE_DEFAULTS, validatePipeline, type PipelineRunConfig } from './config.js';
export { RLHF_STAGES_DEFAULTS, validateRlhfStages, type RlhfStagesConfig } from './rlhf-config.js';
export { STAGES } from './stages.js';
export { RLHF_STAGES } from './rlhf-stages.js';
export { writeReport, gatherReport, type ReportData, type ReportFigures } from './report/card.js';
export { runPipeline, formatPipelineSummary, freshRunDir, type PipelineResult } from './run.js';
