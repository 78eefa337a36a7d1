// The report card of a pipeline run: gathers each stage's figures (stage.json), training curves
// (metrics.jsonl) and held-out examples from the run folder, checks the figures against the
// efficacy targets, and writes report.json (flat keys), report.md (with its plots as .svg files
// beside it) and report.html (the same, self-contained, plots inline).
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import { readJson, readMetrics, type MetricsRecord } from '../../train/metrics.js';
import type { AccuracyReport } from '../../train/accuracy.js';
import type { BestOfNPoint } from '../../rlhf/bestofn.js';
import type { KindFigures, PolicyFigures } from '../evaluate.js';
import { renderHtml, renderMarkdown, reportPlots } from './render.js';

/** The policy stages the card knows, in its order, with their names for people. */
export const POLICY_NAMES: Record<string, string> = {
  ppo: 'PPO', ppo_gold: 'PPO, gold reward', dpo: 'DPO', simpo: 'SimPO', orpo: 'ORPO', kto: 'KTO',
  rloo: 'RLOO', reinforce_pp: 'REINFORCE++', rft: 'rejection sampling', grpo: 'GRPO', reward_hacking: 'PPO, hackable reward',
};

/** report.json: flat keys, null where a stage did not run. Per policy stage m: m_win_rate,
 * m_win_rate_decisive, m_kl, m_gold_delta, m_gold_delta_ci, m_frontier_share (continuations),
 * m_win_rate_instructions, m_accuracy (greedy exact match on instructions). */
export type ReportFigures = Record<string, number | [number, number] | null> & { pipeline_seconds: number };

export interface TargetCheck { figure: string; value: string; target: string; met: boolean | null }

export interface PolicyRow { stage: string; name: string; figures: PolicyFigures; result: Record<string, unknown> }

export interface ReportData {
  runDir: string;
  figures: ReportFigures;
  targets: TargetCheck[];
  stages: { name: string; seconds: number; result: Record<string, unknown> }[];
  policies: PolicyRow[];
  curves: Record<string, MetricsRecord[]>;
  /** Best-of-N of the SFT policy against SFT on the continuations, by N (empty without the stage). */
  bestOfN: BestOfNPoint[];
  /** Greedy exact match on held-out instruction prompts, by stage. */
  accuracy: { stage: string; value: number | null }[];
  /** Measured facts that bound or explain the figures. */
  notes: string[];
}

const TARGET_SECONDS = 1200;

function stageRecords(runDir: string): ReportData['stages'] {
  if (!existsSync(runDir)) return [];
  return readdirSync(runDir).filter((n) => existsSync(join(runDir, n, 'stage.json'))).map((name) => {
    const r = readJson(join(runDir, name, 'stage.json')) as { status?: string; seconds?: number; result?: Record<string, unknown> };
    return { name, status: r.status, seconds: r.seconds ?? 0, result: r.result ?? {} };
  }).filter((s) => s.status === 'done').map(({ name, seconds, result }) => ({ name, seconds, result }));
}

const jsonIf = <T>(path: string): T | null => (existsSync(path) ? (readJson(path) as T) : null);
const numberOr = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const isPolicy = (r: Record<string, unknown>): boolean => typeof r.continuation === 'object' && r.continuation !== null && typeof r.instruction === 'object';

/** The flat keys of one policy stage. */
function policyFigures(m: string, f: PolicyFigures): ReportFigures {
  const c: KindFigures = f.continuation, i: KindFigures = f.instruction;
  return {
    [`${m}_win_rate`]: c.winRate, [`${m}_win_rate_decisive`]: c.decisiveWinRate, [`${m}_kl`]: c.kl,
    [`${m}_gold_delta`]: c.meanDiff, [`${m}_gold_delta_ci`]: c.meanDiffCi, [`${m}_frontier_share`]: f.frontierShare,
    [`${m}_win_rate_instructions`]: i.winRate, [`${m}_accuracy`]: f.accuracy,
  } as ReportFigures;
}

/** Collects the report's data from a run folder; `ownSeconds` is time spent outside stage.json
 * records so far (the report stage itself). */
