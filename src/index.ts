// Public API of rlhf-ts.
export * from './engine/index.js';
export * from './nn/index.js';
export type { Kernels, AttentionGeometry } from './engine/kernels.js';
export * from './models/index.js';
export * from './data/index.js';
export * from './tokenizer/index.js';
export * from './distributed/index.js';
export * from './train/index.js';
export * from './pipeline/index.js';
export * from './rlhf/index.js';
export * from './serve/index.js';
export * from './eval/index.js';
export * from './selfinstruct/index.js';
