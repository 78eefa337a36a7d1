export { Module } from './module.js';
export { Linear, Embedding, RMSNorm, LayerNorm } from './layers.js';
export { AdamW, ADAMW_DEFAULTS, clipGradNorm, decayGroups, type AdamWConfig, type AdamWState, type ParamGroup } from './optim.js';
export { learningRate, type ScheduleConfig } from './schedule.js';
