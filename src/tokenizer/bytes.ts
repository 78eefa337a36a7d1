// Bytes and the strings that stand for them.
//
// Byte-level BPE works on UTF-8 bytes, but tokenizer.json stores tokens as strings. GPT-2's
// `bytes_to_unicode` maps each of the 256 bytes to a printable character: printable Latin-1 bytes
// map to themselves, the other 68 (controls, space, 0x7F-0xA0, 0xAD) to U+0100 upwards, which is
// why a leading space shows up as "Ġ" (U+0120) and a newline as "Ċ" (U+010A).
//
// Lone surrogates: a JavaScript string may hold a UTF-16 surrogate that is not part of a pair. It
// has no UTF-8 encoding, so `utf8Encode` writes U+FFFD (EF BF BD) in its place, exactly as
// TextEncoder, tiktoken and Hugging Face tokenizers do. Hence decode(encode(s)) === s.toWellFormed().

const BYTE_TO_CHAR: string[] = [];
const CHAR_TO_BYTE = new Map<number, number>();
{
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    const code = printable ? b : 256 + extra++;
    BYTE_TO_CHAR[b] = String.fromCharCode(code);
    CHAR_TO_BYTE.set(code, b);
  }
}

/** Bytes to their byte-level string, e.g. [0x20, 0x68, 0x69] → "Ġhi". */
export function bytesToUnicode(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]];
  return s;
}

/** The inverse of bytesToUnicode; undefined when a character is not one of the 256. */
export function unicodeToBytes(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = CHAR_TO_BYTE.get(s.charCodeAt(i));
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

/** A byte string with one char per byte (latin1): a compact Map key for a byte sequence. */
export function bytesKey(bytes: ArrayLike<number>, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/**
 * UTF-8 encodes s[start, end) into out (which must hold 3 bytes per UTF-16 unit) and returns the
 * number of bytes written. Lone surrogates become U+FFFD.
 */
export function utf8Encode(s: string, start: number, end: number, out: Uint8Array): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < end ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[n++] = 0xf0 | (c >> 18);
        out[n++] = 0x80 | ((c >> 12) & 63);
        out[n++] = 0x80 | ((c >> 6) & 63);
        out[n++] = 0x80 | (c & 63);
      } else {
        out[n++] = 0xef; // U+FFFD for a lone surrogate
        out[n++] = 0xbf;
        out[n++] = 0xbd;
      }
    } else {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}

const ENCODER = new TextEncoder();
/** UTF-8 bytes of a whole string (lone surrogates → U+FFFD). */
export function utf8(s: string): Uint8Array {
  return ENCODER.encode(s);
}
