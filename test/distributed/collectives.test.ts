// The collectives against values computed by hand: on the single-process communicator (the
// reference) in this process, and on Open MPI with three ranks (an odd count, on buffers of seven
// elements, so no block divides evenly); every error names its rank.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SingleProcess, shardCounts, shardRange, type Communicator } from '../../src/distributed/communicator.js';
import { minibatches } from '../../src/distributed/shard.js';
import { tmp } from '../train/helpers.js';
import { exercise, type Exercised } from './collectives-worker.js';
import { mpiSkipReason, mpirun, output } from './helpers.js';

const WORKER = fileURLToPath(new URL('./collectives-worker.js', import.meta.url));
const range = <T = number>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/** What rank r of N must see, worked out from the definitions. */
function expected(r: number, N: number): Record<string, number[]> {
  const S = (N * (N + 1)) / 2; // Σ (rank + 1)
  const counts = [...shardCounts(7, N)];
  const [lo, hi] = shardRange(7, r, N);
  return {
    'allReduce sum': range(7, (i) => S * (i + 1)),
    'allReduce mean': range(7, (i) => (S / N) * (i + 1)),
    'allReduce max': range(7, (i) => N * (i + 1)),
    'allReduce min': range(7, (i) => i + 1),
    'allReduce f64': [range(N, (k) => k + 0.25).reduce((a, x) => a + x, 0), range(N, (k) => 1e-9 * k).reduce((a, x) => a + x, 0)],
    'allReduce empty': [],
    'allGather equal': range(N, (k) => [k, k + 0.5]).flat(),
    'allGather counts': range(7, (i) => 10 + i),
    'allGather i32': range(N, (k) => -k),
    'allGatherJson': range(N, (k) => k),
    'reduceScatter sum': range(hi - lo, (i) => S * (lo + i)),
    'reduceScatter mean': range(hi - lo, (i) => (S / N) * (lo + i)),
    'reduceScatterInPlace': range(hi - lo, (i) => S * (lo + i)),
    'allGatherInPlace': range(7, (i) => 10 + i),
    'broadcast': [N - 1, N - 1, N - 1],
    'broadcast u8': [0, 200],
    'broadcastJson': [42],
    'gather': r === N - 1 ? range(N, (k) => range(k + 1, (i) => 100 * k + i)).flat() : [],
    'scatter': range(counts[r], (i) => (lo + i) ** 2),
  };
}

function check(got: Exercised): void {
  const want = expected(got.rank, got.size);
  assert.deepEqual(Object.keys(got.results).sort(), Object.keys(want).sort());
  for (const [name, values] of Object.entries(want)) {
    const g = got.results[name];
    assert.equal(g.length, values.length, `rank ${got.rank}: ${name} length`);
    g.forEach((x, i) => assert.ok(Math.abs(x - values[i]) <= 1e-6 * Math.max(1, Math.abs(values[i])), `rank ${got.rank} of ${got.size}: ${name}[${i}] = ${x}, want ${values[i]}`));
  }
  const at = `on rank ${got.rank} of ${got.size}: `;
  assert.match(got.errors[0], new RegExp(`^allGather ${at}counts must have ${got.size} entries`));
  assert.match(got.errors[1], new RegExp(`^reduceScatter ${at}out has 1 elements, but counts gives this rank ${shardCounts(7, got.size)[got.rank]}`));
  assert.match(got.errors[2], new RegExp(`^broadcast ${at}root must be a rank`));
  assert.match(got.errors[3], new RegExp(`^allReduce ${at}buf must be a Float32Array or Float64Array`));
}

test('shardRange splits n items into blocks that differ by at most one, in rank order', () => {
  for (const [n, N] of [[7, 3], [2, 3], [10, 4], [5, 1], [0, 2]]) {
    const blocks = range(N, (r) => shardRange(n, r, N));
    assert.equal(blocks[0][0], 0);
    assert.equal(blocks[N - 1][1], n);
    blocks.forEach(([lo], r) => { if (r > 0) assert.equal(lo, blocks[r - 1][1]); });
    const sizes = blocks.map(([lo, hi]) => hi - lo);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${n} over ${N}: ${sizes}`);
    assert.deepEqual([...shardCounts(n, N)], sizes);
  }
});

test('minibatches: one process keeps its consecutive slices; ranks all take the global count', () => {
  const rows = range(10, (i) => i);
  assert.deepEqual(minibatches(rows, 10, 4, new SingleProcess()), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  const three = { size: 3 } as unknown as Communicator;
  // 10 rows over 3 ranks (4, 3, 3) in minibatches of 4: three updates on every rank.
  const parts = minibatches(range(3, (i) => i), 10, 4, three);
  assert.equal(parts.length, 3);
  assert.deepEqual(parts.flat(), [0, 1, 2]);
  assert.equal(minibatches(range(4, (i) => i), 10, 4, three).length, 3);
});

test('collectives on the single-process communicator match the hand-computed values', () => {
  check(exercise(new SingleProcess()));
});

test('collectives on Open MPI with three ranks match the hand-computed values', (t) => {
  const skip = mpiSkipReason();
  if (skip) return t.skip(skip);
  const dir = tmp('collectives');
  const r = mpirun(3, [WORKER, '--worker', dir]);
  assert.equal(r.status, 0, output(r));
  for (let rank = 0; rank < 3; rank++) {
    const got = JSON.parse(readFileSync(join(dir, `rank-${rank}.json`), 'utf8')) as Exercised;
    assert.equal(got.size, 3);
    check(got);
    assert.match(got.errors[4], new RegExp(`^allReduce on rank ${rank} of 3: buf must be a Float32Array or Float64Array`), 'the binding checks too');
  }
});
