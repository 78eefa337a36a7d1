// The report card as Markdown (plots linked as .svg files) and as one self-contained HTML page
// (the same plots inline).
import type { MetricsRecord } from '../../train/metrics.js';
import type { ReportData } from './card.js';
import { barChart, lineChart, type Series } from './svg.js';

export interface Plot { name: string; title: string; svg: string }

const series = (name: string, records: MetricsRecord[], key: string): Series => ({
  name, points: records.filter((r) => typeof r[key] === 'number').map((r) => [r.step, r[key] as number]),
});

export function reportPlots(d: ReportData): Plot[] {
  const c = d.curves;
  const figure = (stage: string, key: string): number | null => {
    const r = d.stages.find((s) => s.name === stage)?.result[key];
    return typeof r === 'number' ? r : null;
  };
  const win = (stage: string): number | null => figure(stage, 'winRate');
  // A trained policy is one point of (KL, win rate); best-of-N is a curve over N.
  const point = (name: string, stage: string): Series => ({ name, points: [[figure(stage, 'kl') ?? NaN, win(stage) ?? NaN]] });
  const frontier: Series[] = [
    { name: 'best-of-N, gold', points: d.bestOfN.map((p) => [p.kl, p.goldWinRate]) },
    { name: 'best-of-N, RM', points: d.bestOfN.map((p) => [p.kl, p.rewardWinRate]) },
    point('PPO', 'ppo'), point('DPO', 'dpo'),
  ];
  const plots: [string, string, string][] = [
    ['loss_pretrain', 'Pretraining loss', lineChart('Pretraining loss', [series('train', c.pretrain, 'loss'), series('held-out', c.pretrain, 'evalLoss')])],
    ['loss_sft', 'SFT loss', lineChart('SFT loss', [series('train', c.sft, 'loss'), series('held-out', c.sft, 'evalLoss')])],
    ['loss_reward', 'Reward model: loss and pair accuracy', lineChart('Reward model', [series('loss', c.reward, 'loss'), series('train accuracy', c.reward, 'accuracy'), series('held-out accuracy', c.reward, 'eval_accuracy')])],
    ['loss_dpo', 'DPO loss and implicit-reward accuracy', lineChart('DPO', [series('loss', c.dpo, 'loss'), series('reward accuracy', c.dpo, 'rewardAccuracy')])],
    ['ppo_reward', 'PPO: reward-model score and gold score per iteration', lineChart('PPO reward per iteration', [series('RM score', c.ppo, 'score'), series('gold score', c.ppo, 'gold')], { xLabel: 'iteration' })],
    ['ppo_kl', 'PPO: KL to the reference (nats per response) and entropy (nats per token)', lineChart('PPO KL and entropy', [series('KL', c.ppo, 'kl'), series('entropy', c.ppo, 'entropy')], { xLabel: 'iteration' })],
    ['ppo_loss', 'PPO losses per iteration', lineChart('PPO losses', [series('policy', c.ppo, 'policyLoss'), series('value', c.ppo, 'valueLoss')], { xLabel: 'iteration' })],
    ['grpo_reward', 'GRPO: reward and exact match of the samples per iteration', lineChart('GRPO per iteration', [series('reward', c.grpo, 'reward'), series('exact match', c.grpo, 'exactMatch')], { xLabel: 'iteration' })],
    ['accuracy', 'Held-out exact-match accuracy by stage', barChart('Exact match by stage', d.accuracy.map((a) => ({ label: a.stage, value: a.value })))],
    ['win_rate', 'Held-out win rate against SFT (gold labeler)', barChart('Win rate vs SFT', [{ label: 'PPO', value: win('ppo') }, { label: 'DPO', value: win('dpo') }], { target: 0.75 })],
    ['win_rate_kl', 'Held-out win rate against SFT by KL to SFT: best-of-N SFT samples picked by the gold labeler or the reward model, and the trained policies', lineChart('Win rate vs SFT by KL', frontier, { xLabel: 'KL to SFT (nats per response)' })],
  ];
  return plots.map(([name, title, svg]) => ({ name, title, svg }));
}

const mark = (met: boolean | null): string => (met === null ? '–' : met ? '✓' : '✗');
const cell = (s: string | null): string => (s === null ? '–' : JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s).slice(1, -1).replace(/\|/g, '\\|'));
const gold = (x: number | null): string => (x === null ? '' : ` (${x.toFixed(2)})`);

