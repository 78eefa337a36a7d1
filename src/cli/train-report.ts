// The end-of-run summary every training command prints.
import type { TrainResult } from '../train/lm.js';

export function printTrainSummary(what: string, runDir: string, r: TrainResult, extra: [string, string][]): void {
  const rows: [string, string][] = [
    ['steps', r.resumedFrom !== null ? `${r.steps} (resumed at ${r.resumedFrom})` : String(r.steps)],
    ['time', `${r.seconds.toFixed(1)} s (${r.tokS.toFixed(0)} tokens/s)`],
    ['tokens trained on', r.tokens.toLocaleString('en-US')],
    ['final training loss', r.trainLoss.toFixed(4)],
    ...(r.eval ? [['held-out loss / perplexity', `${r.eval.loss.toFixed(4)} / ${r.eval.ppl.toFixed(2)}`] as [string, string]] : []),
    ...extra,
    ['run folder', `${runDir} (train_config.json, metrics.jsonl, summary.json, checkpoints/)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  console.log(`\n${what} done`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}${v}`);
}