export function gatherReport(runDir: string, { ownSeconds = 0 } = {}): ReportData {
  const stages = stageRecords(runDir);
  const result = (name: string): Record<string, unknown> => stages.find((s) => s.name === name)?.result ?? {};
  // The pipeline's own order; stages it does not list (left from another config) go last.
  const order = jsonIf<{ stages: string[] }>(join(runDir, 'pipeline_config.json'))?.stages ?? [];
  const rank = (name: string): number => (order.includes(name) ? order.indexOf(name) : order.length);
  stages.sort((a, b) => rank(a.name) - rank(b.name));
  const policies: PolicyRow[] = stages.filter((s) => isPolicy(s.result) && s.name in POLICY_NAMES)
    .map((s) => ({ stage: s.name, name: POLICY_NAMES[s.name], figures: s.result as unknown as PolicyFigures, result: s.result }));

  const rw = result('reward'), bon = result('best_of_n');
  const bestOfN = (bon.curve as BestOfNPoint[] | undefined) ?? [];
  const top = bestOfN[bestOfN.length - 1];
  const figures: ReportFigures = {
    rm_accuracy: numberOr(rw.accuracy),
    rm_accuracy_policy: numberOr(rw.policyAccuracy),
    rm_accuracy_policy_instructions: numberOr(rw.policyAccuracyInstructions),
    best_of_n_gold_win_rate: top?.goldWinRate ?? null,
    best_of_n_rm_win_rate: top?.rewardWinRate ?? null,
    best_of_n_kl: top?.kl ?? null,
    win_rate_ceiling: numberOr(bon.ceiling),
    ...Object.assign({}, ...policies.map((p) => policyFigures(p.stage, p.figures))),
    grpo_accuracy_sft: policies.some((p) => p.stage === 'grpo') ? numberOr(result('grpo').sftAccuracy) : null,
    grpo_accuracy: policies.find((p) => p.stage === 'grpo')?.figures.accuracy ?? null,
    pipeline_seconds: stages.filter((s) => s.name !== 'report').reduce((t, s) => t + s.seconds, 0) + ownSeconds,
  };
  const f = (k: string): number | null => numberOr(figures[k]);
  const check = (ok: boolean, ...xs: (number | null)[]): boolean | null => (xs.some((x) => x === null) ? null : ok);
  const ci = figures.ppo_gold_delta_ci as [number, number] | null | undefined;
  const gain = f('grpo_accuracy') !== null && f('grpo_accuracy_sft') !== null ? f('grpo_accuracy')! - f('grpo_accuracy_sft')! : null;
  const targets: TargetCheck[] = [
    { figure: 'reward model pairwise accuracy, held-out rankings (rm_accuracy)', value: pct(f('rm_accuracy')), target: '≥ 85%', met: check((f('rm_accuracy') ?? 0) >= 0.85, f('rm_accuracy')) },
    { figure: 'reward model on held-out pairs of SFT continuations (rm_accuracy_policy)', value: pct(f('rm_accuracy_policy')), target: '≥ 75%', met: check((f('rm_accuracy_policy') ?? 0) >= 0.75, f('rm_accuracy_policy')) },
    { figure: 'PPO win rate vs SFT, continuations (ppo_win_rate)', value: pct(f('ppo_win_rate')), target: '≥ 80%', met: check((f('ppo_win_rate') ?? 0) >= 0.8, f('ppo_win_rate')) },
    { figure: 'PPO KL from SFT per response (ppo_kl)', value: f('ppo_kl') === null ? 'n/a' : `${f('ppo_kl')!.toFixed(2)} nats`, target: '≤ 8 nats', met: check((f('ppo_kl') ?? 0) <= 8, f('ppo_kl')) },
    { figure: 'PPO gold gain over SFT, 95% interval (ppo_gold_delta_ci)', value: ci ? `[${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}]` : 'n/a', target: 'low > 0', met: ci ? ci[0] > 0 : null },
    { figure: 'PPO frontier share (ppo_frontier_share)', value: f('ppo_frontier_share') === null ? 'n/a' : f('ppo_frontier_share')!.toFixed(2), target: '≥ 0.8', met: check((f('ppo_frontier_share') ?? 0) >= 0.8, f('ppo_frontier_share')) },
    { figure: 'DPO win rate vs SFT, continuations (dpo_win_rate)', value: pct(f('dpo_win_rate')), target: '≥ 75%', met: check((f('dpo_win_rate') ?? 0) >= 0.75, f('dpo_win_rate')) },
    { figure: 'RLOO win rate vs SFT, continuations (rloo_win_rate)', value: pct(f('rloo_win_rate')), target: '≥ 80%', met: check((f('rloo_win_rate') ?? 0) >= 0.8, f('rloo_win_rate')) },
    { figure: 'GRPO greedy exact match: SFT → GRPO', value: `${pct(f('grpo_accuracy_sft'))} → ${pct(f('grpo_accuracy'))}`, target: '+10 points', met: check((gain ?? 0) >= 0.1 - 1e-9, gain) },
    { figure: 'pipeline time (all stages)', value: `${figures.pipeline_seconds.toFixed(0)} s`, target: `≤ ${TARGET_SECONDS} s`, met: figures.pipeline_seconds <= TARGET_SECONDS },
  ];

  const metrics = (name: string): MetricsRecord[] => readMetrics(join(runDir, name, 'metrics.jsonl'));
  const sftAcc = jsonIf<{ base: AccuracyReport; sft: AccuracyReport }>(join(runDir, 'sft', 'accuracy.json'));
  const accuracy = [
    { stage: 'base', value: sftAcc?.base.accuracy ?? null },
    { stage: 'SFT', value: numberOr(bon.sftAccuracy) ?? sftAcc?.sft.accuracy ?? null },
    ...policies.filter((p) => p.stage !== 'reward_hacking').map((p) => ({ stage: p.name, value: p.figures.accuracy })),
  ];
  return {
    runDir, figures, targets, stages, policies, bestOfN, accuracy,
    curves: Object.fromEntries(['pretrain', 'sft', 'reward', 'dpo', 'ppo', 'ppo_gold', 'reward_hacking', 'rloo', 'grpo'].map((n) => [n, metrics(n)])),
    notes: reportNotes(result, policies, bestOfN, sftAcc, metrics('grpo')),
  };
}

