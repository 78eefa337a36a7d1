import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATA_DEFAULTS } from '../../src/data/config.js';
import { PiiStage, ibanValid, luhnValid, scrubPii, type PiiKind } from '../../src/data/pii.js';

const cfg = DATA_DEFAULTS.pii;
const scrub = (t: string): string => scrubPii(t, cfg);

test('e-mail variants are scrubbed; handles and hosts without a domain are kept', () => {
  assert.equal(scrub('Mail john.doe@example.com today.'), 'Mail <EMAIL> today.');
  assert.equal(scrub('JANE+news@mail.example.co.uk'), '<EMAIL>');
  assert.equal(scrub('write to bob [at] example [dot] org now'), 'write to <EMAIL> now');
  assert.equal(scrub('bob (at) mail (dot) example (dot) com'), '<EMAIL>');
  assert.equal(scrub('ping @someone or user@localhost'), 'ping @someone or user@localhost');
});

test('phone variants are scrubbed; dates, ranges, ISBNs and bare ids are kept', () => {
  for (const p of ['(555) 123-4567', '555-123-4567', '555.123.4567', '+1 555 123 4567', '+1-555-123-4567', '+44 20 7946 0958', '+49 (0)30 1234567', '+33 1 23 45 67 89']) {
    assert.equal(scrub(`Call ${p}.`), 'Call <PHONE>.', p);
  }
  const kept = 'On 2023-01-15 (years 1999-2005) see ISBN 978-3-16-148410-0, order 5551234567, score 3-2.';
  assert.equal(scrub(kept), kept);
});

test('card numbers: Luhn-valid ones in card groupings are scrubbed, invalid ones kept', () => {
  assert.ok(luhnValid('4111 1111 1111 1111'));
  assert.ok(!luhnValid('4111 1111 1111 1112'));
  for (const c of ['4111 1111 1111 1111', '4111-1111-1111-1111', '4111111111111111', '3782 822463 10005', '5500 0000 0000 0004']) {
    assert.equal(scrub(`card ${c} ok`), 'card <CREDIT_CARD> ok', c);
  }
  for (const c of ['4111 1111 1111 1112', '4111-1111-1111-1113', '1234567890123']) {
    assert.equal(scrub(`card ${c} ok`), `card ${c} ok`, c);
  }
});

test('IBANs with a valid checksum are scrubbed; a wrong check digit is kept', () => {
  assert.ok(ibanValid('DE89 3704 0044 0532 0130 00'));
  assert.ok(ibanValid('GB82WEST12345698765432'));
  assert.ok(!ibanValid('DE89 3704 0044 0532 0130 01'));
  assert.ok(!ibanValid('DE88 3704 0044 0532 0130 00'));
  assert.equal(scrub('pay DE89 3704 0044 0532 0130 00 THEN stop'), 'pay <IBAN> THEN stop');
  assert.equal(scrub('pay GB82WEST12345698765432.'), 'pay <IBAN>.');
  assert.equal(scrub('pay FR14 2004 1010 0505 0001 3M02 606'), 'pay <IBAN>');
  const bad = 'pay DE89 3704 0044 0532 0130 01 and GB82WEST12345698765433';
  assert.equal(scrub(bad), bad);
});

test('IPv4 and IPv6 are scrubbed; versions, bad octets and times are kept', () => {
  assert.equal(scrub('hosts 192.168.1.1 and 10.0.0.255.'), 'hosts <IP_ADDRESS> and <IP_ADDRESS>.');
  for (const ip of ['2001:db8::ff00:42:8329', 'fe80::1', '::ffff:192.0.2.1', '2001:0db8:85a3:0000:0000:8a2e:0370:7334']) {
    assert.equal(scrub(`at ${ip} now`), 'at <IP_ADDRESS> now', ip);
  }
  const kept = 'Version 1.2.3, v1.2.3.4, release 2.0.1.7, 10.0.0.256, 1.2.3.4.5, pi 3.14, at 12:30:45, std::map';
  assert.equal(scrub(kept), kept);
});

test('kinds can be switched off, and the stage counts replacements by kind', () => {
  assert.equal(scrubPii('a@b.com 192.168.0.1', { ...cfg, ip: false }), '<EMAIL> 192.168.0.1');
  const stage = new PiiStage(cfg);
  stage.run({ id: '1', text: 'x@y.org, z@w.net, 8.8.8.8, +44 20 7946 0958' });
  stage.run({ id: '2', text: 'nothing here' });
  const want: Partial<Record<PiiKind, number>> = { EMAIL: 2, IP_ADDRESS: 1, PHONE: 1 };
  assert.deepEqual(stage.counts.detail, want);
  assert.equal(stage.counts.changed, 1);
});
