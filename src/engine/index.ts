// The engine: tensors, autograd, kernels and ops.
export { Tensor, zerosLike, sizeOf, type DType, type Shape, type TapeNode } from './tensor.js';
export { Rng, type RngState } from './rng.js';
export { noGrad, gradEnabled, backward, record } from './autograd.js';
export { kernels, setKernels, nativeKernels } from './backend.js';
export { refKernels } from './backends/ref/kernels.js';
export * as ops from './ops/index.js';
export * from './ops/index.js';
