// Fused causal attention, native flash kernels beside the TypeScript reference in the same run
// (GPT-2-small-like head geometry: B 8, T 256, 4 heads of 64). Keys: attention_fwd_ms_<shape>,
// attention_bwd_ms_<shape> (native), attention_fwd_ms_ref_<shape>, attention_bwd_ms_ref_<shape>,
// attention_fwd_speedup_<shape>, attention_bwd_speedup_<shape> (ref time over native), attention_isa;
// and one-query decode steps against a KV cache (stories15M heads: 6 of 48, 256 keys in a cache of
// 320): attention_decode_us_b1_h6_d48_t256, attention_decode_us_b8_h6_d48_t256.
import type { Bench } from './harness.js';
import type { AttentionGeometry, Kernels } from '../src/engine/kernels.js';
import { refKernels } from '../src/engine/backends/ref/kernels.js';
import { loadNativeKernels } from '../src/engine/backends/native/index.js';

export const prefixes = ['attention'];

function random(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

/** Median forward and backward times of one backend on one geometry. */
function timeBoth(b: Bench, k: Kernels, g: AttentionGeometry, slow: boolean): { fwd: number; bwd: number } {
  const n = g.B * g.Tq * g.Hq * g.D, nkv = g.B * g.kvCapacity * g.Hkv * g.D;
  const q = random(n), kk = random(nkv), v = random(nkv), dout = random(n);
  const out = new Float32Array(n), lse = new Float32Array(g.B * g.Hq * g.Tq);
  const dq = new Float32Array(n), dk = new Float32Array(nkv), dv = new Float32Array(nkv);
  const opts = slow ? { warmup: 0, reps: 1 } : { warmup: 2, reps: 10, minMs: 300 };
  const fwd = b.time(() => k.attentionForward(out, lse, q, kk, v, g), opts);
  const bwd = b.time(() => k.attentionBackward(dq, dk, dv, dout, q, kk, v, out, lse, g), opts);
  return { fwd, bwd };
}

/** Median µs of one decode step: one query per row at position Tk − 1, causal, kvCapacity > Tk. */
function timeDecode(b: Bench, k: Kernels, B: number, H: number, D: number, Tk: number): number {
  const g: AttentionGeometry = {
    B, Tq: 1, Tk, kvCapacity: Tk + 64, Hq: H, Hkv: H, D, scale: 1 / Math.sqrt(D), qOffset: Tk - 1, causal: true, window: 0,
    prefixLen: null, keyMask: null, alibiSlopes: null,
  };
  const q = random(B * H * D), kk = random(B * g.kvCapacity * H * D), v = random(B * g.kvCapacity * H * D);
  const out = new Float32Array(B * H * D), lse = new Float32Array(B * H);
  const calls = 20; // a single call is a few µs: time batches of calls
  const ms = b.time(() => {
    for (let i = 0; i < calls; i++) k.attentionForward(out, lse, q, kk, v, g);
  }, { warmup: 20, reps: 50, minMs: 300 });
  return (ms * 1000) / calls;
}

export async function run(b: Bench): Promise<void> {
  const native = loadNativeKernels();
  b.record('attention_isa', native.isa, `${native.threads} threads`);
  const B = 8, T = 256, H = 4, D = 64, shape = `b${B}_t${T}_h${H}_d${D}`;
  const g: AttentionGeometry = {
    B, Tq: T, Tk: T, kvCapacity: T, Hq: H, Hkv: H, D, scale: 1 / Math.sqrt(D), qOffset: 0, causal: true, window: 0,
    prefixLen: null, keyMask: null, alibiSlopes: null,
  };
  const nat = timeBoth(b, native, g, false);
  b.record(`attention_fwd_ms_${shape}`, nat.fwd, 'native, causal');
  b.record(`attention_bwd_ms_${shape}`, nat.bwd, 'native, causal');
  const ref = timeBoth(b, refKernels, g, true);
  b.record(`attention_fwd_ms_ref_${shape}`, ref.fwd, 'TypeScript reference, one run');
  b.record(`attention_bwd_ms_ref_${shape}`, ref.bwd, 'TypeScript reference, one run');
  b.record(`attention_fwd_speedup_${shape}`, ref.fwd / nat.fwd, 'reference time / native time');
  b.record(`attention_bwd_speedup_${shape}`, ref.bwd / nat.bwd, 'reference time / native time');
  for (const batch of [1, 8])
    b.record(`attention_decode_us_b${batch}_h6_d48_t256`, timeDecode(b, native, batch, 6, 48, 256), 'native, one query per row');
}
