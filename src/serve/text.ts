// Tokens to streamed text: a choice's tokens are decoded as they come, and only text that can no
// longer change is released — not a trailing incomplete UTF-8 character (a byte-level token can
// end inside one) and not a trailing piece that could be the start of a stop string. A stop string
// ends the text before it, as OpenAI's `stop` does (the stop string itself is not returned).
import type { Tokenizer } from '../tokenizer/tokenizer.js';

export class TextStream {
  private readonly tokens: number[] = [];
  /** Characters of the decoded text already released. */
  private released = 0;
  private full = '';
  /** Set once a stop string matched: the final text. */
  private stoppedAt = -1;

  constructor(private readonly tok: Tokenizer, private readonly stops: readonly string[] = []) {
    if (stops.some((s) => s.length === 0)) throw new RangeError('stop strings must not be empty');
  }

  /** Whether a stop string has matched. */
  get stopped(): boolean {
    return this.stoppedAt >= 0;
  }

  /** Text released so far. */
  get text(): string {
    return this.full.slice(0, this.released);
  }

  /** Adds a token; returns the newly releasable text (maybe ''). After a stop string matched,
   * `stopped` is true and later tokens are ignored. */
  push(token: number): string {
    if (this.stopped) return '';
    this.tokens.push(token);
    // Decoding the whole choice each time keeps the tokenizer's own rules (leading-space stripping,
    // special tokens skipped) exact; a choice is at most a context long.
    this.full = this.tok.decode(this.tokens, { skipSpecialTokens: true });
    const hit = this.findStop();
    if (hit >= 0) {
      this.stoppedAt = hit;
      return this.take(hit);
    }
    let end = this.full.length;
    while (end > this.released && this.full.charCodeAt(end - 1) === 0xfffd) end--;
    end -= this.stopPrefix(end);
    return this.take(end);
  }

  /** The rest of the text when the choice ends without a stop string. */
  flush(): string {
    return this.stopped ? '' : this.take(this.full.length);
  }

  private take(end: number): string {
    if (end <= this.released) return '';
    const out = this.full.slice(this.released, end);
    this.released = end;
    return out;
  }

  /** Earliest start of a stop string in the unreleased text, or −1. Released text never holds the
   * start of a match: a stop string's proper prefix at the end is held back. */
  private findStop(): number {
    let best = -1;
    for (const s of this.stops) {
      const i = this.full.indexOf(s, this.released);
      if (i >= 0 && (best < 0 || i < best)) best = i;
    }
    return best;
  }

  /** Length of the longest suffix of full[released, end) that is a proper prefix of a stop string. */
  private stopPrefix(end: number): number {
    let keep = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, end - this.released); k > keep; k--) {
        if (this.full.startsWith(s.slice(0, k), end - k)) { keep = k; break; }
      }
    }
    return keep;
  }
}
