// Reading text that users hand us (JSONL, prompt files, config.json, tokenizer.json) strictly:
// bytes that are not UTF-8 are an error naming file:line:column, not U+FFFD passed on in silence;
// JSON errors name the line and column instead of V8's character position; a file or line too
// long for one string is refused by its size before it is read.
//
// Invalid UTF-8 may be allowed (replaced by U+FFFD, counted and reported per file): by a reader's
// `invalidUtf8: 'replace'` option, or for a whole command by the CLI's --allow-invalid-utf8, which
// runs the command inside `withInvalidUtf8('replace', …)` so readers deep in a stage see it without
// every signature on the way carrying it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { isUtf8 } from 'node:buffer';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** What to do with bytes that are not UTF-8: fail naming file:line:column, or replace them by
 * U+FFFD and report how many lines had them. */
export type InvalidUtf8 = 'error' | 'replace';

/** Whole-file text readers (config.json, tokenizer.json, prompt lists) refuse larger files: V8
 * strings stop at about 512 MiB, and JSON.parse of a file needs several times its size. */
const MAX_TEXT_FILE_BYTES = 256 * 1024 * 1024;
/** Line readers (JSONL, text corpora, prompts) refuse longer lines, for the same reason. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

const policy = new AsyncLocalStorage<InvalidUtf8>();

/** Runs `fn` (and everything it awaits) with `mode` as the readers' default. */
export function withInvalidUtf8<T>(mode: InvalidUtf8, fn: () => T): T {
  return policy.run(mode, fn);
}

/** The readers' default: 'error' unless a caller up the stack chose otherwise. */
function invalidUtf8Default(): InvalidUtf8 {
  return policy.getStore() ?? 'error';
}

export class TextInputError extends Error {
  override name = 'TextInputError';
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629: no
 * overlongs, no surrogates, nothing past U+10FFFF), or -1. Written out because Node's isUtf8 only
 * answers yes or no, and the error must say where. */
export function firstInvalidUtf8(b: Uint8Array, from = 0, to = b.length): number {
  let i = from;
  while (i < to) {
    const c = b[i];
    if (c < 0x80) { i++; continue; }
    let n: number, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) { n = 2; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
    else return i;
    if (i + n >= to) return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** 1-based line and column (in bytes) of `offset` in `b`. */
function lineColOfByte(b: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1, start = 0;
  for (let i = 0; i < offset; i++) if (b[i] === 0x0a) { line++; start = i + 1; }
  return { line, col: offset - start + 1 };
}

const hex = (x: number): string => `0x${x.toString(16).padStart(2, '0')}`;

/** The error for invalid UTF-8 at `line`:`col`. */
function invalidUtf8Error(file: string, line: number, col: number, byte: number): TextInputError {
  return new TextInputError(`${file}:${line}:${col}: invalid UTF-8 (byte ${hex(byte)}); fix the file's encoding, or pass --allow-invalid-utf8 to read such bytes as U+FFFD`);
}

/** Lines with invalid UTF-8 read as U+FFFD: counted, the first few kept for the warning. */
class Replaced {
  count = 0;
  readonly first: number[] = [];
  add(line: number): void {
    if (this.first[this.first.length - 1] === line) return;
    this.count++;
    if (this.first.length < 5) this.first.push(line);
  }
  warn(file: string): void {
    if (!this.count) return;
    const more = this.count > this.first.length ? `, … (${this.count - this.first.length} more)` : '';
    console.warn(`warning: ${file}: invalid UTF-8 on ${this.count} line${this.count === 1 ? '' : 's'} (${this.first.join(', ')}${more}) read as U+FFFD`);
  }
}

/** Bytes → text under `mode`; a UTF-8 byte-order mark is dropped. */
function decodeUtf8(bytes: Uint8Array, file: string, mode: InvalidUtf8 = invalidUtf8Default()): string {
  const b = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (isUtf8(buf)) return buf.toString('utf8');
  if (mode === 'error') {
    const at = firstInvalidUtf8(b);
    const { line, col } = lineColOfByte(b, at);
    throw invalidUtf8Error(file, line, col, b[at]);
  }
  // One pass: lines are counted up to each fault in turn.
  const replaced = new Replaced();
  let line = 1, pos = 0;
  for (let at = firstInvalidUtf8(b); at >= 0; at = firstInvalidUtf8(b, at + 1)) {
    for (; pos < at; pos++) if (b[pos] === 0x0a) line++;
    replaced.add(line);
  }
  replaced.warn(file);
  return buf.toString('utf8');
}

/** A whole text file, checked: its size first (MAX_TEXT_FILE_BYTES), then its encoding. */
export function readTextFile(path: string, mode: InvalidUtf8 = invalidUtf8Default()): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TextInputError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot open (${(e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new TextInputError(`${path} is a folder, not a file`);
    if (st.size > MAX_TEXT_FILE_BYTES) throw new TextInputError(`${path}: ${st.size} bytes is more than this reader takes (${MAX_TEXT_FILE_BYTES} bytes)`);
    const bytes = Buffer.alloc(st.size);
    for (let done = 0; done < bytes.length;) {
      const n = readSync(fd, bytes, done, bytes.length - done, done);
      if (n <= 0) throw new TextInputError(`${path}: shrank while being read`);
      done += n;
    }
    return decodeUtf8(bytes, path, mode);
  } finally {
    closeSync(fd);
  }
}

type JsonExpect = 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'colon' | 'commaOrEnd' | 'done';
const EXPECTED: Record<JsonExpect, string> = {
  value: 'a value', valueOrEnd: 'a value or "]"', key: 'a "key" in double quotes', keyOrEnd: 'a "key" in double quotes or "}"',
  colon: '":"', commaOrEnd: '"," or a closing bracket', done: 'the end of the file',
};

/** Where and why `text` stops being JSON (RFC 8259), or null if it is JSON. Run only after
 * JSON.parse failed: V8's messages give a character position for some errors and none for
 * others, and the reader wants line and column. Iterative, so deep nesting cannot overflow. */
export function jsonSyntaxError(text: string): { offset: number; what: string } | null {
  let i = 0, expect: JsonExpect = 'value';
  const stack: string[] = [];
  const after = (): JsonExpect => (stack.length ? 'commaOrEnd' : 'done');
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  /** Past a string starting at i, or what is wrong inside it (i left at the fault). */
  const string = (): string | null => {
    for (i++; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) { i++; return null; }
      if (c < 0x20) return `a control character (U+${c.toString(16).padStart(4, '0')}) inside a string; write it escaped`;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 5;
        else if (e !== undefined && e !== 'u' && '"\\/bfnrt'.includes(e)) i++;
        else return `a bad escape ${JSON.stringify(text.slice(i, i + 2))} inside a string`;
      }
    }
    return 'a string that never ends';
  };
  const fail = (what?: string): { offset: number; what: string } => {
    const found = i >= text.length ? 'the end of the file' : JSON.stringify(text[i]);
    return { offset: i, what: what ?? `expected ${EXPECTED[expect]}, found ${found}` };
  };
  for (;;) {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
    if (i >= text.length) return expect === 'done' ? null : fail();
    const c = text[i];
    if (expect === 'done') return fail();
    if (expect === 'colon') {
      if (c !== ':') return fail();
      i++;
      expect = 'value';
    } else if (expect === 'commaOrEnd') {
      const top = stack[stack.length - 1];
      if (c === ',') { i++; expect = top === '{' ? 'key' : 'value'; } else if (c === (top === '{' ? '}' : ']')) { stack.pop(); i++; expect = after(); } else return fail();
    } else if (expect === 'key' || expect === 'keyOrEnd') {
      if (expect === 'keyOrEnd' && c === '}') { stack.pop(); i++; expect = after(); continue; }
      if (c !== '"') return fail();
      const bad = string();
      if (bad) return fail(bad);
      expect = 'colon';
    } else {
      if (expect === 'valueOrEnd' && c === ']') { stack.pop(); i++; expect = after(); continue; }
      if (c === '{' || c === '[') { stack.push(c); i++; expect = c === '{' ? 'keyOrEnd' : 'valueOrEnd'; continue; }
      if (c === '"') {
        const bad = string();
        if (bad) return fail(bad);
      } else {
        const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
        number.lastIndex = i;
        const m = word ? null : number.exec(text);
        if (!word && !m?.[0]) return fail();
        i += word ? word.length : m![0].length;
      }
      expect = after();
    }
  }
}

/** JSON.parse whose error names file:line:column and what was expected there. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const err = jsonSyntaxError(text);
    if (!err) throw new TextInputError(`${file}: not valid JSON (${(e as Error).message})`);
    const before = text.slice(0, err.offset);
    const line = before.split('\n').length;
    throw new TextInputError(`${file}:${line}:${err.offset - before.lastIndexOf('\n')}: not valid JSON: ${err.what}`);
  }
}

/** A JSON file that must hold an object at the top level. */
export function readJsonObject(path: string): Record<string, unknown> {
  const v = parseJson(readTextFile(path), path);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new TextInputError(`${path}: expected a JSON object at the top level, got ${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v}`);
  }
  return v as Record<string, unknown>;
}

