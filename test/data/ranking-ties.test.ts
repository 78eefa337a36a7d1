import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/formats.js';
import type { DataError } from '../../src/data/jsonl.js';
import { loadRankings, tiedRankingPairs } from '../../src/rlhf/reward/data.js';
import { rankingPairs } from '../../src/rlhf/reward/loss.js';
import { trainBpe } from '../../src/tokenizer/index.js';

const write = (lines: object[]): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'ties-')), 'rankings.jsonl');
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
};

test('ranking records may name tied groups: adjacent in the ranking, two or more, disjoint', async () => {
  const base = { prompt: 'What is 2 + 2?', responses: ['4', '5', 'four', '22'], ranking: [0, 2, 1, 3] };
  const file = write([
    { ...base, ties: [[0, 2], [1, 3]] },
    { ...base },
    { ...base, ties: [[0, 1]] },
    { ...base, ties: [[0]] },
    { ...base, ties: [[0, 2], [2, 1]] },
    { ...base, ties: [[0, 7]] },
    { ...base, ties: 'all' },
  ]);
  const errors: DataError[] = [];
  const { records } = await loadDataset(file, 'ranking', { onError: 'skip', errors });
  assert.equal(records.length, 2);
  assert.deepEqual(records[0].ties, [[0, 2], [1, 3]]);
  assert.deepEqual(errors.map((e) => e.message.replace(/^.*rankings\.jsonl:/, '')), [
    '3: ties[0] [0,1] must sit next to each other in ranking [0,2,1,3] (format ranking)',
    '4: ties[0] must list two or more of 0…3, got [0] (format ranking)',
    '5: ties[1] repeats a response already tied: [2,1] (format ranking)',
    '6: ties[0] must list two or more of 0…3, got [0,7] (format ranking)',
    '7: ties must be a list of groups of response indices, got "all" (format ranking)',
  ]);
});

test('the reward model forms no pair inside a tie; each element still weighs the same', () => {
  // Ranking [2, 0, 3, 1] with 0 and 3 tied: pairs 2>0, 2>3, 2>1, 0>1, 3>1 (five, not six), each
  // 1 / (5 × 2); the second element, a strict ranking of two, has one pair of weight 1 / (1 × 2).
  const pairs = tiedRankingPairs([{ ranking: [2, 0, 3, 1], ties: [[0, 3]] }, { ranking: [1, 0], ties: [] }]);
  assert.deepEqual([...pairs.winners], [2, 2, 2, 0, 3, 4 + 1]);
  assert.deepEqual([...pairs.losers], [0, 3, 1, 1, 1, 4 + 0]);
  assert.deepEqual([...pairs.weights], [...Array(5).fill(Math.fround(1 / 10)), 0.5]);
  // Without ties it is rankingPairs itself.
  const strict = [{ ranking: [2, 0, 3, 1], ties: [] }, { ranking: [0, 1], ties: [] }];
  assert.deepEqual(tiedRankingPairs(strict), rankingPairs(strict.map((e) => e.ranking)));
});

test('loadRankings keeps the ties and leaves out a ranking whose responses all tie', async () => {
  const tok = trainBpe(['What is 2 + 2? 4 5 four'], { vocabSize: 300, specialTokens: ['<|endoftext|>'], config: { eosToken: '<|endoftext|>' } });
  const file = write([
    { prompt: 'What is 2 + 2?', responses: ['4', '5', 'four'], ranking: [0, 2, 1], ties: [[0, 2]] },
    { prompt: 'What is 2 + 2?', responses: ['4', 'four'], ranking: [0, 1], ties: [[0, 1]] },
  ]);
  const r = await loadRankings(file, tok, 256);
  assert.equal(r.examples.length, 1);
  assert.deepEqual(r.examples[0].ties, [[0, 2]]);
  assert.equal(r.tied, 1);
  assert.equal(r.dropped, 0);
});
