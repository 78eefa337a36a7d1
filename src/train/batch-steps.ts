// A BatchMethod (data and a loss) as the loop's StepMethod: gradAccum micro-batches, Σ loss / Σ
// weight, one update. Under data parallelism each rank takes its rows of every global micro-batch.
import { Tensor } from '../engine/tensor.js';
import { shardRange, type Communicator } from '../distributed/communicator.js';
import type { BatchMethod, BatchSplit, BatchStream, StepMethod } from './loop.js';

const arraySplit: BatchSplit<unknown> = {
  rows: (b) => (b as unknown[]).length,
  take: (b, lo, hi) => (b as unknown[]).slice(lo, hi),
};

/** A BatchMethod as a StepMethod: gradAccum micro-batches, Σ loss / Σ weight, one update. With
 * several ranks each takes its rows of every micro-batch; a mean loss (no `weight`) then stands
 * for its share of the rows, so that every rank's gradient, weighted by its Σ weight, averages to
 * the whole batch's. */
export function batchSteps<B>(m: BatchMethod<B>, comm: Communicator): StepMethod {
  let stream: BatchStream<B> | null = null;
  const M = m.config.gradAccum;
  const split = m.split ?? (arraySplit as BatchSplit<B>);
  /** This rank's rows of a global micro-batch (null when it has fewer rows than there are ranks
   * and none fall to this one), and the share of the rows they are. */
  const share = (b: B): { batch: B | null; fraction: number } => {
    if (comm.size === 1) return { batch: b, fraction: 1 };
    if (!m.split && !Array.isArray(b)) throw new Error(`${m.label}: its batches are not arrays, so it needs a split() to run on ${comm.size} ranks`);
    const rows = split.rows(b), [lo, hi] = shardRange(rows, comm.rank, comm.size);
    return { batch: hi > lo ? split.take(b, lo, hi) : null, fraction: (hi - lo) / rows };
  };
  return {
    ...m,
    start: (position, rng) => { stream = m.batches(position, rng); },
    position: () => stream!.state(),
    finish: () => stream?.close?.(),
    step: (ctx) => {
      // Micro-batches with no rows for this rank (the end of an epoch) weigh nothing here.
      const micro = Array.from({ length: M }, () => share(stream!.next())).filter((x): x is { batch: B; fraction: number } => x.batch !== null);
      // A mean loss over a share of the rows counts as that share of one unit.
      const scales = micro.map(({ fraction }) => (m.weight ? 1 : fraction));
      const weights = micro.map(({ batch, fraction }) => (m.weight ? m.weight(batch) : fraction));
      const W = weights.reduce((a, w) => a + w, 0);
      let lossSum = 0, tokens = 0;
      const sums: Record<string, number> = {};
      micro.forEach(({ batch }, i) => {
        const out = m.loss(batch, ctx.rng);
        lossSum += scales[i] * out.loss.item();
        tokens += m.tokens?.(batch) ?? 0;
        // Each micro-batch is scaled by the step's total weight (not its own), so the step's
        // gradient is that of the loss averaged over all its units: accumulation = one big batch.
        if (W > 0) out.loss.backward(Tensor.scalar(scales[i] / W));
        if (out.aux) out.aux.backward(Tensor.scalar(1 / M));
        for (const [k, v] of Object.entries(out.metrics ?? {})) sums[k] = (sums[k] ?? 0) + (v * weights[i]) / W;
      });
      const loss = W > 0 ? lossSum / W : 0;
      ctx.update({ loss }, { weight: W });
      return { metrics: { ...(W > 0 ? sums : {}), loss }, tokens, weight: W };
    },
  };
}
