// ZeRO stage 1 (Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training Trillion
// Parameter Models", §5.1): the optimizer state is split across the data-parallel ranks, so each
// holds 2P/N of AdamW's 2P moment values. The trained parameters, in the optimizer's order, form
// units: each large parameter is a unit of its own, and runs of small ones (norms, biases) are
// fused into one. Rank r owns block shardRange(size, r, N) of every unit and keeps the moments of
// that block alone. Per update:
//   1. reduce-scatter: every rank's gradients are summed and rank r receives its block of each
//      unit (a large parameter's lands in its own gradient's storage, with no second buffer);
//   2. clip: each parameter set's norm is its blocks' sums of squares added over the ranks;
//   3. AdamW updates the rank's blocks of the weights (the same kernel, run on sub-ranges);
//   4. all-gather: the updated blocks go to every rank, in place in the weights themselves.
// The checkpoint still holds every moment by parameter name (gathered to rank 0), the same file a
// single process writes, so a run resumes with any number of ranks, with or without ZeRO.
import { kernels } from '../engine/backend.js';
import { Tensor } from '../engine/tensor.js';
import { shardCounts, shardRange, type Communicator } from '../distributed/communicator.js';
import type { AdamWConfig, AdamWState, ParamGroup } from '../nn/index.js';

/** Parameters smaller than this (in floats: 16 KiB) are fused into shared units; larger ones are
 * reduced and gathered alone, in their own storage. A collective costs microseconds in shared
 * memory, a fusion buffer memory the same size as what it fuses: only the small ones (norms,
 * biases, the tiny test models' matrices) are worth copying together. */
const SMALL = 1 << 12;

/** A stretch of one parameter inside this rank's block of a unit. */
interface Segment {
  param: number;
  /** Element range within the parameter. */
  from: number;
  to: number;
  /** Where it starts in the unit's gradient block, and in this rank's moments. */
  grad: number;
  moment: number;
}

interface Unit {
  /** Its parameters (indices in optimizer order) and where each starts in the unit. */
  params: number[];
  starts: number[];
  size: number;
  counts: Int32Array;
  /** This rank's block of the unit, and where its moments start. */
  lo: number;
  hi: number;
  moment: number;
  /** A fused unit's buffer (gradients in, weights out); null for a large parameter alone. */
  buffer: Float32Array | null;
  segments: Segment[];
}

export class ZeroAdamW {
  step = 0;
  private readonly params: Tensor[];
  private readonly decay: number[];
  private readonly lrScale: number[];
  private readonly units: Unit[] = [];
  /** Moment values this rank holds, and all of them. */
  readonly held: number;
  readonly total: number;
  private m: Float32Array;
  private v: Float32Array;
  /** Which parameters had a gradient on some rank this update (AdamW skips the others). */
  private live: boolean[] = [];

  constructor(readonly groups: ParamGroup[], readonly config: AdamWConfig, private readonly comm: Communicator) {
    this.params = groups.flatMap((g) => g.params);
    this.decay = groups.flatMap((g) => g.params.map(() => g.weightDecay ?? config.weightDecay));
    this.lrScale = groups.flatMap((g) => g.params.map(() => g.lrScale ?? 1));
    let held = 0, fused: number[] = [];
    const addUnit = (params: number[]): void => {
      const starts: number[] = [];
      let size = 0;
      for (const i of params) { starts.push(size); size += this.params[i].size; }
      const [lo, hi] = shardRange(size, comm.rank, comm.size);
      const segments: Segment[] = [];
      params.forEach((i, k) => {
        const from = Math.max(lo, starts[k]), to = Math.min(hi, starts[k] + this.params[i].size);
        if (to > from) segments.push({ param: i, from: from - starts[k], to: to - starts[k], grad: from - lo, moment: held + from - lo });
      });
      this.units.push({ params, starts, size, counts: shardCounts(size, comm.size), lo, hi, moment: held, buffer: params.length > 1 || this.params[params[0]].size < SMALL ? new Float32Array(size) : null, segments });
      held += hi - lo;
    };
    this.params.forEach((p, i) => {
      if (p.size < SMALL) {
        fused.push(i);
        if (fused.reduce((a, j) => a + this.params[j].size, 0) >= SMALL) { addUnit(fused); fused = []; }
      } else addUnit([i]);
    });
    if (fused.length) addUnit(fused);
    this.held = held;
    this.total = this.params.reduce((a, p) => a + p.size, 0);
    this.m = new Float32Array(held);
    this.v = new Float32Array(held);
  }

  /** Bytes of AdamW moments on this rank and without sharding, and of the fusion buffers. */
  memory(): { moments: number; unsharded: number; buffers: number } {
    return { moments: 8 * this.held, unsharded: 8 * this.total, buffers: 4 * this.units.reduce((a, u) => a + (u.buffer?.length ?? 0), 0) };
  }

