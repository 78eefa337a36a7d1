// metrics.jsonl: one JSON record per logged step or evaluation, appended as training goes. A
// resumed run first drops the records after its checkpoint's step, which it is about to redo, so
// the file reads as one uninterrupted run.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/fs.js';
import { parseJson, readTextFile } from '../util/text.js';

/** A training record ({step, loss, lr, gradNorm, tokens, tokS}) or an evaluation record
 * ({step, evalLoss, evalPpl}). */
export type MetricsRecord = { step: number } & Record<string, number | string>;

export function readJson(path: string): unknown {
  return parseJson(readTextFile(path), path);
}

export function readMetrics(path: string): MetricsRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
    try {
      return JSON.parse(l) as MetricsRecord;
    } catch (e) {
      throw new Error(`${path}:${i + 1}: ${(e as Error).message}`);
    }
  });
}

export class MetricsLog {
  constructor(readonly path: string, resumeStep: number | null) {
    if (resumeStep === null) writeFileAtomic(path, '');
    else {
      // A SIGKILL can leave a half-written last line; it belongs to a step after the checkpoint.
      const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
      const keep = lines.filter((l) => {
        try {
          return l.trim() !== '' && (JSON.parse(l) as MetricsRecord).step <= resumeStep;
        } catch {
          return false;
        }
      });
      writeFileAtomic(path, keep.map((l) => l + '\n').join(''));
    }
  }

  write(record: MetricsRecord): void {
    appendFileSync(this.path, JSON.stringify(record) + '\n');
  }
}
