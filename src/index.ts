// Public API of rlhf-ts.
export type { Kernels, AttentionGeometry } from './engine/kernels.js';
