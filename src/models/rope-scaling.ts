// RoPE scaling for contexts longer than the one a model was trained at, as Hugging Face computes
// it (transformers `modeling_rope_utils.py`, `_compute_*_parameters`): each type only changes the
// inverse frequencies θ_i of the D/2 rotating pairs (and, for YaRN, scales cos and sin).
//
//   default  θ_i = base^(−2i/D)
//   linear   θ_i / factor                                    (position interpolation, kaiokendev)
//   dynamic  base' = base · (factor·s/L − (factor − 1))^(D/(D−2)) once the sequence length s
//            passes L = max_position_embeddings (NTK-aware, bloc97 and emozilla)
//   yarn     per pair, a ramp between θ_i (fast pairs: more than beta_fast turns over L) and
//            θ_i / factor (slow pairs: fewer than beta_slow turns), and cos, sin × attention
//            factor 0.1·ln(factor) + 1 (Peng et al. 2023, eq. 17–20)
//   llama3   wavelength 2π/θ_i below L/high_freq_factor: kept; above L/low_freq_factor: θ_i /
//            factor; between: smooth = (L/wavelength − low)/(high − low) mixes the two
//
// Arithmetic is float32 where transformers' is (inverse frequencies, angles), so the tables match
// PyTorch's closely.
import type { RopeTables } from '../engine/ops/index.js';

export interface LinearScaling { type: 'linear'; factor: number }
export interface DynamicScaling {
  type: 'dynamic';
  factor: number;
  /** L: the base frequency starts growing past this length (Hugging Face's max_position_embeddings). */
  originalMaxPositions: number;
}
export interface YarnScaling {
  type: 'yarn';
  factor: number;
  /** L: the training context the numbers of turns are counted over. */
  originalMaxPositions: number;
  betaFast: number;
  betaSlow: number;
  /** cos and sin are multiplied by this; null = from mscale/mscaleAllDim, else 0.1·ln(factor) + 1. */
  attentionFactor: number | null;
  mscale: number | null;
  mscaleAllDim: number | null;
  /** Round the ramp's ends to whole pairs (floor, ceil), as transformers does by default. */
  truncate: boolean;
}
export interface Llama3Scaling {
  type: 'llama3';
  factor: number;
  originalMaxPositions: number;
  lowFreqFactor: number;
  highFreqFactor: number;
}
export type RopeScaling = LinearScaling | DynamicScaling | YarnScaling | Llama3Scaling;
export const ROPE_SCALING_TYPES = ['linear', 'dynamic', 'yarn', 'llama3'] as const;

const f = Math.fround;

/** Plain RoPE's inverse frequencies, base^(−2i/D), in float32 as transformers computes them. */
export function defaultInvFreq(D: number, theta: number): Float32Array {
  return Float32Array.from({ length: D / 2 }, (_, i) => f(1 / f(Math.pow(theta, f(f(2 * i) / D)))));
}

/** YaRN's cos/sin multiplier: get_mscale(factor, mscale) / get_mscale(factor, mscaleAllDim). */
export function yarnAttentionFactor(s: YarnScaling): number {
  if (s.attentionFactor !== null) return s.attentionFactor;
  const mscale = (scale: number, m = 1): number => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
  return s.mscale && s.mscaleAllDim ? mscale(s.factor, s.mscale) / mscale(s.factor, s.mscaleAllDim) : mscale(s.factor);
}