export interface LineOptions {
  invalidUtf8?: InvalidUtf8;
  maxLineBytes?: number;
}

/** The lines of a file (or a byte stream such as stdin, named `name` in errors), 1-based, without
 * their "\n" or "\r\n", decoded under the invalid-UTF-8 mode. Holds one line at a time. */
export async function* readLines(source: string | Readable, opts: LineOptions & { name?: string } = {}): AsyncGenerator<{ line: number; text: string }> {
  const name = opts.name ?? (typeof source === 'string' ? source : '<stdin>');
  const mode = opts.invalidUtf8 ?? invalidUtf8Default();
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const input = typeof source === 'string' ? createReadStream(source) : source;
  const replaced = new Replaced();
  let pending: Buffer[] = [], pendingBytes = 0, line = 0;
  const finish = (bytes: Buffer): string => {
    line++;
    let b = bytes;
    if (b.length && b[b.length - 1] === 0x0d) b = b.subarray(0, b.length - 1);
    if (line === 1 && b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
    if (isUtf8(b)) return b.toString('utf8');
    if (mode === 'error') {
      const at = firstInvalidUtf8(b);
      throw invalidUtf8Error(name, line, at + 1, b[at]);
    }
    replaced.add(line);
    return b.toString('utf8');
  };
  try {
    for await (const chunk of input) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
      let start = 0;
      for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
        if (pendingBytes + nl - start > maxLine) throw new TextInputError(`${name}:${line + 1}: line longer than ${maxLine} bytes`);
        const piece = buf.subarray(start, nl);
        const whole = pending.length ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
        const text = finish(whole);
        yield { line, text };
      }
      if (start < buf.length) {
        pendingBytes += buf.length - start;
        if (pendingBytes > maxLine) throw new TextInputError(`${name}:${line + 1}: line longer than ${maxLine} bytes`);
        pending.push(buf.subarray(start));
      }
    }
    if (pendingBytes > 0) {
      const text = finish(Buffer.concat(pending));
      yield { line, text };
    }
    replaced.warn(name);
  } finally {
    if (typeof source === 'string') (input as Readable).destroy();
  }
}
