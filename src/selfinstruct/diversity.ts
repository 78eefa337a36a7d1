// The figures of stats.json that describe what was generated: the ROUGE-L histogram (Wang et al.
// 2022, Fig. 3) and the most common root verbs with their direct objects (their Fig. 2).
//
// The paper finds verb and object with the Berkeley Neural Parser. Instructions are nearly all
// imperative sentences, so a shallow reading gets the same pairs for most of them without a parser:
// the verb is the first word (after "please", "can you" and similar openers), and the object is
// the head of the noun phrase after it — the last word before a preposition, conjunction or
// punctuation, past determiners and number words ("Write a short poem about cats" → write, poem).
// Instructions not in Latin script (Chinese) are counted apart, not guessed at.

const OPENERS = new Set(['please', 'kindly', 'now', 'also', 'then', 'can', 'could', 'would', 'will', 'you', 'help', 'me', 'i', 'want', 'to', 'need', "let's", 'lets', 'let', 'us']);
const DETERMINERS = new Set([
  'a', 'an', 'the', 'this', 'that', 'these', 'those', 'some', 'any', 'each', 'every', 'all', 'my', 'your', 'his', 'her', 'its', 'our', 'their',
  'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'few', 'several', 'many', 'more', 'most', 'following', 'given', 'me', 'us', 'them', 'him',
]);
const BOUNDARIES = new Set([
  'about', 'of', 'for', 'to', 'in', 'on', 'with', 'from', 'into', 'by', 'at', 'as', 'that', 'which', 'who', 'whose', 'where', 'when', 'why', 'how', 'if',
  'whether', 'and', 'or', 'but', 'so', 'than', 'using', 'based', 'without', 'between', 'among', 'over', 'under', 'after', 'before', 'while', 'is', 'are', 'was', 'were', 'be',
]);

export interface VerbObject { verb: string; object: string | null }

/** The root verb and its object of an English imperative instruction; null when the text is not
 * in Latin script. */
export function verbObject(instruction: string): VerbObject | null {
  const first = instruction.match(/[\p{L}]/u)?.[0];
  if (!first || !/\p{Script=Latin}/u.test(first)) return null;
  const tokens = instruction.toLowerCase().match(/[a-z0-9'-]+|[,.;:!?()"]/g) ?? [];
  let i = 0;
  while (i < tokens.length - 1 && OPENERS.has(tokens[i])) i++;
  const verb = tokens[i];
  if (!verb || !/^[a-z]/.test(verb)) return null;
  i++;
  while (i < tokens.length && DETERMINERS.has(tokens[i])) i++;
  let head: string | null = null;
  for (let n = 0; i < tokens.length && n < 4; i++, n++) {
    const t = tokens[i];
    if (!/^[a-z0-9]/.test(t) || BOUNDARIES.has(t)) break;
    head = t;
  }
  return { verb, object: head };
}

export interface VerbCount { verb: string; count: number; objects: { object: string; count: number }[] }

/** The `topVerbs` most common root verbs, each with its `topObjects` most common objects; ties by
 * name, so the figure is stable. */
export function verbObjectCounts(instructions: string[], topVerbs = 20, topObjects = 4): { verbs: VerbCount[]; distinctVerbs: number; parsed: number; nonLatin: number } {
  const byVerb = new Map<string, Map<string, number>>();
  const verbTotals = new Map<string, number>();
  let parsed = 0, nonLatin = 0;
  for (const ins of instructions) {
    const vo = verbObject(ins);
    if (!vo) {
      nonLatin++;
      continue;
    }
    parsed++;
    verbTotals.set(vo.verb, (verbTotals.get(vo.verb) ?? 0) + 1);
    if (vo.object) {
      const m = byVerb.get(vo.verb) ?? new Map<string, number>();
      m.set(vo.object, (m.get(vo.object) ?? 0) + 1);
      byVerb.set(vo.verb, m);
    }
  }
  const ranked = <K extends string>(m: Map<K, number>): [K, number][] => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const verbs = ranked(verbTotals).slice(0, topVerbs).map(([verb, count]) => ({
    verb, count, objects: ranked(byVerb.get(verb) ?? new Map<string, number>()).slice(0, topObjects).map(([object, c]) => ({ object, count: c })),
  }));
  return { verbs, distinctVerbs: verbTotals.size, parsed, nonLatin };
}

/** Counts of values in [0, 1] in `bins` equal bins; 1.0 falls in the last. */
export function histogram(values: number[], bins = 10): { lo: number; hi: number; count: number }[] {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor(v * bins)))]++;
  return counts.map((count, i) => ({ lo: i / bins, hi: (i + 1) / bins, count }));
}
