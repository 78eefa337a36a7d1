import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATA_DEFAULTS } from '../../src/data/config.js';
import { QualityStage, qualitySignals, qualityVerdict } from '../../src/data/quality.js';

const q = DATA_DEFAULTS.quality;
// 99 words of ordinary prose: passes every default rule.
const PROSE = [
  'The committee met on a grey morning to review the harbour plans, and most members agreed that the old pier',
  'had to be rebuilt before winter. Engineers described the work in careful detail: new pilings, a wider deck,',
  'and lighting that fishermen could rely on after dark. A few residents worried about the cost, which seemed',
  'high for a town of this size, yet the mayor reminded them that storms had already closed the pier twice.',
  'After a long discussion the vote passed with only two objections, and construction will begin in early',
  'September if the weather allows it.',
].join(' ');

test('ordinary prose passes and its signals are plausible', () => {
  const s = qualitySignals(PROSE);
  assert.equal(s.words, 99);
  assert.ok(s.meanWordLength > 3 && s.meanWordLength < 6);
  assert.equal(s.stopWords, 7); // all but "have"
  assert.equal(s.digitRatio, 0);
  assert.equal(s.dupNgramCharRatio['5'], 0);
  assert.equal(qualityVerdict(s, q), null);
});

test('each rule catches the document made to break it', () => {
  const cases: [string, string][] = [
    ['min_words', 'The cat sat with the dog and that was all.'],
    ['max_mean_word_length', PROSE.split(' ').map((w) => w + 'abcdefgh').join(' ')],
    ['symbol_word_ratio', PROSE.split(' ').map((w, i) => (i % 5 === 0 ? '#' + w : w)).join(' ')],
    ['digit_ratio', PROSE + ' ' + '4031 9921 7730 1185 2290 6654 3371 8820 1907 5532 '.repeat(4)],
    ['bullet_lines', PROSE.split(/(?<=\.) /).map((l) => '- ' + l).join('\n')],
    ['ellipsis_lines', PROSE.split(/(?<=\.) /).map((l) => l.replace(/\.$/, '...')).join('\n')],
    ['alpha_word_ratio', PROSE.split(' ').map((w) => w + ' -- ').join(' ')],
    ['stop_words', PROSE.replace(/\b(the|to|be|and|that|of)\b/gi, 'x')],
    ['dup_lines', `${PROSE}\nBuy now.\nBuy now.\nBuy now.\nBuy now.\nBuy now.`],
    ['top_2gram', PROSE + ' very good'.repeat(40)],
    ['dup_5gram', PROSE + ' ' + PROSE.split(' ').slice(0, 30).join(' ')],
  ];
  for (const [want, text] of cases) assert.equal(qualityVerdict(qualitySignals(text), q), want, want);
});

test('repetition signals follow the Gopher definitions', () => {
  // Lines: 4, one repeated twice → 2 duplicates out of 4.
  const s = qualitySignals('alpha beta\ngamma\nalpha beta\nalpha beta');
  assert.equal(s.dupLineRatio, 0.5);
  assert.equal(s.dupLineCharRatio, 20 / 38);
  // Words a b c d e a b c d e: the second "a b c d e" repeats the first 5-gram → 5 of 10 letters.
  assert.equal(qualitySignals('a b c d e a b c d e').dupNgramCharRatio['5'], 0.5);
  // Most frequent 2-gram "a b" occurs 3 times in 7 one-letter words → 6/7.
  assert.equal(qualitySignals('a b a b x a b').topNgramCharRatio['2'], 6 / 7);
});

test('QualityStage counts removals by reason', () => {
  const stage = new QualityStage(q);
  stage.run({ id: '1', text: PROSE });
  stage.run({ id: '2', text: 'too short' });
  assert.deepEqual(stage.counts, { in: 2, out: 1, removed: 1, changed: 0, detail: { min_words: 1 } });
});
