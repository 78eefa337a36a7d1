// What the training loop does with gradients and the optimizer, for one process or for several
// data-parallel ranks (src/distributed). Every rank holds the whole model, starts from rank 0's weights,
// computes gradients on its share of the step's data, and then:
//   - plain data parallelism (DDP, Horovod): the gradients are averaged with all-reduces, small
//     ones fused into buckets; every rank clips the same averaged gradient and runs the same AdamW
//     update, so the weights stay identical;
//   - ZeRO stage 1 (zero.ts): the gradients are reduce-scattered, each rank updates its block of the
//     weights with its block of AdamW's moments, and the blocks are all-gathered.
// The average is weighted: rank r's gradient g_r counts w_r / Σ w (w_r = 1 by default, the plain
// mean; the batch methods pass how many loss units their share held, so the average equals the
// gradient of the whole batch). With one rank (and no ZeRO) none of this runs: the loop clips and
// steps exactly as it always has.
import { kernels } from '../engine/backend.js';
import { Tensor } from '../engine/tensor.js';
import { allGatherJson, type Communicator } from '../distributed/communicator.js';
import { AdamW, clipGradNorm, type AdamWConfig, type AdamWState, type ParamGroup } from '../nn/index.js';
import type { StepOutput } from './loop.js';
import { ZeroAdamW } from './zero.js';

/** Gradients smaller than this (in floats: 16 MiB) are fused into one all-reduce, as Horovod's
 * fusion buffer and DDP's 25 MB buckets; a larger one is reduced alone, in place, with no copy. */
export const BUCKET_FLOATS = 4 << 20;

export interface OptimizerMemory {
  /** Bytes of AdamW moments on this rank, and on one rank without ZeRO. */
  momentBytes: number;
  unshardedMomentBytes: number;
  /** Bytes of buffers that carry gradients and weights through the collectives. */
  bufferBytes: number;
}

export class DataParallel {
  private readonly adam: AdamW | null;
  private readonly zero: ZeroAdamW | null;
  /** The trained parameters in the optimizer's order, and each one's parameter set. */
  private readonly ordered: Tensor[];
  private readonly setOf: number[];
  private fusion: Float32Array | null = null;
  /** Seconds spent combining gradients and sharing weights (collectives, and their copies). */
  commSeconds = 0;

  /** `sets`: the parameter sets clipped separately (their tensors, all of them in `groups`). */
  constructor(readonly comm: Communicator, readonly groups: ParamGroup[], config: AdamWConfig, private readonly sets: Tensor[][], zero: boolean) {
    this.adam = zero ? null : new AdamW(groups, config);
    this.zero = zero ? new ZeroAdamW(groups, config, comm) : null;
    this.ordered = groups.flatMap((g) => g.params);
    const setIndex = new Map(sets.flatMap((ps, s) => ps.map((p) => [p, s] as const)));
    this.setOf = this.ordered.map((p) => setIndex.get(p)!);
  }

  /** Whether gradients go through the collectives (several ranks, or ZeRO). */
  get distributed(): boolean {
    return this.comm.size > 1 || this.zero !== null;
  }

  /** Optimizer updates taken so far. */
  get step(): number {
    return this.adam ? this.adam.step : this.zero!.step;
  }

  /** Every rank takes rank 0's values of these arrays (the trained weights, the EMA). */
  broadcast(arrays: Float32Array[]): void {
    if (this.comm.size === 1) return;
    for (const a of arrays) this.comm.broadcast(a, 0);
  }

  /** Combines the gradients the backward passes left on the parameters, weighted by `weight`, and
   * clips each set to maxNorm. Returns each set's norm before clipping, or null when no rank had
   * anything to learn from (every weight 0): then the update is skipped. */
  gradients(maxNorm: number, weight = 1): number[] | null {
    if (!this.distributed) return this.sets.map((ps) => clipGradNorm(ps, maxNorm));
    const t0 = performance.now();
    try {
      return this.combine(maxNorm, weight);
    } finally {
      this.commSeconds += (performance.now() - t0) / 1000;
    }
  }

  private combine(maxNorm: number, weight: number): number[] | null {
    const n = this.ordered.length;
    // One small all-reduce first: which parameters have a gradient on some rank (AdamW skips the
    // others, as in one process), and the total weight.
    const flags = new Float64Array(n + 1);
    this.ordered.forEach((p, i) => { flags[i] = p.grad ? 1 : 0; });
    flags[n] = weight;
    this.comm.allReduce(flags);
    const total = flags[n];
    if (!(total > 0)) {
      for (const p of this.ordered) p.grad = null;
      return null;
    }
    const live = this.ordered.map((_, i) => flags[i] > 0);
    if (this.zero) {
      this.zero.reduce(live, weight);
      return this.zero.clip(this.setOf, this.sets.length, maxNorm, 1 / total);
    }
    const reduced = this.ordered.filter((p, i) => {
      if (live[i] && !p.grad) p.grad = Tensor.zeros(p.shape);
      return live[i];
    });
    this.allReduce(reduced, weight, 1 / total);
    return this.sets.map((ps) => clipGradNorm(ps, maxNorm));
  }

