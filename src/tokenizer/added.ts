// Added tokens (`<|endoftext|>`, `<|im_start|>`, a word added by hand) are found in the raw text
// before pre-tokenization and encoded whole. Special ones are control tokens: they are matched only
// when the caller allows them, so text from a user or a web page that happens to contain
// "<|im_start|>" is encoded as ordinary characters and cannot forge a turn of a conversation.

export interface AddedToken {
  id: number;
  content: string;
  /** A control token: matched only when allowed, dropped by decode({ skipSpecialTokens }). */
  special: boolean;
  /** Swallows the whitespace to its left / right when matched. */
  lstrip?: boolean;
  rstrip?: boolean;
  /** Matched only when not inside a word. */
  singleWord?: boolean;
}

/** Which special tokens may appear in the text: none (the default), all, or the listed ones. */
export type AllowedSpecial = 'all' | 'none' | Iterable<string>;

/** A piece of text to encode (id = -1), or an added token (text range = what it matched). */
export interface Segment {
  start: number;
  end: number;
  id: number;
}

export class AddedVocabulary {
  readonly tokens: readonly AddedToken[];
  private readonly byContent = new Map<string, AddedToken>();
  private readonly regexes = new Map<string, RegExp | null>();

  constructor(tokens: readonly AddedToken[]) {
    this.tokens = tokens;
    for (const t of tokens) {
      if (!t.content) throw new Error(`added token ${t.id} has empty content`);
      this.byContent.set(t.content, t);
    }
  }

  get(content: string): AddedToken | undefined {
    return this.byContent.get(content);
  }

  /** Cuts text into plain ranges and added tokens, leftmost-longest match first. */
  split(text: string, allowed: AllowedSpecial = 'none'): Segment[] {
    const re = this.regexFor(allowed);
    if (!re) return [{ start: 0, end: text.length, id: -1 }];
    const out: Segment[] = [];
    let last = 0;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const tok = this.byContent.get(m[0])!;
      let start = m.index;
      let end = start + m[0].length;
      if (tok.singleWord && (isWordChar(text, start - 1) || isWordChar(text, end))) {
        re.lastIndex = start + 1;
        continue;
      }
      if (tok.lstrip) while (start > last && /\s/.test(text[start - 1])) start--;
      if (tok.rstrip) while (end < text.length && /\s/.test(text[end])) end++;
      if (start > last) out.push({ start: last, end: start, id: -1 });
      out.push({ start, end, id: tok.id });
      last = re.lastIndex = end;
    }
    if (last < text.length || out.length === 0) out.push({ start: last, end: text.length, id: -1 });
    return out;
  }

  private regexFor(allowed: AllowedSpecial): RegExp | null {
    const key = typeof allowed === 'string' ? allowed : JSON.stringify([...allowed].sort());
    let re = this.regexes.get(key);
    if (re !== undefined) return re;
    const allowedSet = typeof allowed === 'string' ? null : new Set(allowed);
    for (const name of allowedSet ?? []) {
      if (!this.byContent.get(name)?.special) throw new Error(`allowedSpecial names ${JSON.stringify(name)}, which is not a special token`);
    }
    const live = this.tokens.filter((t) => !t.special || allowed === 'all' || allowedSet?.has(t.content));
    live.sort((a, b) => b.content.length - a.content.length);
    re = live.length ? new RegExp(live.map((t) => escapeRegex(t.content)).join('|'), 'g') : null;
    this.regexes.set(key, re);
    return re;
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$*+?.()|[\]{}]/g, '\\$&');
}

function isWordChar(text: string, i: number): boolean {
  return i >= 0 && i < text.length && /[\p{L}\p{N}_]/u.test(text[i]);
}
