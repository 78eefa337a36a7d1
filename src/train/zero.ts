// ZeRO stage 1 (Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training Trillion
// Parameter Models", §5.1): the optimizer state is split across the data-parallel ranks. The
// trained parameters, in the optimizer's order, form one flat vector of P elements; rank r owns the
// contiguous block shardRange(P, r, N) and keeps AdamW's two moments for it alone, so each rank
// holds 2P/N moment values instead of 2P. Per update:
//   1. reduce-scatter: every rank's gradients are summed and rank r receives its block;
//   2. clip: each parameter set's norm is its blocks' sums of squares added over the ranks;
//   3. AdamW updates the rank's block of the parameters (the same kernel, run on sub-ranges);
//   4. all-gather: the updated blocks go to every rank, so all hold the whole new weights.
// The checkpoint still holds every moment by parameter name (gathered to rank 0), the same file a
// single process writes, so a run resumes with any number of ranks, with or without ZeRO.
import { kernels } from '../engine/backend.js';
import type { Tensor } from '../engine/tensor.js';
import { shardCounts, shardRange, type Communicator } from '../distributed/communicator.js';
import type { AdamWConfig, AdamWState, ParamGroup } from '../nn/index.js';

/** A parameter's stretch of the flat vector that falls in this rank's block. */
interface Segment {
  param: number;
  /** Element range within the parameter, and where it starts in the block. */
  from: number;
  to: number;
  at: number;
}

export class ZeroAdamW {
  step = 0;
  /** The parameters in the optimizer's order (group by group), and where each starts in the flat
   * vector. */
  private readonly params: Tensor[];
  private readonly starts: number[];
  private readonly decay: number[];
  private readonly lrScale: number[];
  readonly total: number;
  /** Every rank's block length, and this rank's block [lo, hi). */
  private readonly counts: Int32Array;
  readonly lo: number;
  readonly hi: number;
  private readonly segments: Segment[];
  private m: Float32Array;
  private v: Float32Array;
  /** This rank's block of the reduced gradient. */
  private readonly grad: Float32Array;
  /** The whole flat vector: gradients on the way in, parameters on the way out. */
  private readonly flat: Float32Array;
  /** Which parameters had a gradient on some rank this update (AdamW skips the others). */
  private live: boolean[] = [];

  constructor(readonly groups: ParamGroup[], readonly config: AdamWConfig, private readonly comm: Communicator) {
    this.params = groups.flatMap((g) => g.params);
    this.decay = groups.flatMap((g) => g.params.map(() => g.weightDecay ?? config.weightDecay));
    this.lrScale = groups.flatMap((g) => g.params.map(() => g.lrScale ?? 1));
    this.starts = [];
    let total = 0;
    for (const p of this.params) { this.starts.push(total); total += p.size; }
    this.total = total;
    this.counts = shardCounts(total, comm.size);
    [this.lo, this.hi] = shardRange(total, comm.rank, comm.size);
    this.segments = [];
    this.params.forEach((p, i) => {
      const from = Math.max(this.lo, this.starts[i]) - this.starts[i], to = Math.min(this.hi, this.starts[i] + p.size) - this.starts[i];
      if (to > from) this.segments.push({ param: i, from, to, at: this.starts[i] + from - this.lo });
    });
    const n = this.hi - this.lo;
    this.m = new Float32Array(n);
    this.v = new Float32Array(n);
    this.grad = new Float32Array(n);
    this.flat = new Float32Array(total);
  }

  /** Bytes of AdamW moments this rank holds, and what one rank would hold without sharding. */
  momentBytes(): { perRank: number; unsharded: number } {
    return { perRank: 8 * (this.hi - this.lo), unsharded: 8 * this.total };
  }

