import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATA_DEFAULTS } from '../../src/data/config.js';
import { DecontamStage, EvalNgramIndex } from '../../src/data/decontam.js';

const cfg = DATA_DEFAULTS.decontam; // 13-grams, eval examples of 8–12 words matched whole
const EVAL = 'Which river flows through the ancient city of Verona before reaching the Adriatic Sea near Venice?';

test('a document sharing a 13-word run with an eval example is contaminated; 12 words are not enough', () => {
  const index = new EvalNgramIndex(cfg, [{ name: 'geo-qa', texts: [EVAL] }]);
  const words = EVAL.replace('?', '').split(' ');
  const with13 = `Trivia night notes: ${words.slice(2, 15).join(' ')} was the last question.`;
  const with12 = `Trivia night notes: ${words.slice(2, 14).join(' ')} was the last question.`;
  assert.equal(index.match(with13), 'geo-qa');
  assert.equal(index.match(with12), null);
  // Case and punctuation cannot hide the overlap.
  assert.equal(index.match(with13.toUpperCase().replace(/ /g, ', ')), 'geo-qa');
});

test('short eval examples are matched whole; very short ones are ignored', () => {
  const index = new EvalNgramIndex(cfg, [{ name: 'arith', texts: ['What is the sum of seventeen and twenty five?', 'What is 2 + 2?'] }]);
  assert.equal(index.match('Quiz: what is the sum of seventeen and twenty-five? Answer later.'), 'arith');
  assert.equal(index.match('I asked what is 2 + 2 today.'), null);
});

test('DecontamStage drops contaminated documents and names the eval set', () => {
  const stage = new DecontamStage(new EvalNgramIndex(cfg, [{ name: 'geo-qa', texts: [EVAL] }]));
  assert.equal(stage.run({ id: 'a', text: `Copied: ${EVAL}` }), null);
  assert.ok(stage.run({ id: 'b', text: 'An unrelated note about rivers and cities in general.' }));
  assert.deepEqual(stage.counts.detail, { 'contaminated:geo-qa': 1 });
});
