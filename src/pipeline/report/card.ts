// The report card of a pipeline run: gathers each stage's figures (stage.json), training curves
// (metrics.jsonl) and held-out samples (summary.json) from the run folder, checks the figures
// against the efficacy targets, and writes report.json, report.md (with its plots as .svg files
// beside it) and report.html (the same, self-contained, plots inline).
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import { readJson, readMetrics, type MetricsRecord } from '../../train/metrics.js';
import type { AccuracyReport } from '../../train/accuracy.js';
import type { BestOfNPoint } from '../../rlhf/bestofn.js';
import type { ComparisonSample } from '../../rlhf/eval.js';
import { renderHtml, renderMarkdown, reportPlots } from './render.js';

/** The figures of report.json (null where the stage did not run). */
export interface ReportFigures {
  rm_accuracy: number | null;
  ppo_win_rate: number | null;
  ppo_kl: number | null;
  dpo_win_rate: number | null;
  grpo_accuracy_sft: number | null;
  grpo_accuracy: number | null;
  pipeline_seconds: number;
}

export interface TargetCheck { figure: string; value: string; target: string; met: boolean | null }

export interface ReportData {
  runDir: string;
  figures: ReportFigures;
  targets: TargetCheck[];
  stages: { name: string; seconds: number; result: Record<string, unknown> }[];
  curves: Record<'pretrain' | 'sft' | 'reward' | 'dpo' | 'ppo' | 'grpo', MetricsRecord[]>;
  /** Best-of-N of the SFT policy against SFT, by N (empty when the stage did not run). */
  bestOfN: BestOfNPoint[];
  /** Greedy exact match on held-out instruction prompts, by stage. */
  accuracy: { stage: string; value: number | null }[];
  /** Held-out prompts answered by SFT, PPO and DPO (same prompts, same sampling seed). */
  samples: { prompt: string; kind: string; sft: string; ppo: string | null; dpo: string | null; gold: { sft: number; ppo: number | null; dpo: number | null } }[];
  /** Held-out instruction prompts answered greedily by SFT and GRPO. */
  grpoSamples: { prompt: string; answer: string; sft: string; grpo: string }[];
  /** Measured facts that bound the figures (ties, the SFT model's accuracy, signal in GRPO groups). */
  notes: string[];
}

const TARGET_SECONDS = 1200;

function stageRecords(runDir: string): ReportData['stages'] {
  if (!existsSync(runDir)) return [];
  return readdirSync(runDir).filter((n) => existsSync(join(runDir, n, 'stage.json'))).map((name) => {
    const r = readJson(join(runDir, name, 'stage.json')) as { seconds?: number; result?: Record<string, unknown> };
    return { name, seconds: r.seconds ?? 0, result: r.result ?? {} };
  });
}

const jsonIf = <T>(path: string): T | null => (existsSync(path) ? (readJson(path) as T) : null);
const numberOr = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Collects the report's data from a run folder; `ownSeconds` is time spent outside stage.json
 * records so far (the report stage itself). */
