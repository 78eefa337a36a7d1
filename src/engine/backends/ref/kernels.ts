// The reference backend: plain TypeScript, written for reading. It is the specification the
// native kernels are tested against, and the fallback when the addon is not built.
import type { Kernels } from '../../kernels.js';
import { gemm } from './gemm.js';
import * as ew from './elementwise.js';
import * as sm from './softmax.js';
import * as norms from './norms.js';
import * as misc from './misc.js';
import { attentionBackward, attentionForward } from './attention.js';
import { linearBf16, linearInt8, packBf16, quantizeInt8 } from './quant.js';
import { decoderForward } from './decoder.js';

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
  quantizeInt8,
  linearInt8,
  packBf16,
  linearBf16,
  decoderCreate: (spec) => ({ spec }),
  decoderForward: (h, step) => decoderForward(refKernels, h, step),
};
