// Chooses the kernels the engine runs on: native when the addon is built, else the TypeScript
// reference (with a one-line warning). RLHF_BACKEND=ref|native forces one.
import type { Kernels } from './kernels.js';
import { refKernels } from './backends/ref/kernels.js';
import { loadNativeKernels } from './backends/native/index.js';

let current: Kernels | undefined;
let native: ReturnType<typeof loadNativeKernels> | null | undefined;

/** The native kernels, or null when the addon is not built (the error is kept for messages). */
export function nativeKernels(): Kernels | null {
  if (native === undefined) {
    try {
      native = loadNativeKernels();
    } catch (e) {
      nativeError = e instanceof Error ? e.message : String(e);
      native = null;
    }
  }
  return native;
}
let nativeError = '';

export function kernels(): Kernels {
  if (!current) {
    const want = process.env.RLHF_BACKEND;
    if (want && want !== 'ref' && want !== 'native') throw new Error(`RLHF_BACKEND must be "ref" or "native", got "${want}"`);
    if (want === 'ref') current = refKernels;
    else {
      const n = nativeKernels();
      if (n) current = n;
      else if (want === 'native') throw new Error(`RLHF_BACKEND=native but the native backend is unavailable: ${nativeError}`);
      else {
        console.warn(`rlhf-ts: native backend unavailable (${nativeError}); using the TypeScript reference backend`);
        current = refKernels;
      }
    }
  }
  return current;
}

/** Sets the native backend's thread count (the reference backend runs on one thread). */
export function setThreads(n: number): void {
  if (kernels() === native) native.setThreads(n);
}

/** Switch backends (tests compare them; benchmarks measure both). */
export function setKernels(k: Kernels): void {
  current = k;
}
