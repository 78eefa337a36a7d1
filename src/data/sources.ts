// Where documents come from. An input is a .txt file (one document per blank-line separated
// paragraph), a .jsonl file (one document per line, text in a chosen field), a folder of those
// (recursively, in sorted order), or `builtin:brown` for the Brown corpus (one document per file).
// Everything streams: a file is read line by line.
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brownDocuments } from './brown.js';
import { readJsonl, type ReadOptions } from './jsonl.js';
import type { Doc } from './stage.js';
import { readLines } from '../util/text.js';

export const BROWN_INPUT = 'builtin:brown';

export interface SourceOptions extends ReadOptions {
  /** JSONL field holding the text (default "text"). */
  field?: string;
}

/** Files a path stands for: itself, or the .txt/.jsonl files under a folder. */
export function inputFiles(path: string): string[] {
  if (path === BROWN_INPUT) return [path];
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new Error(`input ${path}: no such file or folder`);
  if (st.isFile()) return [path];
  const out: string[] = [];
  for (const name of readdirSync(path).sort()) {
    const p = join(path, name);
    if (statSync(p).isDirectory()) out.push(...inputFiles(p));
    else if (['.txt', '.jsonl'].includes(extname(name))) out.push(p);
  }
  return out;
}

export async function* readDocuments(path: string, opts: SourceOptions = {}): AsyncGenerator<Doc> {
  for (const file of inputFiles(path)) {
    if (file === BROWN_INPUT) {
      for (const d of brownDocuments()) yield { id: `brown:${d.id}`, text: d.text };
    } else if (extname(file) === '.jsonl') {
      const field = opts.field ?? 'text';
      const validate = (v: unknown): { value: string } | { error: string } => {
        const t = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[field] : undefined;
        return typeof t === 'string' ? { value: t } : { error: `field "${field}" must be a string, got ${t === undefined ? 'nothing' : JSON.stringify(t).slice(0, 60)}` };
      };
      for await (const { line, value } of readJsonl(file, validate, opts)) yield { id: `${file}:${line}`, text: value };
    } else {
      yield* readParagraphs(file, opts);
    }
  }
}

/** Blank-line separated paragraphs of a text file; ids are `file:firstLine`. */
async function* readParagraphs(file: string, opts: SourceOptions): AsyncGenerator<Doc> {
  let lines: string[] = [];
  let start = 0;
  for await (const { line: n, text: line } of readLines(file, { invalidUtf8: opts.invalidUtf8 })) {
    if (line.trim().length === 0) {
      if (lines.length) yield { id: `${file}:${start}`, text: lines.join('\n') };
      lines = [];
    } else {
      if (lines.length === 0) start = n;
      lines.push(line);
    }
  }
  if (lines.length) yield { id: `${file}:${start}`, text: lines.join('\n') };
}
