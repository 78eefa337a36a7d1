// Agreement between labelers who ranked the same prompt. Kendall's tau-b (Kendall 1945) is the
// rank correlation that allows ties on either side:
//   τ_b = (n_c − n_d) / √((n_0 − n_1)(n_0 − n_2))
// over the n_0 = n(n−1)/2 pairs of responses, n_c concordant and n_d discordant, n_1 (n_2) pairs
// tied by the first (second) labeler. It is 1 for the same order, −1 for the reverse, and undefined
// when one labeler tied everything. Beside it, the share of response pairs both labelers ordered
// strictly on which they agree: the "inter-annotator agreement" InstructGPT reports (72.6 ± 1.5%).

export interface PairCounts {
  concordant: number;
  discordant: number;
  /** Pairs tied by the first ranking, by the second (a pair tied by both counts in each). */
  tiedFirst: number;
  tiedSecond: number;
  pairs: number;
}

/** Pair counts of two rankings of the same items; rank[i] is item i's place, lower is better,
 * equal places are ties. */
export function pairCounts(x: readonly number[], y: readonly number[]): PairCounts {
  if (x.length !== y.length) throw new RangeError(`pairCounts: rankings of ${x.length} and ${y.length} items`);
  const c: PairCounts = { concordant: 0, discordant: 0, tiedFirst: 0, tiedSecond: 0, pairs: 0 };
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const sx = Math.sign(x[i] - x[j]), sy = Math.sign(y[i] - y[j]);
      c.pairs++;
      if (sx === 0) c.tiedFirst++;
      if (sy === 0) c.tiedSecond++;
      if (sx * sy > 0) c.concordant++;
      else if (sx * sy < 0) c.discordant++;
    }
  }
  return c;
}

/** Kendall's tau-b, or null when either ranking ties every pair. */
export function kendallTauB(x: readonly number[], y: readonly number[]): number | null {
  const c = pairCounts(x, y);
  const denom = Math.sqrt((c.pairs - c.tiedFirst) * (c.pairs - c.tiedSecond));
  return denom === 0 ? null : (c.concordant - c.discordant) / denom;
}

/** One labeler's ranking of one prompt: ranks[i] is the place of the prompt's response i. */
export interface LabeledRanking {
  task: number;
  labeler: string;
  ranks: number[];
}

export interface PairAgreement {
  a: string;
  b: string;
  /** Prompts both ranked. */
  shared: number;
  /** Mean τ_b over the shared prompts where it is defined (null if none). */
  tau: number | null;
}

export interface AgreementReport {
  /** Mean τ_b over every (prompt, pair of its labelers) where defined; null if no prompt is shared. */
  tau: number | null;
  /** (prompt, labeler pair) comparisons that entered the mean. */
  comparisons: number;
  /** Agreed / (agreed + disagreed) over response pairs both labelers ordered strictly. */
  pairAgreement: number | null;
  byPair: PairAgreement[];
  /** Each labeler's mean τ_b with everyone who shared a prompt with them, over `comparisons`
   * (prompt, other labeler) pairs. */
  byLabeler: { labeler: string; comparisons: number; tau: number | null }[];
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function agreement(rankings: readonly LabeledRanking[]): AgreementReport {
  const byTask = new Map<number, LabeledRanking[]>();
  for (const r of rankings) {
    const list = byTask.get(r.task) ?? [];
    list.push(r);
    byTask.set(r.task, list);
  }
  const all: number[] = [];
  let agreed = 0, disagreed = 0;
  const pairs = new Map<string, PairAgreement & { taus: number[] }>();
  const people = new Map<string, { comparisons: number; taus: number[] }>();
  const person = (name: string) => people.get(name) ?? people.set(name, { comparisons: 0, taus: [] }).get(name)!;
  for (const list of byTask.values()) {
    const sorted = [...list].sort((p, q) => (p.labeler < q.labeler ? -1 : p.labeler > q.labeler ? 1 : 0));
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        const x = sorted[i], y = sorted[j];
        const c = pairCounts(x.ranks, y.ranks);
        agreed += c.concordant;
        disagreed += c.discordant;
        const tau = kendallTauB(x.ranks, y.ranks);
        const key = `${x.labeler}\u0000${y.labeler}`;
        const p = pairs.get(key) ?? pairs.set(key, { a: x.labeler, b: y.labeler, shared: 0, tau: null, taus: [] }).get(key)!;
        p.shared++;
        person(x.labeler).comparisons++;
        person(y.labeler).comparisons++;
        if (tau === null) continue;
        all.push(tau);
        p.taus.push(tau);
        person(x.labeler).taus.push(tau);
        person(y.labeler).taus.push(tau);
      }
    }
  }
  return {
    tau: mean(all),
    comparisons: all.length,
    pairAgreement: agreed + disagreed ? agreed / (agreed + disagreed) : null,
    byPair: [...pairs.values()].map(({ a, b, shared, taus }) => ({ a, b, shared, tau: mean(taus) })),
    byLabeler: [...people.entries()].map(([labeler, p]) => ({ labeler, comparisons: p.comparisons, tau: mean(p.taus) })).sort((p, q) => (p.labeler < q.labeler ? -1 : 1)),
  };
}