  /** AdamW at learning rate lr on the combined, clipped gradients. */
  update(lr: number): void {
    if (this.adam) return this.adam.update(lr);
    const t0 = performance.now();
    this.zero!.update(lr);
    this.commSeconds += (performance.now() - t0) / 1000;
  }

  /** AdamW's whole state for a checkpoint: on rank 0 (under ZeRO gathered from every rank, so
   * every rank must call this); null on the others. */
  state(): AdamWState | null {
    if (this.zero) return this.zero.gatherState();
    return this.comm.rank === 0 ? this.adam!.state() : null;
  }

  /** Restores the state rank 0 read from a checkpoint (pass null on the other ranks). */
  load(state: AdamWState | null): void {
    if (this.zero) return this.zero.scatterState(state);
    if (this.comm.size === 1) return this.adam!.load(state!);
    const s = state ?? { step: 0, m: this.ordered.map((p) => new Float32Array(p.size)), v: this.ordered.map((p) => new Float32Array(p.size)) };
    const step = Float64Array.of(s.step);
    this.comm.broadcast(step, 0);
    this.broadcast([...s.m, ...s.v]);
    this.adam!.load({ step: step[0], m: s.m, v: s.v });
  }

  memory(): OptimizerMemory {
    if (this.zero) {
      const z = this.zero.memory();
      return { momentBytes: z.moments, unshardedMomentBytes: z.unsharded, bufferBytes: z.buffers };
    }
    const total = this.ordered.reduce((a, p) => a + p.size, 0);
    return { momentBytes: 8 * total, unshardedMomentBytes: 8 * total, bufferBytes: 4 * (this.fusion?.length ?? 0) };
  }

  /** grad ← by · Σ_ranks scale · grad for each tensor, fusing small gradients into buckets. */
  private allReduce(params: Tensor[], scale: number, by: number): void {
    const k = kernels();
    const small = params.filter((p) => p.size <= BUCKET_FLOATS / 2).reduce((a, p) => a + p.size, 0);
    if (small && (!this.fusion || this.fusion.length < Math.min(BUCKET_FLOATS, small))) this.fusion = new Float32Array(Math.min(BUCKET_FLOATS, small));
    const pending: Tensor[] = [];
    let used = 0;
    const flush = (): void => {
      if (!pending.length) return;
      this.comm.allReduce(this.fusion!.subarray(0, used));
      let at = 0;
      for (const p of pending) {
        k.affine(p.grad!.f, this.fusion!.subarray(at, at + p.size), p.size, by, 0);
        at += p.size;
      }
      pending.length = 0;
      used = 0;
    };
    for (const p of params) {
      const g = p.grad!.f;
      if (p.size > BUCKET_FLOATS / 2) {
        if (scale !== 1) k.affine(g, g, p.size, scale, 0);
        this.comm.allReduce(g);
        if (by !== 1) k.affine(g, g, p.size, by, 0);
        continue;
      }
      if (used + p.size > this.fusion!.length) flush();
      k.affine(this.fusion!.subarray(used, used + p.size), g, p.size, scale, 0);
      pending.push(p);
      used += p.size;
    }
    flush();
  }
}

/** The step's figures averaged over the ranks (weighted by each rank's `weight`; a key counts the
 * ranks that report it), its tokens summed. */
export function acrossRanks(comm: Communicator, out: StepOutput): StepOutput {
  const all = allGatherJson(comm, { metrics: out.metrics, tokens: out.tokens ?? 0, weight: out.weight ?? 1 });
  const sums: Record<string, number> = {}, weights: Record<string, number> = {};
  for (const r of all) {
    for (const [k, v] of Object.entries(r.metrics)) {
      // JSON carries NaN as null: a rank's NaN makes the mean NaN.
      sums[k] = (sums[k] ?? 0) + (v ?? NaN) * r.weight;
      weights[k] = (weights[k] ?? 0) + r.weight;
    }
  }
  const metrics = Object.fromEntries(Object.keys(sums).map((k) => [k, weights[k] > 0 ? sums[k] / weights[k] : sums[k]]));
  return { metrics, tokens: all.reduce((a, r) => a + r.tokens, 0) };
}
