import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { processCorpus, processDocs, splitOf } from '../../src/data/pipeline.js';
import type { Doc } from '../../src/data/stage.js';

/** n pseudo-random letter-only words. */
function words(n: number, seed: number): string[] {
  let s = seed;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push('w' + (s % 5000).toString(36).replace(/\d/g, (d) => 'abcdefghij'[Number(d)]));
  }
  return out;
}

const readJsonl = (p: string): string[] => readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).text);

test('the split is a function of the text: order and corpus size do not matter', () => {
  const texts = Array.from({ length: 400 }, (_, i) => `document number ${i}`);
  const a = texts.map((t) => splitOf(t, 0.1, 'salt'));
  const b = texts.slice().reverse().map((t) => splitOf(t, 0.1, 'salt')).reverse();
  assert.deepEqual(a, b);
  const val = a.filter((s) => s === 'val').length;
  assert.ok(val > 20 && val < 60, `val ${val} of 400 at 10%`);
  // Another salt draws another split; fraction 0 sends everything to train.
  assert.notDeepEqual(texts.map((t) => splitOf(t, 0.1, 'other')), a);
  assert.ok(texts.every((t) => splitOf(t, 0, 'salt') === 'train'));
});

test('a train document near-duplicating a validation document is dropped, even when it comes first', () => {
  const cfg = { quality: { enabled: false }, nearDup: { enabled: false }, split: { valFraction: 0.5, salt: 's', crossDedupThreshold: 0.5 } };
  const base = words(120, 9);
  // Find an edit of the base whose copy lands in the other split (the split hashes the exact text).
  const baseSplit = splitOf(base.join(' '), 0.5, 's');
  let copy = '';
  for (let k = 0; copy === ''; k++) {
    const c = base.slice();
    c[60] = `edit${k}`;
    if (splitOf(c.join(' '), 0.5, 's') !== baseSplit) copy = c.join(' ');
  }
  const [trainText, valText] = baseSplit === 'val' ? [copy, base.join(' ')] : [base.join(' '), copy];
  const docs: Doc[] = [
    { id: 'train-copy', text: trainText },
    { id: 'other', text: words(120, 10).join(' ') },
    { id: 'val-original', text: valText },
  ];
  const r = processDocs(docs, cfg);
  assert.ok(r.val.some((d) => d.id === 'val-original'));
  assert.ok(!r.train.some((d) => d.id === 'train-copy'));
  const cross = r.report.stages.find((s) => s.name === 'cross_split_dedup')!;
  assert.deepEqual(cross.detail, { near_duplicate_of_val: 1 });
});

test('exact duplicates and PII in a small corpus; report counts add up', () => {
  const prose = (i: number): string => `Note ${i}: ` + words(80, i).join(' ') + ' and the end of it.';
  const docs: Doc[] = [
    { id: '1', text: prose(1) },
    { id: '2', text: prose(1) }, // exact duplicate
    { id: '3', text: prose(2) + ' Contact ann@example.org.' },
    { id: '4', text: 'too short' },
  ];
  const r = processDocs(docs, { split: { valFraction: 0 } });
  assert.equal(r.train.length, 2);
  assert.ok(r.train[1].text.endsWith('Contact <EMAIL>.'));
  const by = Object.fromEntries(r.report.stages.map((s) => [s.name, s]));
  assert.deepEqual(by.quality.detail, { min_words: 1 });
  assert.deepEqual(by.exact_dedup.detail, { exact_duplicate: 1 });
  assert.deepEqual(by.pii.detail, { EMAIL: 1 });
  assert.deepEqual(r.report.documents, { in: 4, train: 2, val: 0 });
  for (const s of r.report.stages) assert.equal(s.in, s.out + s.removed, s.name);
});

test('processCorpus: a folder of .txt and .jsonl, a malformed line skipped and reported, files written', async () => {
  const out = mkdtempSync(join(tmpdir(), 'corpus-'));
  const report = await processCorpus('test/fixtures/data/corpus', out, { quality: { enabled: false }, split: { valFraction: 0 } }, { onError: 'skip' });
  assert.deepEqual(readJsonl(join(out, 'train.jsonl')), [
    'First paragraph, line one\nand line two.',
    'Second paragraph.',
    'Third paragraph after several blank lines.',
    'first document',
    'second document',
  ]);
  assert.deepEqual(readJsonl(join(out, 'val.jsonl')), []);
  assert.deepEqual(report.skippedLines, ['test/fixtures/data/corpus/b.jsonl:2: field "text" must be a string, got nothing']);
  assert.equal(report.documents.in, 5);
  assert.ok(!existsSync(join(out, 'train.jsonl.pass1')));
});

test('processCorpus: a malformed line is fatal unless skipping is asked for', async () => {
  const out = mkdtempSync(join(tmpdir(), 'corpus-'));
  await assert.rejects(processCorpus('test/fixtures/data/corpus/b.jsonl', out), /b\.jsonl:2: field "text" must be a string/);
});