  /** Step 1: this rank's block of Σ_r scale·g_r for every unit (zeros where a rank has no
   * gradient). `live[i]`: whether parameter i (optimizer order) has a gradient on some rank. */
  reduce(live: boolean[], scale: number): void {
    this.live = live;
    const k = kernels();
    for (const u of this.units) {
      if (!u.params.some((i) => live[i])) continue;
      if (!u.buffer) {
        const p = this.params[u.params[0]];
        if (!p.grad) p.grad = Tensor.zeros(p.shape);
        else if (scale !== 1) k.affine(p.grad.f, p.grad.f, p.size, scale, 0);
        this.comm.reduceScatterInPlace(p.grad.f, u.counts);
        continue;
      }
      u.params.forEach((i, j) => {
        const p = this.params[i], dst = u.buffer!.subarray(u.starts[j], u.starts[j] + p.size);
        if (!p.grad) dst.fill(0);
        else k.affine(dst, p.grad.f, p.size, scale, 0);
      });
      this.comm.reduceScatterInPlace(u.buffer, u.counts);
    }
  }

  /** This rank's reduced gradient of a segment. */
  private grad(u: Unit, s: Segment): Float32Array {
    const src = u.buffer ?? this.params[u.params[0]].grad!.f;
    return src.subarray(s.grad, s.grad + s.to - s.from);
  }

  /** Step 2: scales the blocks by `by` (1 / Σ weights) and clips each set to maxNorm; `setOf[i]`
   * is parameter i's set. Returns each set's norm before clipping (the same on every rank). */
  clip(setOf: number[], sets: number, maxNorm: number, by: number): number[] {
    const k = kernels();
    const ss = new Float64Array(sets);
    const live = this.units.flatMap((u) => u.segments.filter((s) => this.live[s.param]).map((s) => ({ s, g: this.grad(u, s) })));
    for (const { s, g } of live) {
      if (by !== 1) k.affine(g, g, g.length, by, 0);
      ss[setOf[s.param]] += k.sumSquares(g, g.length);
    }
    this.comm.allReduce(ss);
    const norms = [...ss].map(Math.sqrt);
    for (const { s, g } of live) {
      const norm = norms[setOf[s.param]];
      if (norm > maxNorm && norm > 0) k.affine(g, g, g.length, maxNorm / (norm + 1e-6), 0);
    }
    return norms;
  }

  /** Steps 3 and 4: AdamW on this rank's blocks at learning rate lr, then every rank's blocks to
   * every rank's weights. */
  update(lr: number): void {
    const { beta1, beta2, eps } = this.config;
    this.step++;
    const bc1 = 1 - beta1 ** this.step, bc2 = 1 - beta2 ** this.step;
    const k = kernels();
    for (const u of this.units) {
      if (!u.params.some((i) => this.live[i])) continue;
      for (const s of u.segments) {
        if (!this.live[s.param]) continue;
        const n = s.to - s.from, p = this.params[s.param];
        k.adamw(p.f.subarray(s.from, s.to), this.grad(u, s), this.m.subarray(s.moment, s.moment + n), this.v.subarray(s.moment, s.moment + n), n,
          lr * this.lrScale[s.param], beta1, beta2, eps, this.decay[s.param], bc1, bc2);
      }
      if (!u.buffer) {
        this.comm.allGatherInPlace(this.params[u.params[0]].f, u.counts);
        continue;
      }
      // The gradient block is spent: the buffer now carries the weights.
      for (const s of u.segments) u.buffer.set(this.params[s.param].f.subarray(s.from, s.to), u.starts[u.params.indexOf(s.param)] + s.from);
      this.comm.allGatherInPlace(u.buffer, u.counts);
      u.params.forEach((i, j) => this.params[i].f.set(u.buffer!.subarray(u.starts[j], u.starts[j] + this.params[i].size)));
    }
  }

  /** The whole optimizer state, gathered to rank 0 (null on the other ranks). */
  gatherState(): AdamWState | null {
    const root = this.comm.rank === 0;
    const m = this.params.map((p) => (root ? new Float32Array(p.size) : null));
    const v = this.params.map((p) => (root ? new Float32Array(p.size) : null));
    for (const u of this.units) {
      for (const [mine, whole] of [[this.m, m], [this.v, v]] as const) {
        const out = root ? new Float32Array(u.size) : null;
        this.comm.gather(mine.subarray(u.moment, u.moment + u.hi - u.lo), out, u.counts, 0);
        if (out) u.params.forEach((i, j) => whole[i]!.set(out.subarray(u.starts[j], u.starts[j] + this.params[i].size)));
      }
    }
    return root ? { step: this.step, m: m as Float32Array[], v: v as Float32Array[] } : null;
  }

  /** Restores the state rank 0 read from a checkpoint (null on the other ranks): each rank keeps
   * its blocks of the moments. */
  scatterState(state: AdamWState | null): void {
    const steps = Float64Array.of(state?.step ?? 0);
    this.comm.broadcast(steps, 0);
    this.step = steps[0];
    for (const u of this.units) {
      for (const [mine, whole] of [[this.m, state?.m], [this.v, state?.v]] as const) {
        let input: Float32Array | null = null;
        if (this.comm.rank === 0) {
          input = new Float32Array(u.size);
          u.params.forEach((i, j) => input!.set(whole![i], u.starts[j]));
        }
        this.comm.scatter(input, mine.subarray(u.moment, u.moment + u.hi - u.lo), u.counts, 0);
      }
    }
  }
}
