// The native backend: the C kernels of native/ loaded through N-API. The addon exports functions
// with the Kernels names and argument order; only attention's geometry is flattened here.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { AttentionGeometry, DecoderHandle, DecoderSpec, DecoderStep, F32, InferenceLinear, Kernels } from '../../kernels.js';

type Flat = Omit<Kernels, 'name' | 'isa' | 'threads' | 'attentionForward' | 'attentionBackward' | 'decoderCreate' | 'decoderForward'>;
interface Addon extends Flat {
  info(): { isa: string; threads: number; extensions: string };
  setThreads(n: number): void;
  setIsa(name: string): boolean;
  setIsaExtensions(on: boolean): void;
  decoderCreate(ints: Int32Array, eps: number, tensors: (ArrayBufferView | null)[]): object;
  decoderForward(handle: object, ...args: unknown[]): void;
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

/** A Linear weight as the addon's 4 entries: data (its type gives the storage), scales, wsum, bias. */
const linear = (w: InferenceLinear | null): (ArrayBufferView | null)[] =>
  !w ? [null, null, null, null] : [w.w, w.dtype === 'int8' ? w.scales : null, w.dtype === 'int8' ? w.wsum : null, w.bias];

/** decoderCreate's arguments (see native/glue_decoder.c). */
function flatSpec(s: DecoderSpec): [Int32Array, number, (ArrayBufferView | null)[]] {
  const posRows = s.positions ? s.positions.length / s.C : 0;
  const ints = Int32Array.from([s.C, s.layers.length, s.Hq, s.Hkv, s.D, s.F, s.V, s.norm === 'layer' ? 1 : 0, posRows, s.packF32 ? 1 : 0]);
  const tensors = [...linear(s.embed), s.positions, s.finalNorm, s.finalNormBias, ...linear(s.head)];
  for (const l of s.layers) {
    tensors.push(l.norm1, l.norm1Bias, l.norm2, l.norm2Bias);
    for (const w of [l.q, l.k, l.v, l.o, l.gate, l.up, l.down]) tensors.push(...linear(w));
  }
  return [ints, s.eps, tensors];
}

/** Loads the addon; throws if it is missing or fails to load. */
export interface NativeKernels extends Kernels {
  setThreads(n: number): void;
  setIsa(name: string): boolean;
  /** Whether AVX-512 kernels may use VNNI and BF16 where the CPU has them (tests turn them off to
   * reach the plain AVX-512 paths). */
  setIsaExtensions(on: boolean): void;
  /** The AVX-512 extensions in use, e.g. "vnni,bf16" ("" otherwise). */
  readonly extensions: string;
}

export function loadNativeKernels(): NativeKernels {
  const addon = createRequire(import.meta.url)(addonPath()) as Addon;
  const handles = new WeakMap<DecoderHandle, object>();
  const kernels: NativeKernels = {
    ...addon,
    name: 'native' as const,
    get isa() { return addon.info().isa; },
    get threads() { return addon.info().threads; },
    get extensions() { return addon.info().extensions; },
    decoderCreate: (spec: DecoderSpec) => {
      const h: DecoderHandle = { spec };
      handles.set(h, addon.decoderCreate(...flatSpec(spec)));
      return h;
    },
    decoderForward: (h: DecoderHandle, s: DecoderStep) => {
      const native = handles.get(h);
      if (!native) throw new TypeError('decoderForward: the handle was not made by this backend\'s decoderCreate');
      addon.decoderForward(native, s.ids, s.pos, s.B, s.T, s.cacheK, s.cacheV, s.capacity, s.start, s.keyMask, s.prefixLen,
        s.window, s.scale, s.cos, s.sin, s.alibi, s.logits, s.allPositions);
    },
    attentionForward: (out: F32, lse: F32, q: F32, k: F32, v: F32, g: AttentionGeometry) =>
      addon.attentionForward(out, lse, q, k, v, ...flat(g)),
    attentionBackward: (dq: F32, dk: F32, dv: F32, dout: F32, q: F32, k: F32, v: F32, out: F32, lse: F32, g: AttentionGeometry) =>
      addon.attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, ...flat(g)),
  };
  return kernels;
}
