// JSONL reading and writing. The reader streams a file line by line, runs a validator on each parsed
// line and reports problems as `file:line: what is wrong`; a bad line is skipped (and collected) or
// fatal, by option, never repaired. Blank lines are ignored. Bytes that are not UTF-8 stop the read
// (util/text.ts) unless invalidUtf8 is 'replace'.
import { closeSync, openSync, writeSync } from 'node:fs';
import { readLines, type InvalidUtf8 } from '../util/text.js';

export class DataError extends Error {
  constructor(readonly file: string, readonly line: number, readonly what: string) {
    super(`${file}:${line}: ${what}`);
    this.name = 'DataError';
  }
}

/** `skip`: leave the line out and record a DataError; `fatal`: throw the first DataError. */
export type OnError = 'skip' | 'fatal';

export interface ReadOptions {
  onError?: OnError;
  /** Receives every skipped line's error (with onError 'skip'). */
  errors?: DataError[];
  /** Bytes that are not UTF-8: an error naming file:line:column (default, unless the CLI's
   * --allow-invalid-utf8 is in force), or read as U+FFFD with a warning counting the lines. */
  invalidUtf8?: InvalidUtf8;
}

/** Checks one parsed line: the typed value, or what is wrong with it. */
export type Validator<T> = (value: unknown) => { value: T } | { error: string };

export async function* readJsonl<T>(file: string, validate: Validator<T>, opts: ReadOptions = {}): AsyncGenerator<{ line: number; value: T }> {
  const onError = opts.onError ?? 'fatal';
  for await (const { line, text: raw } of readLines(file, { invalidUtf8: opts.invalidUtf8 })) {
    if (raw.trim().length === 0) continue;
    let problem: string;
    try {
      const r = validate(JSON.parse(raw));
      if ('value' in r) {
        yield { line, value: r.value };
        continue;
      }
      problem = r.error;
    } catch (e) {
      problem = `invalid JSON (${(e as Error).message})`;
    }
    const err = new DataError(file, line, problem);
    if (onError === 'fatal') throw err;
    opts.errors?.push(err);
  }
}

/** Appends one JSON value per line, buffered, with synchronous writes (simple, and the pipeline is
 * CPU-bound anyway). */
export class JsonlWriter {
  private fd: number;
  private buf: string[] = [];
  private bufChars = 0;
  count = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  write(value: unknown): void {
    const s = JSON.stringify(value) + '\n';
    this.buf.push(s);
    this.bufChars += s.length;
    this.count++;
    if (this.bufChars > 1 << 20) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, this.buf.join(''));
    this.buf = [];
    this.bufChars = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Writes a whole array as JSONL. */
export function writeJsonl(path: string, values: Iterable<unknown>): number {
  const w = new JsonlWriter(path);
  for (const v of values) w.write(v);
  w.close();
  return w.count;
}
