// The native backend: the C kernels of native/ loaded through N-API. The addon exports functions
// with the Kernels names and argument order; only attention's geometry is flattened here.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { AttentionGeometry, F32, Kernels } from '../../kernels.js';

interface Addon extends Omit<Kernels, 'name' | 'isa' | 'threads' | 'attentionForward' | 'attentionBackward'> {
  info(): { isa: string; threads: number };
  setThreads(n: number): void;
  setIsa(name: string): boolean;
  attentionForward(out: F32, lse: F32, q: F32, k: F32, v: F32, ...geometry: unknown[]): void;
  attentionBackward(dq: F32, dk: F32, dv: F32, dout: F32, q: F32, k: F32, v: F32, out: F32, lse: F32, ...geometry: unknown[]): void;
}

/** Where the addon lands after `node-gyp rebuild` (repo root, from dist/src/engine/backends/native). */
function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'build', 'Release', 'rlhf_native.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('native addon build/Release/rlhf_native.node not found (run `npm install` or `npm rebuild`)');
}

const flat = (g: AttentionGeometry): unknown[] => [
  g.B, g.Tq, g.Tk, g.kvCapacity, g.Hq, g.Hkv, g.D, g.scale, g.qOffset, g.causal, g.window,
  g.prefixLen, g.keyMask, g.alibiSlopes,
];

/** Loads the addon; throws if it is missing or fails to load. */
export function loadNativeKernels(): Kernels & { setThreads(n: number): void; setIsa(name: string): boolean } {
  const addon = createRequire(import.meta.url)(addonPath()) as Addon;
  const kernels = {
    ...addon,
    name: 'native' as const,
    get isa() { return addon.info().isa; },
    get threads() { return addon.info().threads; },
    attentionForward: (out: F32, lse: F32, q: F32, k: F32, v: F32, g: AttentionGeometry) =>
      addon.attentionForward(out, lse, q, k, v, ...flat(g)),
    attentionBackward: (dq: F32, dk: F32, dv: F32, dout: F32, q: F32, k: F32, v: F32, out: F32, lse: F32, g: AttentionGeometry) =>
      addon.attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, ...flat(g)),
  };
  return kernels;
}
