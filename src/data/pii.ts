// PII scrubbing: e-mail addresses, phone numbers, IPv4/IPv6 addresses, payment card numbers and
// IBANs become typed placeholders (<EMAIL>, <PHONE>, <IP_ADDRESS>, <CREDIT_CARD>, <IBAN>). Each
// pattern finds candidates; a validator then rejects look-alikes, so "1.2.3" stays a version, a
// 16-digit number failing the Luhn check stays a number and an IBAN with a bad checksum stays text.
// Order matters: e-mails first (they contain dots and digits), phones last (they are the loosest).
import { isIPv6 } from 'node:net';
import type { PiiConfig } from './config.js';
import { Stage, type Doc } from './stage.js';

export type PiiKind = 'EMAIL' | 'IBAN' | 'CREDIT_CARD' | 'IP_ADDRESS' | 'PHONE';

interface Rule {
  kind: PiiKind;
  enabled: (c: PiiConfig) => boolean;
  pattern: RegExp;
  /** The part of the match to replace (from its start), or 0 to keep the match. */
  accept: (match: string, text: string, offset: number) => number;
}

const all = (m: string): number => m.length;

// Ordinary addresses, and the "name [at] host [dot] org" spelling used to dodge scrapers.
const EMAIL = /(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?![\w-])/g;
const EMAIL_SPELLED = /(?<![\w.+-])[A-Za-z0-9][\w.+-]*\s*[[(]\s*at\s*[\])]\s*[A-Za-z0-9-]+(?:\s*[[(]\s*dot\s*[\])]\s*[A-Za-z0-9-]+)+/gi;
// Two letters, two check digits, then groups of up to four letters/digits, spaced or not. The
// pattern may run into a following word; `ibanPrefix` keeps the longest prefix that validates.
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\b/g;
// 13–19 digits with single spaces or hyphens between them.
const CARD = /(?<![\d.,-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
// Hex groups with colons (at least two), or an IPv4-mapped tail; isIPv6 decides.
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?![\w:]|\.\d)/g;
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
// Exactly four octets: a fifth part, a leading dot or a following digit mark a version or a number.
const IPV4 = new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?!\\.?\\d|\\w)`, 'g');
// North American 3-3-4 with optional +1 and area code in parentheses, or an international number
// starting with +country code.
const PHONE = /(?<![\w+])(?:(?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}|\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5})(?![\w]|[.-]\d)/g;

const RULES: Rule[] = [
  { kind: 'EMAIL', enabled: (c) => c.email, pattern: EMAIL, accept: all },
  { kind: 'EMAIL', enabled: (c) => c.email, pattern: EMAIL_SPELLED, accept: all },
  { kind: 'IBAN', enabled: (c) => c.iban, pattern: IBAN, accept: ibanPrefix },
  { kind: 'CREDIT_CARD', enabled: (c) => c.creditCard, pattern: CARD, accept: (m) => (isCardNumber(m) ? m.length : 0) },
  { kind: 'IP_ADDRESS', enabled: (c) => c.ip, pattern: IPV6, accept: (m) => (isIPv6(m) && /\d/.test(m) ? m.length : 0) },
  { kind: 'IP_ADDRESS', enabled: (c) => c.ip, pattern: IPV4, accept: (m, text, at) => (afterVersionWord(text, at) ? 0 : m.length) },
  { kind: 'PHONE', enabled: (c) => c.phone, pattern: PHONE, accept: (m) => (isPhone(m) ? m.length : 0) },
];

/** Luhn (mod 10) check over the digits of s. */
export function luhnValid(s: string): boolean {
  const digits = s.replace(/\D/g, '');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** A card number: 13–19 digits, Luhn-valid, and grouped as cards print them (no separators,
 * 4-4-4-4(-3), Amex 4-6-5 or Diners 4-6-4); other groupings are phone or account numbers. */
function isCardNumber(m: string): boolean {
  const groups = m.split(/[ -]/).map((g) => g.length);
  const digits = groups.reduce((a, b) => a + b, 0);
  if (digits < 13 || digits > 19 || !luhnValid(m)) return false;
  if (groups.length === 1) return true;
  const shape = groups.join('-');
  return /^4-4-4-[1-7]$/.test(shape) || /^4-4-4-4-[1-3]$/.test(shape) || shape === '4-6-5' || shape === '4-6-4';
}

/** ISO 13616 check: move the first four characters to the end, letters to 10…35, mod 97 == 1. */
export function ibanValid(s: string): boolean {
  const iban = s.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const len = IBAN_LENGTHS[iban.slice(0, 2)];
  if (len !== undefined && iban.length !== len) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const v = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    rem = (v >= 10 ? rem * 100 + v : rem * 10 + v) % 97;
  }
  return rem === 1;
}

// Lengths for common countries; others only need 15–34 characters and a valid checksum.
const IBAN_LENGTHS: Record<string, number> = {
  AT: 20, BE: 16, CH: 21, CZ: 24, DE: 22, DK: 18, ES: 24, FI: 18, FR: 27, GB: 22, IE: 22, IT: 27,
  LU: 20, NL: 18, NO: 15, PL: 28, PT: 25, SE: 24,
};

function ibanPrefix(m: string): number {
  // Try cutting at each space from the longest prefix down, so a trailing word is left alone.
  const cuts = [m.length];
  for (let i = m.length - 1; i > 0; i--) if (m[i] === ' ') cuts.push(i);
  for (const cut of cuts) if (ibanValid(m.slice(0, cut))) return cut;
  return 0;
}

function afterVersionWord(text: string, at: number): boolean {
  return /\b(?:v|ver\.?|version|release|build)\s*$/i.test(text.slice(Math.max(0, at - 12), at));
}

/** A phone candidate needs separators, parentheses or a leading + (a bare run of digits is more
 * often an id than a phone number) and 10–15 digits. */
function isPhone(m: string): boolean {
  const digits = m.replace(/\D/g, '').length;
  return /[^\d]/.test(m) && digits >= 10 && digits <= 15;
}

/** Replaces every enabled kind of PII in text; counts replacements by kind into `counts`. */
export function scrubPii(text: string, cfg: PiiConfig, counts: Partial<Record<PiiKind, number>> = {}): string {
  let out = text;
  for (const rule of RULES) {
    if (!rule.enabled(cfg)) continue;
    out = out.replace(rule.pattern, (m: string, ...rest: unknown[]) => {
      const offset = rest[rest.length - 2] as number;
      const whole = rest[rest.length - 1] as string;
      const keep = rule.accept(m, whole, offset);
      if (keep === 0) return m;
      counts[rule.kind] = (counts[rule.kind] ?? 0) + 1;
      return `<${rule.kind}>${m.slice(keep)}`;
    });
  }
  return out;
}

export class PiiStage extends Stage {
  readonly name = 'pii';
  constructor(private readonly cfg: PiiConfig) {
    super();
  }

  protected apply(doc: Doc): Doc {
    const counts: Partial<Record<PiiKind, number>> = {};
    const text = scrubPii(doc.text, this.cfg, counts);
    for (const [kind, n] of Object.entries(counts)) this.note(kind, n);
    return text === doc.text ? doc : { ...doc, text };
  }
}