/** What the figures rest on, measured in this run. */
function reportNotes(result: (name: string) => Record<string, unknown>, policies: PolicyRow[], bestOfN: BestOfNPoint[], sftAcc: { sft: AccuracyReport } | null, grpoRuns: MetricsRecord[]): string[] {
  const notes: string[] = [];
  const rw = result('reward'), bon = result('best_of_n');
  if (typeof rw.policyAccuracy === 'number') {
    notes.push(`The reward model orders ${pct(rw.policyAccuracy as number)} of held-out pairs of SFT continuations correctly (${rw.policyPairs} pairs) and ${pct(numberOr(rw.policyAccuracyInstructions))} of SFT instruction pairs, against ${pct(numberOr(rw.accuracy))} on the default data's held-out rankings: PPO, RLOO and best-of-N by the reward model climb the first.`);
  }
  const ceiling = numberOr(bon.ceiling), top = bestOfN[bestOfN.length - 1];
  if (top && ceiling !== null) {
    notes.push(`Best of ${top.n} SFT continuations picked by the gold labeler wins ${pct(top.goldWinRate)} against SFT (gold +${top.goldGain.toFixed(2)}) at a KL of at most ${top.kl.toFixed(2)} nats, picked by the reward model ${pct(top.rewardWinRate)} (gold ${top.rewardGain >= 0 ? '+' : ''}${top.rewardGain.toFixed(2)}). A policy with a perfect continuation for every prompt would win ${pct(ceiling)}: it can only tie where the SFT sample already scores the labeler's maximum.`);
  }
  const ppo = policies.find((p) => p.stage === 'ppo'), gold = policies.find((p) => p.stage === 'ppo_gold');
  if (ppo && gold) {
    notes.push(`Ablation: the same PPO with the gold labeler as its reward wins ${pct(gold.figures.continuation.winRate)} at ${gold.figures.continuation.kl.toFixed(2)} nats (frontier share ${gold.figures.frontierShare?.toFixed(2) ?? 'n/a'}); with the learned reward model ${pct(ppo.figures.continuation.winRate)} at ${ppo.figures.continuation.kl.toFixed(2)} nats. The gap is what the reward model costs; the rest is what PPO reaches in its iterations.`);
  }
  const hack = policies.find((p) => p.stage === 'reward_hacking');
  if (hack) {
    const h = hack.result, ex = hack.figures.continuation.examples[0];
    notes.push(`Reward hacking: PPO against AFINN's comparative score (valence per token, which pays most for the shortest positive answer) drove that score ${Number(h.firstScore).toFixed(2)} → ${Number(h.lastScore).toFixed(2)} while the rubric's gold score on its rollouts went ${Number(h.firstGold).toFixed(2)} → ${Number(h.lastGold).toFixed(2)}; on held-out prompts it wins ${pct(hack.figures.continuation.winRate)} against SFT${ex ? `, answering e.g. ${JSON.stringify(ex.policy.slice(0, 60))} (gold ${ex.policyGold.toFixed(2)})` : ''}. The rubric checks form before sentiment, so the same hole does not pay under it.`);
  }
  const tax = policies.filter((p) => ['ppo', 'dpo', 'rloo'].includes(p.stage)).map((p) => `${p.name} ${pct(p.figures.accuracy)}`);
  const sft = numberOr(bon.sftAccuracy);
  if (tax.length && sft !== null) notes.push(`Alignment tax on instructions (greedy exact match, SFT ${pct(sft)}): ${tax.join(', ')} — the preference methods train on continuations only.`);
  if (sftAcc) {
    const byTask = Object.entries(sftAcc.sft.byTask ?? {}).sort(([, a], [, b]) => b.correct / b.total - a.correct / a.total).map(([task, t]) => `${task} ${t.correct}/${t.total}`);
    if (byTask.length) notes.push(`SFT's greedy exact match by instruction task: ${byTask.join(', ')}.`);
  }
  if (grpoRuns.length) {
    const share = grpoRuns.reduce((t, r) => t + Number(r.informativeGroups ?? 0), 0) / grpoRuns.length;
    notes.push(`GRPO: on average ${(100 * share).toFixed(0)}% of the sampled groups held rewards that differ (the only ones with a learning signal).`);
  }
  return notes;
}

/** Writes report.json, report.md with its .svg plots, and report.html into outDir. */
export function writeReport(runDir: string, outDir: string, { samples = 6, ownSeconds = 0 } = {}): ReportData {
  const data = gatherReport(runDir, { ownSeconds });
  const plots = reportPlots(data);
  for (const p of plots) writeFileSync(join(outDir, `${p.name}.svg`), p.svg);
  writeJsonAtomic(join(outDir, 'report.json'), data.figures);
  writeFileAtomic(join(outDir, 'report.md'), renderMarkdown(data, plots, samples));
  writeFileAtomic(join(outDir, 'report.html'), renderHtml(data, plots, samples));
  return data;
}
