// Rejection-sampling fine-tuning: the selection of the best of n per prompt, with a threshold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBest } from '../../src/rlhf/rft/select.js';

test('best of n per prompt, first on ties, none below the threshold', () => {
  assert.deepEqual(selectBest([0.1, 0.9, 0.5, 2, 2, 1], 3), [1, 0]);
  assert.deepEqual(selectBest([0.1, 0.9, 0.5, 2, 2, 1], 3, 1), [-1, 0]);
  assert.deepEqual(selectBest([3, -1], 1), [0, 0]);
  assert.throws(() => selectBest([1, 2, 3], 2), /groups of n = 2/);
});