function stageLine(s: ReportData['stages'][number]): string {
  const figures = Object.entries(s.result).filter(([, v]) => typeof v === 'number').slice(0, 4).map(([k, v]) => `${k} ${Number((v as number).toPrecision(4))}`);
  return figures.join(', ');
}

export function renderMarkdown(d: ReportData, plots: Plot[]): string {
  const L: string[] = ['# RLHF report card', '', `Run folder: \`${d.runDir}\``, '', '## Efficacy (held-out prompts, gold labelers)', '', '| figure | value | target | met |', '|---|---|---|---|'];
  for (const t of d.targets) L.push(`| ${t.figure} | ${t.value} | ${t.target} | ${mark(t.met)} |`);
  L.push('', 'Win rate = (wins + ties / 2) / prompts; a tie is a prompt where the gold labeler scores both responses the same.', '');
  if (d.notes.length) L.push('What limits the figures (measured in this run):', '', ...d.notes.map((n) => `- ${n}`), '');
  L.push('## Stages', '', '| stage | seconds | figures |', '|---|---|---|');
  for (const s of d.stages) L.push(`| ${s.name} | ${s.seconds.toFixed(1)} | ${stageLine(s)} |`);
  L.push('', '## Plots', '');
  for (const p of plots) L.push(`![${p.title}](${p.name}.svg)`, '');
  L.push('## Sample generations on held-out prompts (gold score in brackets)', '', '| prompt | SFT | PPO | DPO |', '|---|---|---|---|');
  for (const s of d.samples) L.push(`| ${cell(s.prompt)} | ${cell(s.sft)}${gold(s.gold.sft)} | ${cell(s.ppo)}${gold(s.gold.ppo)} | ${cell(s.dpo)}${gold(s.gold.dpo)} |`);
  L.push('', '## GRPO: greedy answers on held-out instruction prompts', '', '| prompt | gold answer | SFT | GRPO |', '|---|---|---|---|');
  for (const s of d.grpoSamples) L.push(`| ${cell(s.prompt)} | ${cell(s.answer)} | ${cell(s.sft)} | ${cell(s.grpo)} |`);
  return L.join('\n') + '\n';
}

const esc = (s: string | null): string => (s ?? '–').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderHtml(d: ReportData, plots: Plot[]): string {
  const rows = (cells: string[][], head: string[]): string =>
    `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${cells.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table>`;
  const targets = rows(d.targets.map((t) => [esc(t.figure), esc(t.value), esc(t.target), `<b class="${t.met === null ? '' : t.met ? 'ok' : 'no'}">${mark(t.met)}</b>`]), ['figure', 'value', 'target', 'met']);
  const stages = rows(d.stages.map((s) => [s.name, s.seconds.toFixed(1), esc(stageLine(s))]), ['stage', 'seconds', 'figures']);
  const samples = rows(d.samples.map((s) => [esc(s.prompt), esc(s.sft) + gold(s.gold.sft), esc(s.ppo) + gold(s.gold.ppo), esc(s.dpo) + gold(s.gold.dpo)]), ['prompt', 'SFT', 'PPO', 'DPO']);
  const grpo = rows(d.grpoSamples.map((s) => [esc(s.prompt), esc(s.answer), esc(s.sft), esc(s.grpo)]), ['prompt', 'gold answer', 'SFT', 'GRPO']);
  return `<!doctype html><html><head><meta charset="utf-8"><title>RLHF report card</title><style>
body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}.ok{color:#2a2}.no{color:#c22}
.plots{display:flex;flex-wrap:wrap;gap:8px}</style></head><body>
<h1>RLHF report card</h1><p>Run folder: <code>${esc(d.runDir)}</code></p>
<h2>Efficacy (held-out prompts, gold labelers)</h2>${targets}
<p>Win rate = (wins + ties / 2) / prompts; a tie is a prompt where the gold labeler scores both responses the same.</p>
${d.notes.length ? `<p>What limits the figures (measured in this run):</p><ul>${d.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<h2>Stages</h2>${stages}
<h2>Plots</h2><div class="plots">${plots.map((p) => p.svg).join('')}</div>
<h2>Sample generations on held-out prompts (gold score in brackets)</h2>${samples}
<h2>GRPO: greedy answers on held-out instruction prompts</h2>${grpo}
</body></html>
`;
}
