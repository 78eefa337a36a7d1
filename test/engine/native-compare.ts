// Shared harness of the native-vs-reference kernel tests: seeded inputs, NaN-filled outputs (an
// element the kernel forgets to write stays NaN and fails the comparison), and a runner that
// computes the reference once and checks native under every instruction set this CPU supports.
import assert from 'node:assert/strict';
import type { F32, Kernels } from '../../src/engine/kernels.js';
import { refKernels } from '../../src/engine/backends/ref/kernels.js';
import { loadNativeKernels } from '../../src/engine/backends/native/index.js';
import { Rng } from '../../src/engine/rng.js';

export type Native = ReturnType<typeof loadNativeKernels>;

function loadOrNull(): Native | null {
  try {
    return loadNativeKernels();
  } catch {
    return null;
  }
}
export const native = loadOrNull();
export const SKIP = native ? false : 'native addon not built (node scripts/build-native.mjs)';

const rng = new Rng(20240611);
export const randn = (n: number, std = 1): F32 => {
  const a = new Float32Array(n);
  rng.fillNormal(a, 0, std);
  return a;
};
export const uniform = (n: number, lo: number, hi: number): F32 => {
  const a = new Float32Array(n);
  rng.fillUniform(a, lo, hi);
  return a;
};
export const randInt = (n: number): number => rng.int(n);
export const nans = (n: number): F32 => new Float32Array(n).fill(NaN);

/** |got − want| ≤ abs + rel·|want|; equal infinities and NaN in both count as equal. */
export interface Tol { rel: number; abs: number }

function assertClose(label: string, got: F32 | number, want: F32 | number, tol: Tol): void {
  const g = typeof got === 'number' ? [got] : got, w = typeof want === 'number' ? [want] : want;
  assert.equal(g.length, w.length, `${label}: length`);
  for (let i = 0; i < w.length; i++) {
    const a = g[i], b = w[i];
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    const lim = tol.abs + tol.rel * Math.abs(b);
    if (!(Math.abs(a - b) <= lim)) assert.fail(`${label}[${i}]: native ${a}, reference ${b} (|diff| ${Math.abs(a - b)} > ${lim})`);
  }
}

/** The ISAs this CPU runs; `body` runs under each, and the starting ISA is restored. */
export function everyIsa(body: (isa: string) => void): void {
  const k = native!;
  const initial = k.isa;
  try {
    for (const isa of ['generic', 'avx2', 'avx512']) if (k.setIsa(isa)) body(isa);
  } finally {
    k.setIsa(initial);
  }
}

export type Outputs = Record<string, F32 | number>;

/** Runs `run` (which allocates fresh outputs and calls one kernel) on the reference and then on
 * native under every ISA, comparing each named output; `tol` may differ per output. */
export function agree(label: string, run: (k: Kernels) => Outputs, tol: Tol | Record<string, Tol>): void {
  const want = run(refKernels);
  everyIsa((isa) => {
    const got = run(native!);
    for (const name of Object.keys(want)) {
      const t = 'rel' in tol ? (tol as Tol) : (tol as Record<string, Tol>)[name];
      assertClose(`${label} [${isa}] ${name}`, got[name], want[name], t);
    }
  });
}

/** The same call twice gives the same bits, and with one thread the same bits as with all. */
export function assertDeterministic(label: string, run: (k: Kernels) => Outputs): void {
  const k = native!;
  const threads = k.threads;
  const bits = (o: Outputs) => Object.values(o).map((v) => (typeof v === 'number' ? [v] : Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length))));
  everyIsa((isa) => {
    const first = bits(run(k));
    assert.deepEqual(bits(run(k)), first, `${label} [${isa}]: two runs differ`);
    k.setThreads(1);
    try {
      assert.deepEqual(bits(run(k)), first, `${label} [${isa}]: 1 thread differs from ${threads}`);
    } finally {
      k.setThreads(threads);
    }
  });
}
