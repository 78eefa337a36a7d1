// The end-of-run table the alignment commands print: aligned "name  value" rows under a title,
// and the rows every method's held-out comparison with its starting model gives.
import type { PolicyComparison } from '../rlhf/eval.js';

export type Row = [string, string];

export const fmt = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));

export function comparisonRows(c: PolicyComparison | null): Row[] {
  if (!c) return [];
  return [
    ['held-out win rate vs start', `${(100 * c.winRate).toFixed(1)}% (${c.wins} wins, ${c.ties} ties, ${c.losses} losses of ${c.prompts})`],
    ['held-out gold score', `${fmt(c.baselineGold)} → ${fmt(c.policyGold)}`],
    ['held-out KL to the start', `${c.kl.toFixed(2)} nats per response`],
  ];
}

export function printSummary(title: string, rows: Row[]): void {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  console.log(`\n${title}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}${v}`);
}
