// Position information: position ids from a padding mask, the fixed sinusoidal table, and the
// per-model rotary / ALiBi tables, built once for maxPositions (dynamic NTK RoPE, whose
// frequencies depend on the sequence length, builds its rows per call).
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

/** The position tables a config needs; rotary tables cover maxPositions. */
export class PositionTables {
  readonly rope: RopeTables | null;
  readonly alibi: Float32Array | null;
  readonly sinusoidal: Tensor | null;

  constructor(readonly cfg: ModelConfig) {
    if (cfg.positions === 'rope') {
      const { invFreq, attentionFactor } = ropeInvFreq(cfg.headDim, cfg.ropeTheta, cfg.ropeScaling);
      this.rope = tablesFromInvFreq(cfg.maxPositions, cfg.headDim, cfg.ropeTheta, invFreq, attentionFactor);
    } else this.rope = null;
    this.alibi = cfg.positions === 'alibi' ? alibiSlopes(cfg.numHeads) : null;
    this.sinusoidal = cfg.positions === 'sinusoidal' ? sinusoidalTable(cfg.maxPositions, cfg.hiddenSize) : null;
  }

  /** The rotary tables for one call's positions. Dynamic NTK scaling recomputes the frequencies
   * for the sequence length max(position) + 1 once it passes the original context, as transformers'
   * dynamic_rope_update does each forward; only the rows this call reads are computed, so a decode
   * step evaluates D/2 angles, not length · D/2. */
  ropeFor(pos: Int32Array): RopeTables | null {
    const s = this.cfg.ropeScaling;
    if (!this.rope || s?.type !== 'dynamic') return this.rope;
    let max = 0;
    for (let i = 0; i < pos.length; i++) if (pos[i] > max) max = pos[i];
    if (max + 1 <= s.originalMaxPositions) return this.rope;
    const { invFreq } = ropeInvFreq(this.cfg.headDim, this.cfg.ropeTheta, s, max + 1);
    return tablesFromInvFreq(max + 1, this.cfg.headDim, this.cfg.ropeTheta, invFreq, 1, pos);
  }

  /** Throws when a position is past the tables (or past maxPositions for relative schemes). */
  check(pos: Int32Array): void {
    let max = -1;
    for (let i = 0; i < pos.length; i++) if (pos[i] > max) max = pos[i];
    if (max >= this.cfg.maxPositions) {
      throw new RangeError(`position ${max} is past maxPositions ${this.cfg.maxPositions} (config max_position_embeddings)`);
    }
  }
}
