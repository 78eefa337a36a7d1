// Weight storage for inference: `--dtype f32 | bf16 | int8`. float32 is the model's own array;
// bfloat16 halves it (rounded to nearest even); int8 quarters it, with one scale per output row
// (weight-only quantisation: activations are rounded to int8 per 32-value block inside each
// product, as llama.cpp's Q8_0 does). Packing is the engine's (kernels.ts documents the layouts).
import { kernels } from '../engine/backend.js';
import { bf16Size, int8Sizes, type InferenceLinear, type WeightDtype } from '../engine/kernels.js';

export const WEIGHT_DTYPES: readonly WeightDtype[] = ['f32', 'bf16', 'int8'];

/** Checks a --dtype value, naming where it came from. */
export function parseWeightDtype(value: unknown, where = '--dtype'): WeightDtype {
  if (typeof value === 'string' && (WEIGHT_DTYPES as readonly string[]).includes(value)) return value as WeightDtype;
  throw new RangeError(`${where} must be one of ${WEIGHT_DTYPES.join(', ')}, got ${JSON.stringify(value)}`);
}

/** W [N, K] in `dtype` (no bias): f32 keeps the array itself. */
export function packLinear(w: Float32Array, N: number, K: number, dtype: WeightDtype): InferenceLinear {
  if (w.length !== N * K) throw new RangeError(`packLinear: ${w.length} values for a [${N}, ${K}] weight`);
  if (dtype === 'f32') return { dtype, w, N, K, bias: null };
  if (dtype === 'bf16') {
    const out = new Uint16Array(bf16Size(N, K));
    kernels().packBf16(out, w, N, K);
    return { dtype, w: out, N, K, bias: null };
  }
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) throw new RangeError(`int8 quantisation: weight [${N}, ${K}] has a non-finite value at row ${Math.floor(i / K)}`);
  }
  const sz = int8Sizes(N, K);
  const q = new Int8Array(sz.q), scales = new Float32Array(sz.scales), wsum = new Int32Array(sz.wsum);
  kernels().quantizeInt8(q, scales, wsum, w, N, K);
  return { dtype, w: q, scales, wsum, N, K, bias: null };
}
