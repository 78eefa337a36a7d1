// Exact deduplication: a document whose text (after normalisation and cleaning) hashes to one
// already seen is dropped. Keys are 64 bits of SHA-1, so memory is ~100 bytes per distinct document
// however long the documents are.
import { contentKey } from './hash.js';
import { Stage, type Doc, type Drop } from './stage.js';

export class ExactDedupStage extends Stage {
  readonly name = 'exact_dedup';
  private readonly seen = new Set<string>();

  protected apply(doc: Doc): Doc | Drop {
    const key = contentKey(doc.text);
    if (this.seen.has(key)) return { drop: 'exact_duplicate' };
    this.seen.add(key);
    return doc;
  }
}
