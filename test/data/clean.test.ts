import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CleanStage, NormalizeStage } from '../../src/data/clean.js';

test('NFC composes, NFKC also folds compatibility forms', () => {
  const text = 'Cafe\u0301 of\ufb01ce x\u00b2';
  const nfc = new NormalizeStage({ enabled: true, form: 'NFC' });
  const nfkc = new NormalizeStage({ enabled: true, form: 'NFKC' });
  assert.equal(nfc.run({ id: 'a', text })?.text, 'Café of\ufb01ce x\u00b2');
  assert.equal(nfkc.run({ id: 'a', text })?.text, 'Café office x2');
  assert.equal(nfc.run({ id: 'b', text: 'plain' })?.text, 'plain');
  assert.deepEqual([nfc.counts.in, nfc.counts.changed, nfc.counts.out], [2, 1, 2]);
});

test('clean: control and zero-width characters, odd spaces, blank-line runs, CRLF', () => {
  const stage = new CleanStage({ enabled: true, maxBlankLines: 1 });
  const dirty = '  Hello\u0000 wor\u200bld\u00a0\u00a0again\t!\r\n\r\n\r\n\r\nNext  para  \u0007\n';
  assert.equal(stage.run({ id: 'a', text: dirty })?.text, 'Hello world again !\n\nNext para');
  assert.equal(stage.run({ id: 'b', text: ' \u200b \n\n ' }), null);
  assert.equal(stage.counts.detail.control_chars, 4); // NUL, ZWSP, BEL, and the second ZWSP
  assert.equal(stage.counts.detail.empty, 1);
  assert.deepEqual([stage.counts.in, stage.counts.out, stage.counts.removed, stage.counts.changed], [2, 1, 1, 1]);
});