/** The pair index at which a frequency turns `rotations` times over `length` positions. */
function correctionDim(rotations: number, D: number, theta: number, length: number): number {
  return (D * Math.log(length / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
}

/** The inverse frequencies [D/2] and the cos/sin multiplier for sequences of length seqLen. */
export function ropeInvFreq(D: number, theta: number, s: RopeScaling | null, seqLen = 0): { invFreq: Float32Array; attentionFactor: number } {
  if (!s) return { invFreq: defaultInvFreq(D, theta), attentionFactor: 1 };
  switch (s.type) {
    case 'linear':
      return { invFreq: defaultInvFreq(D, theta).map((x) => f(x / s.factor)), attentionFactor: 1 };
    case 'dynamic': {
      const L = s.originalMaxPositions, len = Math.max(seqLen, L);
      return { invFreq: defaultInvFreq(D, theta * Math.pow((s.factor * len) / L - (s.factor - 1), D / (D - 2))), attentionFactor: 1 };
    }
    case 'yarn': {
      let low = correctionDim(s.betaFast, D, theta, s.originalMaxPositions);
      let high = correctionDim(s.betaSlow, D, theta, s.originalMaxPositions);
      if (s.truncate) { low = Math.floor(low); high = Math.ceil(high); }
      low = Math.max(low, 0);
      high = Math.min(high, D - 1);
      if (low === high) high += 0.001; // transformers' guard against a zero-width ramp
      const invFreq = new Float32Array(D / 2);
      for (let i = 0; i < D / 2; i++) {
        const posFreq = f(Math.pow(theta, f(f(2 * i) / D)));
        const extrapolation = f(1 / posFreq), interpolation = f(1 / f(s.factor * posFreq));
        const ramp = f(Math.min(1, Math.max(0, f(f(i - low) / f(high - low)))));
        const keep = f(1 - ramp); // the share of the unscaled frequency
        invFreq[i] = f(f(interpolation * f(1 - keep)) + f(extrapolation * keep));
      }
      return { invFreq, attentionFactor: yarnAttentionFactor(s) };
    }
    case 'llama3': {
      const L = s.originalMaxPositions, lowWave = L / s.lowFreqFactor, highWave = L / s.highFreqFactor;
      const invFreq = defaultInvFreq(D, theta).map((x) => {
        const wavelength = f(f(2 * Math.PI) / x);
        if (wavelength < highWave) return x;
        if (wavelength > lowWave) return f(x / s.factor);
        const smooth = f((L / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor));
        return f(f(f(1 - smooth) * f(x / s.factor)) + f(smooth * x));
      });
      return { invFreq, attentionFactor: 1 };
    }
  }
}

/** cos/sin tables [maxPos, D/2] from inverse frequencies; with `rows`, only those positions are
 * filled (the rest stay zero and must not be read). */
export function tablesFromInvFreq(maxPos: number, D: number, theta: number, invFreq: Float32Array, attentionFactor = 1, rows: Int32Array | null = null): RopeTables {
  const half = D / 2;
  const cos = new Float32Array(maxPos * half), sin = new Float32Array(maxPos * half);
  const fill = (p: number): void => {
    for (let i = 0; i < half; i++) {
      const angle = f(p * invFreq[i]);
      cos[p * half + i] = f(Math.cos(angle) * attentionFactor);
      sin[p * half + i] = f(Math.sin(angle) * attentionFactor);
    }
  };
  if (rows) for (const p of rows) fill(p);
  else for (let p = 0; p < maxPos; p++) fill(p);
  return { cos, sin, maxPos, headDim: D, theta };
}

/** Throws (through `fail`) on a scaling transformers would reject or that cannot work. */
export function validateRopeScaling(s: RopeScaling, fail: (msg: string) => never): void {
  const where = `ropeScaling (${s.type})`;
  if (!(ROPE_SCALING_TYPES as readonly string[]).includes(s.type)) fail(`ropeScaling.type must be ${ROPE_SCALING_TYPES.join(' | ')}, got ${JSON.stringify(s.type)}`);
  if (!(typeof s.factor === 'number' && s.factor >= 1)) fail(`${where}: factor must be a number ≥ 1, got ${s.factor}`);
  if (s.type !== 'linear' && !(Number.isInteger(s.originalMaxPositions) && s.originalMaxPositions > 0)) {
    fail(`${where}: originalMaxPositions must be a positive integer, got ${s.originalMaxPositions}`);
  }
  if (s.type === 'yarn' && !(s.betaFast > 0 && s.betaSlow > 0)) fail(`${where}: betaFast and betaSlow must be positive, got ${s.betaFast}, ${s.betaSlow}`);
  if (s.type === 'llama3' && !(s.lowFreqFactor > 0 && s.highFreqFactor > s.lowFreqFactor)) {
    fail(`${where}: needs 0 < lowFreqFactor < highFreqFactor, got ${s.lowFreqFactor}, ${s.highFreqFactor}`);
  }
}

type Json = Record<string, unknown>;

const KEYS: Record<RopeScaling['type'], string[]> = {
  linear: ['factor'],
  dynamic: ['factor'],
  yarn: ['factor', 'original_max_position_embeddings', 'attention_factor', 'beta_fast', 'beta_slow', 'mscale', 'mscale_all_dim', 'truncate'],
  llama3: ['factor', 'original_max_position_embeddings', 'low_freq_factor', 'high_freq_factor'],
};

/** config.json's rope_scaling (rope_type, or the older type) → RopeScaling, and the longest
 * sequence the model then accepts. `maxPositionEmbeddings` is config.json's own field. */
export function ropeScalingFromHf(raw: unknown, maxPositionEmbeddings: number): { scaling: RopeScaling | null; maxPositions: number } {
  if (raw === null || raw === undefined) return { scaling: null, maxPositions: maxPositionEmbeddings };
  const at = 'config.json: rope_scaling';
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${at} must be an object, got ${JSON.stringify(raw)}`);
  const rs = raw as Json;
  const type = rs.rope_type ?? rs.type;
  if (type === 'default') return { scaling: null, maxPositions: maxPositionEmbeddings };
  if (typeof type !== 'string' || !(type in KEYS)) {
    throw new Error(`${at}.rope_type ${JSON.stringify(type)} is not supported (supported: ${ROPE_SCALING_TYPES.join(', ')})`);
  }
  const kind = type as RopeScaling['type'];
  const unknown = Object.keys(rs).filter((k) => k !== 'rope_type' && k !== 'type' && !KEYS[kind].includes(k));
  if (unknown.length) throw new Error(`${at}: ${unknown.join(', ')} not understood for rope_type ${kind}`);
  const num = (key: string, fallback?: number): number => {
    const v = rs[key] ?? fallback;
    if (typeof v !== 'number') throw new Error(`${at}.${key} must be a number, got ${JSON.stringify(rs[key])}`);
    return v;
  };
  const orNull = (key: string): number | null => (typeof rs[key] === 'number' ? (rs[key] as number) : null);
  const L = num('original_max_position_embeddings', maxPositionEmbeddings);
  switch (kind) {
    case 'linear': return { scaling: { type: kind, factor: num('factor') }, maxPositions: maxPositionEmbeddings };
    // transformers grows the base past max_position_embeddings; the factor names the extension.
    case 'dynamic': {
      const factor = num('factor');
      return { scaling: { type: kind, factor, originalMaxPositions: maxPositionEmbeddings }, maxPositions: Math.ceil(factor * maxPositionEmbeddings) };
    }
    case 'yarn': return {
      scaling: {
        type: kind, factor: num('factor', maxPositionEmbeddings / L), originalMaxPositions: L,
        // `or` as transformers writes it: 0 and null both mean the default.
        betaFast: orNull('beta_fast') || 32, betaSlow: orNull('beta_slow') || 1,
        attentionFactor: orNull('attention_factor'), mscale: orNull('mscale'), mscaleAllDim: orNull('mscale_all_dim'),
        truncate: rs.truncate !== false,
      },
      maxPositions: maxPositionEmbeddings,
    };
    case 'llama3': return {
      scaling: { type: kind, factor: num('factor'), originalMaxPositions: num('original_max_position_embeddings'), lowFreqFactor: num('low_freq_factor'), highFreqFactor: num('high_freq_factor') },
      maxPositions: maxPositionEmbeddings,
    };
  }
}

/** RopeScaling → config.json's rope_scaling (both rope_type and the older type key, so every
 * transformers version reads it) and the max_position_embeddings to write beside it. */
export function ropeScalingToHf(s: RopeScaling, maxPositions: number): { json: Json; maxPositionEmbeddings: number } {
  const head = { rope_type: s.type, type: s.type, factor: s.factor };
  switch (s.type) {
    case 'linear': return { json: head, maxPositionEmbeddings: maxPositions };
    case 'dynamic': return { json: head, maxPositionEmbeddings: s.originalMaxPositions };
    case 'yarn': {
      const json: Json = { ...head, original_max_position_embeddings: s.originalMaxPositions, beta_fast: s.betaFast, beta_slow: s.betaSlow };
      if (s.attentionFactor !== null) json.attention_factor = s.attentionFactor;
      if (s.mscale !== null) json.mscale = s.mscale;
      if (s.mscaleAllDim !== null) json.mscale_all_dim = s.mscaleAllDim;
      if (!s.truncate) json.truncate = false;
      return { json, maxPositionEmbeddings: maxPositions };
    }
    case 'llama3': return {
      json: { ...head, original_max_position_embeddings: s.originalMaxPositions, low_freq_factor: s.lowFreqFactor, high_freq_factor: s.highFreqFactor },
      maxPositionEmbeddings: maxPositions,
    };
  }
}

/** A scaling of the given type with transformers' defaults for the optional fields; `L` is the
 * context the model was trained at. */
export function ropeScaling(type: RopeScaling['type'], factor: number, L: number): RopeScaling {
  switch (type) {
    case 'linear': return { type, factor };
    case 'dynamic': return { type, factor, originalMaxPositions: L };
    case 'yarn': return { type, factor, originalMaxPositions: L, betaFast: 32, betaSlow: 1, attentionFactor: null, mscale: null, mscaleAllDim: null, truncate: true };
    // Llama 3.1's own low and high frequency factors.
    case 'llama3': return { type, factor, originalMaxPositions: L, lowFreqFactor: 1, highFreqFactor: 4 };
  }
}