  /** Step 1: this rank's block of Σ_r scale·g_r (zeros where a rank has no gradient). `live[i]`:
   * whether parameter i (optimizer order) has a gradient on any rank. */
  reduce(live: boolean[], scale: number): void {
    this.live = live;
    const k = kernels();
    this.params.forEach((p, i) => {
      const dst = this.flat.subarray(this.starts[i], this.starts[i] + p.size);
      if (!p.grad) dst.fill(0);
      else if (scale === 1) dst.set(p.grad.f);
      else k.affine(dst, p.grad.f, p.size, scale, 0);
    });
    this.comm.reduceScatter(this.flat, this.grad, this.counts);
  }

  /** Step 2: scales the block by `by` (1 / Σ weights) and clips each set to maxNorm; `setOf[i]`
   * is parameter i's set. Returns each set's norm before clipping (the same on every rank). */
  clip(setOf: number[], sets: number, maxNorm: number, by: number): number[] {
    const k = kernels();
    if (by !== 1) k.affine(this.grad, this.grad, this.grad.length, by, 0);
    const ss = new Float64Array(sets);
    for (const s of this.segments) ss[setOf[s.param]] += k.sumSquares(this.grad.subarray(s.at, s.at + s.to - s.from), s.to - s.from);
    this.comm.allReduce(ss);
    const norms = [...ss].map(Math.sqrt);
    for (const s of this.segments) {
      const norm = norms[setOf[s.param]];
      if (norm > maxNorm && norm > 0) k.affine(this.grad.subarray(s.at, s.at + s.to - s.from), this.grad.subarray(s.at, s.at + s.to - s.from), s.to - s.from, maxNorm / (norm + 1e-6), 0);
    }
    return norms;
  }

  /** Steps 3 and 4: AdamW on this rank's block at learning rate lr, then every rank's block to
   * every rank's parameters. */
  update(lr: number): void {
    const { beta1, beta2, eps } = this.config;
    this.step++;
    const bc1 = 1 - beta1 ** this.step, bc2 = 1 - beta2 ** this.step;
    const k = kernels();
    for (const s of this.segments) {
      if (!this.live[s.param]) continue;
      const p = this.params[s.param], n = s.to - s.from, at = s.at;
      k.adamw(p.f.subarray(s.from, s.to), this.grad.subarray(at, at + n), this.m.subarray(at, at + n), this.v.subarray(at, at + n), n,
        lr * this.lrScale[s.param], beta1, beta2, eps, this.decay[s.param], bc1, bc2);
    }
    // The gradient block is spent: it carries the updated parameters out (a send buffer may not
    // overlap the receiving one).
    for (const s of this.segments) this.grad.set(this.params[s.param].f.subarray(s.from, s.to), s.at);
    this.comm.allGather(this.grad, this.flat, this.counts);
    this.params.forEach((p, i) => p.f.set(this.flat.subarray(this.starts[i], this.starts[i] + p.size)));
  }

  /** The whole optimizer state, gathered to rank 0 (null on the other ranks). */
  gatherState(): AdamWState | null {
    const root = this.comm.rank === 0;
    const whole = (block: Float32Array): Float32Array[] | null => {
      const out = root ? new Float32Array(this.total) : null;
      this.comm.gather(block, out, this.counts, 0);
      return out && this.params.map((p, i) => out.subarray(this.starts[i], this.starts[i] + p.size));
    };
    const m = whole(this.m), v = whole(this.v);
    return m && v ? { step: this.step, m, v } : null;
  }

  /** Restores the state rank 0 read from a checkpoint (null on the other ranks): each rank keeps
   * its block of the moments. */
  scatterState(state: AdamWState | null): void {
    const root = this.comm.rank === 0;
    const flatten = (xs: Float32Array[]): Float32Array => {
      const out = new Float32Array(this.total);
      xs.forEach((x, i) => out.set(x, this.starts[i]));
      return out;
    };
    const steps = Float64Array.of(state?.step ?? 0);
    this.comm.broadcast(steps, 0);
    this.step = steps[0];
    this.comm.scatter(root ? flatten(state!.m) : null, this.m, this.counts, 0);
    this.comm.scatter(root ? flatten(state!.v) : null, this.v, this.counts, 0);
  }
}
