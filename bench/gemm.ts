// Float32 GEMM throughput of the native kernel beside OpenBLAS's cblas_sgemm in the same process,
// on the square anchor and the transformer shapes of ../shared/ANCHORS.md, in each storage
// order training uses: forward Y = X·Wᵀ is "nt", backward dX = dY·W "nn", dW = dYᵀ·X "tn".
// Keys: gemm_gflops_<shape>[_nt|_tn] (no suffix: nn), openblas_gflops_*, gemm_ratio_* (ours over
// OpenBLAS), gemm_isa, openblas_core. GFLOPS = 2·M·N·K / median time.
import type { Bench } from './harness.js';
import { loadNativeKernels } from '../src/engine/backends/native/index.js';

export const prefixes = ['gemm', 'openblas'];

type Native = ReturnType<typeof loadNativeKernels>;
/** The addon's baseline exports (native/openblas.c), not part of the Kernels interface. */
interface Baseline {
  openblasSgemm(c: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number, transA: boolean, transB: boolean): boolean;
  openblasCore(): string | null;
}

interface Shape { name: string; M: number; K: number; N: number; transA: boolean; transB: boolean }

/** Names are M×K×N as in ANCHORS.md. */
function shapes(): Shape[] {
  const out: Shape[] = [];
  const bases: [string, number, number, number][] = [
    ['1024', 1024, 1024, 1024], // square anchor
    ['2048x256x768', 2048, 256, 768], // tiny: fused qkv
    ['2048x384x8192', 2048, 384, 8192], // small: lm_head
    ['1024x768x2304', 1024, 768, 2304], // gpt2: qkv
    ['1024x3072x768', 1024, 3072, 768], // gpt2: mlp proj
  ];
  for (const [name, M, K, N] of bases) {
    out.push({ name, M, K, N, transA: false, transB: false });
    out.push({ name: `${name}_nt`, M, K, N, transA: false, transB: true });
    out.push({ name: `${name}_tn`, M, K, N, transA: true, transB: false });
  }
  out.push({ name: '1x288x32000_nt', M: 1, K: 288, N: 32000, transA: false, transB: true }); // decode lm_head
  return out;
}

function random(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

export async function run(b: Bench): Promise<void> {
  // The baseline is OpenBLAS at its best for the instruction set we run: native/openblas.c picks
  // the kernel family (SkylakeX for AVX-512, Haswell for AVX2) unless OPENBLAS_CORETYPE is set,
  // and an inherited setting (this project's machines export Haswell even on AVX-512 CPUs) would
  // handicap it. It must be cleared before the library loads, on the first baseline call.
  const inherited = process.env.OPENBLAS_CORETYPE;
  delete process.env.OPENBLAS_CORETYPE;
  const k = loadNativeKernels() as Native & Baseline;
  b.record('gemm_isa', k.isa, `${k.threads} threads`);
  const core = k.openblasCore();
  if (core) b.record('openblas_core', core, inherited ? `(inherited OPENBLAS_CORETYPE=${inherited} cleared)` : '');
  else console.log('openblas: not installed (apt-get install libopenblas0-pthread); ours only');

  for (const s of shapes()) {
    const { M, K, N, transA, transB } = s;
    const a = random(M * K), bm = random(K * N), c = new Float32Array(M * N);
    const flops = 2 * M * N * K;
    const opts = { warmup: 2, reps: 7, minMs: 150 };
    const ours = () => k.gemm(c, a, bm, 1, M, N, K, transA, transB, 0, 0, 0, 0);
    const blas = () => { k.openblasSgemm(c, a, bm, M, N, K, transA, transB); };
    // Alternating rounds, best median of each side: a burst of load from elsewhere on a shared
    // machine then hits both sides alike instead of one. After a call OpenBLAS's idle threads
    // poll for ~100 ms, a whole core (measured): the pause lets them sleep before our side runs.
    let tOurs = Infinity, tBlas = Infinity;
    for (let round = 0; round < 3; round++) {
      tOurs = Math.min(tOurs, b.time(ours, opts));
      if (!core) continue;
      tBlas = Math.min(tBlas, b.time(blas, opts));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const gOurs = flops / tOurs / 1e6;
    b.record(`gemm_gflops_${s.name}`, gOurs, `${tOurs.toFixed(3)} ms`);
    if (core) {
      const gBlas = flops / tBlas / 1e6;
      b.record(`openblas_gflops_${s.name}`, gBlas, `${tBlas.toFixed(3)} ms`);
      b.record(`gemm_ratio_${s.name}`, gOurs / gBlas, 'ours / OpenBLAS');
    }
  }
}
