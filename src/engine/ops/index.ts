// Every differentiable op of the engine.
export * from './elementwise.js';
export * from './shape.js';
export * from './reduce.js';
export * from './matmul.js';
export * from './softmax.js';
export * from './norm.js';
export * from './activation.js';
export * from './rope.js';
export * from './attention.js';
export * from './embedding.js';
export * from './dropout.js';
export { broadcastShapes } from './broadcast.js';
export * from './scatter.js';
export * from './checkpoint.js';
