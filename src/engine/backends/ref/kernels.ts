// The reference backend: plain TypeScript, written for reading. It is the specification the
// native kernels are tested against, and the fallback when the addon is not built.
import type { Kernels } from '../../kernels.js';
import { gemm } from './gemm.js';
import * as ew from './elementwise.js';
import * as sm from './softmax.js';
import * as norms from './norms.js';
import * as misc from './misc.js';
import { attentionBackward, attentionForward } from './attention.js';

export const refKernels: Kernels = {
  name: 'ref',
  isa: 'typescript',
  threads: 1,
  gemm,
  ...ew,
  ...sm,
  ...norms,
  ...misc,
  attentionForward,
  attentionBackward,
};
