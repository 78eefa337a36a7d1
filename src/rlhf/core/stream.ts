// An endless stream of batches drawn from a list in a seeded order that is reshuffled every epoch.
// The order is a function of (seed, epoch), so {epoch, cursor} is the stream's whole position and a
// checkpoint resumes it exactly.
import { Rng } from '../../engine/rng.js';
import { hashString32 } from '../../data/hash.js';

export interface StreamState { seed: number; epoch: number; cursor: number; items: number }

export interface Stream<T> {
  next(): T[];
  state(): StreamState;
}

export function shuffledStream<T>(items: readonly T[], batchSize: number, seed: number, state?: unknown, label = 'data'): Stream<T> {
  if (!items.length) throw new Error(`${label}: no training examples`);
  const saved = state as StreamState | undefined;
  if (saved && (saved.seed !== seed || saved.items !== items.length)) {
    throw new Error(`${label}: the checkpoint was written for ${saved.items} examples with seed ${saved.seed}, this run has ${items.length} with seed ${seed}`);
  }
  let epoch = saved?.epoch ?? 0, cursor = saved?.cursor ?? 0;
  const permutation = (e: number): number[] => new Rng(hashString32(`epoch:${e}`, seed)).shuffle(items.map((_, i) => i));
  let order = permutation(epoch);
  return {
    next(): T[] {
      const out: T[] = [];
      for (let b = 0; b < batchSize; b++) {
        if (cursor >= order.length) {
          epoch++;
          cursor = 0;
          order = permutation(epoch);
        }
        out.push(items[order[cursor++]]);
      }
      return out;
    },
    state: () => ({ seed, epoch, cursor, items: items.length }),
  };
}
