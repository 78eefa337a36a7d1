// Hand-written scanners for the GPT-2 and cl100k pre-tokenizer patterns: the fast path.
//
// Each `*PieceEnd(s, i, n)` returns where the regex match starting at i ends, treating n as the end
// of the string, exactly as `new RegExp(pattern, 'uy')` would with s.slice(0, n). The regexes in
// pretokenize.ts are the specification; test/tokenizer/scan.test.ts fuzzes both against each other.
// Characters are classified the way the regex engine does it under the `u` flag: whitespace is
// JavaScript's `\s` (which, unlike Rust's, includes U+FEFF and excludes U+0085), letters `\p{L}`,
// numbers `\p{N}`, and everything else (lone surrogates included) is "other". A surrogate pair is
// one code point; whitespace is always a single UTF-16 unit.

const WS = 1;
const L = 2;
const N = 3;
const O = 4;

const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII[c] = classify(String.fromCharCode(c));

let bmpTable: Uint8Array | undefined;
function bmp(): Uint8Array {
  if (!bmpTable) {
    bmpTable = new Uint8Array(65536);
    for (let c = 0; c < 65536; c++) bmpTable[c] = c >= 0xd800 && c <= 0xdfff ? O : classify(String.fromCharCode(c));
  }
  return bmpTable;
}

const astral = new Map<number, number>();

function classify(ch: string): number {
  return /\s/u.test(ch) ? WS : /\p{L}/u.test(ch) ? L : /\p{N}/u.test(ch) ? N : O;
}

/** Class of the code point at i in the low 4 bits, its width in UTF-16 units above them. */
function classAt(s: string, i: number, n: number): number {
  const c = s.charCodeAt(i);
  if (c < 128) return ASCII[c] | 16;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      let k = astral.get(cp);
      if (k === undefined) astral.set(cp, (k = classify(String.fromCodePoint(cp))));
      return k | 32;
    }
  }
  return bmp()[c] | 16;
}

function isSpace(c: number): boolean {
  return c < 128 ? ASCII[c] === WS : bmp()[c] === WS;
}

/** End of the run of class k that continues at p. */
function runEnd(s: string, p: number, n: number, k: number): number {
  while (p < n) {
    const c = s.charCodeAt(p);
    if (c < 128) {
      if (ASCII[c] !== k) break;
      p++;
      continue;
    }
    const x = classAt(s, p, n);
    if ((x & 15) !== k) break;
    p += x >> 4;
  }
  return p;
}

/** `\s+(?!\S)|\s+` at i: a whitespace run, less its last char when a non-space follows it. */
function spaceEnd(s: string, i: number, n: number): number {
  let p = i;
  while (p < n && isSpace(s.charCodeAt(p))) p++;
  return p < n && p - i >= 2 ? p - 1 : p;
}

/** `'s|'t|'re|'ve|'m|'ll|'d` at i (an apostrophe), case-folded when `fold` is 32; 0 when none. */
function contractionEnd(s: string, i: number, n: number, fold: number): number {
  if (i + 1 >= n) return 0;
  const d = s.charCodeAt(i + 1) | fold;
  if (d === 115 || d === 116 || d === 109 || d === 100) return i + 2; // s t m d
  if (i + 2 >= n) return 0;
  const e = s.charCodeAt(i + 2) | fold;
  if ((d === 114 && e === 101) || (d === 118 && e === 101) || (d === 108 && e === 108)) return i + 3; // re ve ll
  return 0;
}

/** GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` */
export function gpt2PieceEnd(s: string, i: number, n: number): number {
  const c = s.charCodeAt(i);
  if (c === 39) {
    const e = contractionEnd(s, i, n, 0);
    if (e) return e;
  }
  let j = i;
  if (c === 32 && i + 1 < n && !isSpace(s.charCodeAt(i + 1))) j = i + 1; // ` ?` before a non-space
  const x = classAt(s, j, n);
  const k = x & 15;
  return k === WS ? spaceEnd(s, i, n) : runEnd(s, j + (x >> 4), n, k);
}

/**
 * cl100k: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 * ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
 */
export function cl100kPieceEnd(s: string, i: number, n: number): number {
  const c = s.charCodeAt(i);
  if (c === 39) {
    const e = contractionEnd(s, i, n, 32);
    if (e) return e;
  }
  const x = classAt(s, i, n);
  const k = x & 15;
  const w = x >> 4;
  if (k === L) return runEnd(s, i + w, n, L);
  if (k !== N && c !== 10 && c !== 13 && i + w < n) {
    const y = classAt(s, i + w, n); // one non-letter, non-digit, non-newline char may lead a word
    if ((y & 15) === L) return runEnd(s, i + w + (y >> 4), n, L);
  }
  if (k === N) {
    let p = i + w;
    for (let count = 1; count < 3 && p < n; count++) {
      const y = classAt(s, p, n);
      if ((y & 15) !== N) break;
      p += y >> 4;
    }
    return p;
  }
  let j = -1;
  if (k === O) j = i + w;
  else if (c === 32 && i + 1 < n) {
    const y = classAt(s, i + 1, n);
    if ((y & 15) === O) j = i + 1 + (y >> 4);
  }
  if (j >= 0) {
    let p = runEnd(s, j, n, O);
    while (p < n && (s.charCodeAt(p) === 10 || s.charCodeAt(p) === 13)) p++;
    return p;
  }
  // Whitespace: `\s*[\r\n]+` ends at the run's last newline; otherwise as GPT-2.
  let p = i;
  let lastNewline = -1;
  for (; p < n; p++) {
    const d = s.charCodeAt(p);
    if (!isSpace(d)) break;
    if (d === 10 || d === 13) lastNewline = p;
  }
  if (lastNewline >= 0) return lastNewline + 1;
  return p < n && p - i >= 2 ? p - 1 : p;
}
