// Position information: position ids from a padding mask, the fixed sinusoidal table, and the
// per-model rotary / ALiBi tables, grown as positions are used (dynamic NTK RoPE, whose frequencies
// depend on the sequence length, builds its rows per call).
import { Tensor } from '../engine/tensor.js';
import { alibiSlopes, type RopeTables } from '../engine/ops/index.js';
import type { ModelConfig } from './config.js';
import { ropeInvFreq, tablesFromInvFreq } from './rope-scaling.js';

/** Position ids [B·T] from a key mask [B·T] (1 = token, 0 = pad): each row counts its own tokens
 * from 0, so a left-padded prompt starts at position 0 exactly like an unpadded one (what Hugging
 * Face generate does with cumsum(mask) − 1). Pads get position 0. `start` offsets every row (the
 * tokens already in a KV cache, `done[b]` of them real). */
export function positionIds(mask: Int32Array | null, B: number, T: number, done: Int32Array | null = null): Int32Array {
  const pos = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    let p = done ? done[b] : 0;
    for (let t = 0; t < T; t++) {
      const real = !mask || mask[b * T + t] !== 0;
      pos[b * T + t] = real ? p : 0;
      if (real) p++;
    }
  }
  return pos;
}

/** Vaswani et al.: PE[p, 2i] = sin(p / 10000^(2i/C)), PE[p, 2i+1] = cos(same). [maxPos, C]. */
export function sinusoidalTable(maxPos: number, C: number): Tensor {
  const t = Tensor.zeros([maxPos, C]);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < C / 2; i++) {
      const angle = p / Math.pow(10000, (2 * i) / C);
      t.data[p * C + 2 * i] = Math.sin(angle);
      t.data[p * C + 2 * i + 1] = Math.cos(angle);
    }
  }
  return t;
}

/** Rows the rotary and sinusoidal tables start with (fewer when maxPositions is smaller). */
const FIRST_ROWS = 2048;

/** The position tables a config needs. Rotary and sinusoidal tables cover the positions used so
 * far, doubling as needed up to maxPositions, so max_position_embeddings costs nothing until a
 * sequence reaches it (a config claiming 10^12 positions allocates no 10^12-row table). */
export class PositionTables {
  rope: RopeTables | null = null;
  readonly alibi: Float32Array | null;
  sinusoidal: Tensor | null = null;
  private rows = 0;

  constructor(readonly cfg: ModelConfig) {
    this.alibi = cfg.positions === 'alibi' ? alibiSlopes(cfg.numHeads) : null;
    this.grow(Math.min(cfg.maxPositions, FIRST_ROWS));
  }

  private grow(rows: number): void {
    const cfg = this.cfg;
    if (cfg.positions === 'rope') {
      const { invFreq, attentionFactor } = ropeInvFreq(cfg.headDim, cfg.ropeTheta, cfg.ropeScaling);
      this.rope = tablesFromInvFreq(rows, cfg.headDim, cfg.ropeTheta, invFreq, attentionFactor);
    }
    if (cfg.positions === 'sinusoidal') this.sinusoidal = sinusoidalTable(rows, cfg.hiddenSize);
    this.rows = rows;
  }

  /** The rotary tables for one call's positions (after check(), which grows them). Dynamic NTK
   * scaling recomputes the frequencies for the sequence length max(position) + 1 once it passes
   * the original context, as transformers' dynamic_rope_update does each forward; only the rows
   * this call reads are computed, so a decode step evaluates D/2 angles, not length · D/2. */
  ropeFor(pos: Int32Array): RopeTables | null {
    const s = this.cfg.ropeScaling;
    if (!this.rope || s?.type !== 'dynamic') return this.rope;
    let max = 0;
    for (let i = 0; i < pos.length; i++) if (pos[i] > max) max = pos[i];
    if (max + 1 <= s.originalMaxPositions) return this.rope;
    const { invFreq } = ropeInvFreq(this.cfg.headDim, this.cfg.ropeTheta, s, max + 1);
    return tablesFromInvFreq(max + 1, this.cfg.headDim, this.cfg.ropeTheta, invFreq, 1, pos);
  }

  /** Throws when a position is past maxPositions; grows the tables to cover the rest. */
  check(pos: Int32Array): void {
    let max = -1;
    for (let i = 0; i < pos.length; i++) if (pos[i] > max) max = pos[i];
    if (max >= this.cfg.maxPositions) {
      throw new RangeError(`position ${max} is past maxPositions ${this.cfg.maxPositions} (config max_position_embeddings)`);
    }
    if (max >= this.rows) this.grow(Math.min(this.cfg.maxPositions, Math.max(2 * this.rows, max + 1)));
  }
}