export function gatherReport(runDir: string, { samples = 6, ownSeconds = 0 } = {}): ReportData {
  const stages = stageRecords(runDir);
  const result = (name: string): Record<string, unknown> => stages.find((s) => s.name === name)?.result ?? {};
  // The pipeline's own order; stages it does not list (left from another config) go last.
  const order = jsonIf<{ stages: string[] }>(join(runDir, 'pipeline_config.json'))?.stages ?? [];
  const rank = (name: string): number => (order.includes(name) ? order.indexOf(name) : order.length);
  stages.sort((a, b) => rank(a.name) - rank(b.name));
  const figures: ReportFigures = {
    rm_accuracy: numberOr(result('reward').accuracy),
    ppo_win_rate: numberOr(result('ppo').winRate),
    ppo_kl: numberOr(result('ppo').kl),
    dpo_win_rate: numberOr(result('dpo').winRate),
    grpo_accuracy_sft: numberOr(result('grpo').sftAccuracy),
    grpo_accuracy: numberOr(result('grpo').accuracy),
    pipeline_seconds: stages.filter((s) => s.name !== 'report').reduce((t, s) => t + s.seconds, 0) + ownSeconds,
  };
  const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
  const check = (ok: boolean, ...xs: (number | null)[]): boolean | null => (xs.some((x) => x === null) ? null : ok);
  const f = figures;
  const gain = f.grpo_accuracy !== null && f.grpo_accuracy_sft !== null ? f.grpo_accuracy - f.grpo_accuracy_sft : null;
  const targets: TargetCheck[] = [
    { figure: 'reward model pairwise accuracy (held-out rankings)', value: pct(f.rm_accuracy), target: '≥ 85%', met: check((f.rm_accuracy ?? 0) >= 0.85, f.rm_accuracy) },
    { figure: 'PPO win rate vs SFT (gold labeler, held-out prompts)', value: pct(f.ppo_win_rate), target: '≥ 75%', met: check((f.ppo_win_rate ?? 0) >= 0.75, f.ppo_win_rate) },
    { figure: 'PPO KL to the reference per response', value: f.ppo_kl === null ? 'n/a' : `${f.ppo_kl.toFixed(2)} nats`, target: '≤ 10 nats', met: check((f.ppo_kl ?? 0) <= 10, f.ppo_kl) },
    { figure: 'DPO win rate vs SFT', value: pct(f.dpo_win_rate), target: '≥ 70%', met: check((f.dpo_win_rate ?? 0) >= 0.7, f.dpo_win_rate) },
    { figure: 'GRPO exact match: SFT → GRPO', value: `${pct(f.grpo_accuracy_sft)} → ${pct(f.grpo_accuracy)}`, target: '+10 points', met: check((gain ?? 0) >= 0.1 - 1e-9, gain) },
    { figure: 'pipeline time (all stages)', value: `${f.pipeline_seconds.toFixed(0)} s`, target: `≤ ${TARGET_SECONDS} s`, met: f.pipeline_seconds <= TARGET_SECONDS },
  ];

  const metrics = (name: string): MetricsRecord[] => readMetrics(join(runDir, name, 'metrics.jsonl'));
  const sftAcc = jsonIf<{ base: AccuracyReport; sft: AccuracyReport }>(join(runDir, 'sft', 'accuracy.json'));
  // SFT's bar comes from GRPO's own measurement when there is one: the same prompts as PPO, DPO and
  // GRPO (the SFT stage may score another number of them, as it does the base model).
  const accuracy = [
    { stage: 'base', value: sftAcc?.base.accuracy ?? null },
    { stage: 'SFT', value: numberOr(result('grpo').sftAccuracy) ?? sftAcc?.sft.accuracy ?? null },
    { stage: 'PPO', value: numberOr(result('ppo').accuracy) },
    { stage: 'DPO', value: numberOr(result('dpo').accuracy) },
    { stage: 'GRPO', value: f.grpo_accuracy },
  ];

  type Compared = { eval: { samples: ComparisonSample[] } | null };
  const ppoS = jsonIf<Compared>(join(runDir, 'ppo', 'summary.json'))?.eval?.samples ?? [];
  const dpoS = jsonIf<Compared>(join(runDir, 'dpo', 'summary.json'))?.eval?.samples ?? [];
  const base = ppoS.length ? ppoS : dpoS;
  const rows = base.slice(0, samples).map((s, i) => ({
    prompt: s.prompt, kind: s.kind, sft: s.baseline, ppo: ppoS[i]?.policy ?? null, dpo: dpoS[i]?.prompt === s.prompt ? dpoS[i].policy : null,
    gold: { sft: s.baselineGold, ppo: ppoS[i]?.policyGold ?? null, dpo: dpoS[i]?.prompt === s.prompt ? dpoS[i].policyGold : null },
  }));
  const grpo = jsonIf<{ sftAccuracy: AccuracyReport | null; accuracy: AccuracyReport | null }>(join(runDir, 'grpo', 'summary.json'));
  const grpoSamples = (grpo?.accuracy?.samples ?? []).slice(0, samples).map((s, i) => ({ prompt: s.prompt, answer: s.answer, sft: grpo?.sftAccuracy?.samples[i]?.output ?? '', grpo: s.output }));

  const notes: string[] = [];
  for (const name of ['ppo', 'dpo']) {
    const r = result(name);
    if (typeof r.ties === 'number' && typeof r.wins === 'number' && typeof r.losses === 'number') {
      const n = r.wins + r.ties + r.losses;
      notes.push(`${name.toUpperCase()}: ${r.wins} wins, ${r.ties} ties, ${r.losses} losses of ${n} held-out prompts (decisive win rate ${r.wins + r.losses ? ((100 * r.wins) / (r.wins + r.losses)).toFixed(1) : '-'}%).`);
    }
  }
  if (notes.length) notes.push('A tie is two responses the labeler scores the same — both right or both wrong, equally concise and well-formed; turning one into a win takes a correct answer, or a better-formed or more concise one.');
  const sft = accuracy[1].value;
  if (sft !== null) {
    const byTask = sftAcc?.sft?.byTask ?? {};
    const tasks = Object.entries(byTask).sort(([, a], [, b]) => b.correct / b.total - a.correct / a.total).map(([task, t]) => `${task} ${t.correct}/${t.total}`);
    notes.push(`The SFT model answers ${(100 * sft).toFixed(1)}% of held-out instruction prompts exactly (greedy)${tasks.length ? ` — ${tasks.join(', ')}` : ''}. The labeler ranks correctness first, so a method wins an instruction prompt mainly by turning a wrong answer right; where the SFT model never learned the answer (a held-out question is one no training file asks), sampling it more sharply cannot.`);
  }
  const rw = result('reward');
  if (typeof rw.sampledAccuracy === 'number') notes.push(`The reward model orders ${(100 * rw.sampledAccuracy).toFixed(1)}% of held-out pairs of SFT samples correctly (${rw.sampledPairs} pairs), against ${pct(f.rm_accuracy)} on the default data's held-out rankings: PPO optimises the former.`);
  const bestOfN = (result('best_of_n').curve as BestOfNPoint[] | undefined) ?? [];
  const ceiling = numberOr(result('best_of_n').ceiling);
  if (ceiling !== null) notes.push(`A policy with a perfect response to every win-rate prompt would win ${pct(ceiling)} against the same SFT samples (it can only tie where the SFT sample is already perfect): no policy, at any KL, does better.`);
  const top = bestOfN[bestOfN.length - 1];
  if (top) {
    const pass = top.passRate === null ? '' : ` Among its ${top.n} samples, ${(100 * top.passRate).toFixed(1)}% of the instruction prompts have a correct answer.`;
    notes.push(`Best of ${top.n} SFT samples picked by the gold labeler wins ${pct(top.goldWinRate)} against SFT at a KL of at most ${top.kl.toFixed(2)} nats: about the most any policy that close to SFT can win (best-of-N is near-optimal for win rate at its KL), and it picks with the labeler's answer key in hand. Picked by the reward model, the same samples win ${pct(top.rewardWinRate)}: the signal PPO climbs (plot: win rate against KL).${pass}`);
  }
  const grpoRuns = metrics('grpo');
  if (grpoRuns.length) {
    const share = grpoRuns.reduce((t, r) => t + Number(r.informativeGroups ?? 0), 0) / grpoRuns.length;
    notes.push(`GRPO: on average ${(100 * share).toFixed(0)}% of the sampled groups held rewards that differ (the only ones with a learning signal).`);
  }

  return {
    runDir, figures, targets, stages, notes,
    curves: { pretrain: metrics('pretrain'), sft: metrics('sft'), reward: metrics('reward'), dpo: metrics('dpo'), ppo: metrics('ppo'), grpo: metrics('grpo') },
    accuracy, bestOfN, samples: rows, grpoSamples,
  };
}

/** Writes report.json, report.md with its .svg plots, and report.html into outDir. */
export function writeReport(runDir: string, outDir: string, { samples = 6, ownSeconds = 0 } = {}): ReportData {
  const data = gatherReport(runDir, { samples, ownSeconds });
  const plots = reportPlots(data);
  for (const p of plots) writeFileSync(join(outDir, `${p.name}.svg`), p.svg);
  writeJsonAtomic(join(outDir, 'report.json'), data.figures);
  writeFileAtomic(join(outDir, 'report.md'), renderMarkdown(data, plots));
  writeFileAtomic(join(outDir, 'report.html'), renderHtml(data, plots));
  return data;
}
