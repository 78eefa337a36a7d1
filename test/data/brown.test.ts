import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brownDetokenize, brownDocuments, brownSentences } from '../../src/data/brown.js';

test('detokenize: quotes, punctuation, Jr., doubled marks, headlines', () => {
  const tagged = [
    '',
    '\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn \'\'/\'\' was/bedz found/vbn ,/, by/in Ivan/np Allen/np Jr./np ./.',
    "\tHe/pps wrote/vbd more/ap '/' pro/jj '/' letters/nns (/( two/cd )/) ?/. ?/.",
    '',
    '',
    'Merger/nn-hl proposed/vbn-hl',
    '\tIt/pps ended/vbd ;/. then/rb --/-- nothing/pn ./.',
  ].join('\n');
  assert.equal(
    brownDetokenize(tagged),
    'The jury said "no evidence" was found, by Ivan Allen Jr. He wrote more \'pro\' letters (two)?' +
      '\n\nMerger proposed\n\nIt ended; then -- nothing.',
  );
});

test('brownDocuments: 500 documents with categories and no tags left', () => {
  const docs = [...brownDocuments()];
  assert.equal(docs.length, 500);
  assert.equal(docs[0].id, 'ca01');
  assert.equal(docs[0].category, 'news');
  assert.ok(docs[0].text.startsWith('The Fulton County Grand Jury said Friday'));
  const cats = new Set(docs.map((d) => d.category));
  assert.equal(cats.size, 15);
  // No word/tag pairs survive (a slash between letters with a lowercase tag after it).
  const tagged = docs.filter((d) => /\b[A-Za-z]+\/(?:nn|at|in|vbd|jj)\b/.test(d.text));
  assert.deepEqual(tagged.map((d) => d.id), []);
});

test('brownSentences: one detokenized sentence per line', () => {
  const first = brownSentences()[Symbol.iterator]().next().value;
  assert.deepEqual(first, {
    docId: 'ca01',
    text: 'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
  });
});
