// The unit of the corpus pipeline: a stage takes one document and returns it (maybe changed) or a
// reason to drop it, and counts both. Stages hold only what they must remember across documents
// (dedup keeps hashes, not texts), so a corpus streams through them one document at a time.

export interface Doc {
  /** Where the document came from, e.g. `corpus/a.jsonl:17` or `brown:ca01`. */
  id: string;
  text: string;
}

/** A stage's decision to remove a document, with a short reason counted in the report. */
export interface Drop {
  drop: string;
}

export interface StageCounts {
  in: number;
  out: number;
  removed: number;
  changed: number;
  /** Removals by reason (`min_words`, `near_duplicate`), or changes by kind (`EMAIL`). */
  detail: Record<string, number>;
}

export abstract class Stage {
  abstract readonly name: string;
  readonly counts: StageCounts = { in: 0, out: 0, removed: 0, changed: 0, detail: {} };

  /** Runs one document through the stage; null when it was removed. */
  run(doc: Doc): Doc | null {
    this.counts.in++;
    const r = this.apply(doc);
    if ('drop' in r) {
      this.counts.removed++;
      this.note(r.drop);
      return null;
    }
    if (r.text !== doc.text) this.counts.changed++;
    this.counts.out++;
    return r;
  }

  /** Adds n to a detail counter. */
  protected note(key: string, n = 1): void {
    this.counts.detail[key] = (this.counts.detail[key] ?? 0) + n;
  }

  protected abstract apply(doc: Doc): Doc | Drop;
}

/** Runs a document through stages in order, stopping at the first that drops it. */
export function runStages(stages: readonly Stage[], doc: Doc): Doc | null {
  let d: Doc | null = doc;
  for (const s of stages) {
    d = s.run(d);
    if (d === null) return null;
  }
  return d;
}

/** Splits text into lowercase words of letters and digits: the unit of dedup shingles, n-gram
 * decontamination and stop-word counts, so punctuation and case never hide a match. */
export function normalizedWords(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
}
