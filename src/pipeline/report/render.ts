// The report card as Markdown (plots linked as .svg files) and as one self-contained HTML page
// (the same plots inline). Both render the same tables, built once here as rows of text cells.
import type { MetricsRecord } from '../../train/metrics.js';
import type { KindFigures } from '../evaluate.js';
import type { PolicyRow, ReportData } from './card.js';
import { barChart, lineChart, type Series } from './svg.js';

export interface Plot { name: string; title: string; svg: string }

const series = (name: string, records: MetricsRecord[] | undefined, key: string): Series => ({
  name, points: (records ?? []).filter((r) => typeof r[key] === 'number').map((r) => [r.step, r[key] as number]),
});

export function reportPlots(d: ReportData): Plot[] {
  const c = d.curves;
  const main = d.policies.filter((p) => p.stage !== 'reward_hacking');
  // A trained policy is one point of (KL, figure); best-of-N is a curve over N.
  const point = (p: PolicyRow, y: (k: KindFigures) => number): Series => ({ name: p.name, points: [[p.figures.continuation.kl, y(p.figures.continuation)]] });
  const plots: [string, string, string][] = [
    ['loss_pretrain', 'Pretraining loss', lineChart('Pretraining loss', [series('train', c.pretrain, 'loss'), series('held-out', c.pretrain, 'evalLoss')])],
    ['loss_sft', 'SFT loss', lineChart('SFT loss', [series('train', c.sft, 'loss'), series('held-out', c.sft, 'evalLoss')])],
    ['loss_reward', 'Reward model: loss and pair accuracy', lineChart('Reward model', [series('loss', c.reward, 'loss'), series('train accuracy', c.reward, 'accuracy'), series('held-out accuracy', c.reward, 'eval_accuracy')])],
    ['ppo_reward', 'PPO: reward-model score and gold score of the rollouts per iteration; PPO with the gold reward beside it', lineChart('PPO reward per iteration', [series('RM score', c.ppo, 'score'), series('gold score', c.ppo, 'gold'), series('gold, gold-reward PPO', c.ppo_gold, 'gold')], { xLabel: 'iteration' })],
    ['ppo_kl', 'PPO: KL to the reference (nats per response) and entropy (nats per token)', lineChart('PPO KL and entropy', [series('KL', c.ppo, 'kl'), series('entropy', c.ppo, 'entropy')], { xLabel: 'iteration' })],
    ['reward_hacking', 'PPO against the hackable labeler: the score it maximises and the rubric\'s gold score of its rollouts', lineChart('Reward hacking', [series('hackable score', c.reward_hacking, 'score'), series('gold score', c.reward_hacking, 'gold'), series('response length', c.reward_hacking, 'responseLength')], { xLabel: 'iteration' })],
    ['rloo_reward', 'RLOO: reward-model score and gold score of the rollouts per iteration', lineChart('RLOO reward per iteration', [series('RM score', c.rloo, 'score'), series('gold score', c.rloo, 'gold')], { xLabel: 'iteration' })],
    ['grpo_reward', 'GRPO: reward and exact match of the samples per iteration', lineChart('GRPO per iteration', [series('reward', c.grpo, 'reward'), series('exact match', c.grpo, 'exactMatch')], { xLabel: 'iteration' })],
    ['win_rate', 'Held-out win rate against SFT on continuations (gold labeler), by method', barChart('Win rate vs SFT (continuations)', main.map((p) => ({ label: p.name, value: p.figures.continuation.winRate })), { target: 0.8 })],
    ['win_rate_kl', 'Win rate against SFT by KL from SFT: best-of-N SFT samples picked by the gold labeler or the reward model, and the trained policies', lineChart('Win rate vs SFT by KL', [
      { name: 'best-of-N, gold', points: d.bestOfN.map((p) => [p.kl, p.goldWinRate]) },
      { name: 'best-of-N, RM', points: d.bestOfN.map((p) => [p.kl, p.rewardWinRate]) },
      ...main.map((p) => point(p, (k) => k.winRate)),
    ], { xLabel: 'KL from SFT (nats per response)' })],
    ['gold_gain_kl', 'Gold gain over SFT by KL: the best-of-N frontier a policy\'s frontier share is read against', lineChart('Gold gain vs KL', [
      { name: 'best-of-N, gold', points: d.bestOfN.map((p) => [p.kl, p.goldGain]) },
      { name: 'best-of-N, RM', points: d.bestOfN.map((p) => [p.kl, p.rewardGain]) },
      ...main.map((p) => point(p, (k) => k.meanDiff)),
    ], { xLabel: 'KL from SFT (nats per response)' })],
    ['accuracy', 'Held-out greedy exact match on instructions, by stage', barChart('Exact match by stage', d.accuracy.map((a) => ({ label: a.stage, value: a.value })))],
  ];
  return plots.map(([name, title, svg]) => ({ name, title, svg }));
}

const mark = (met: boolean | null): string => (met === null ? '–' : met ? '✓' : '✗');
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
const fixed = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? '–' : x.toFixed(d));
const clip = (s: string | null): string => (s === null ? '–' : s.length > 90 ? `${s.slice(0, 87)}...` : s);

interface Table { head: string[]; rows: string[][] }

function tables(d: ReportData, samples: number): { title: string; intro?: string; table: Table }[] {
  const policyRows = d.policies.map((p) => {
    const c = p.figures.continuation, i = p.figures.instruction;
    return [p.name, pct(c.winRate), `${c.wins}/${c.ties}/${c.losses}`, pct(c.decisiveWinRate), `${c.meanDiff >= 0 ? '+' : ''}${c.meanDiff.toFixed(3)} [${c.meanDiffCi[0].toFixed(3)}, ${c.meanDiffCi[1].toFixed(3)}]`,
      fixed(c.kl), fixed(p.figures.frontierShare), pct(i.winRate), pct(p.figures.accuracy)];
  });
  const conts = d.policies.filter((p) => ['ppo', 'dpo', 'rloo', 'reward_hacking'].includes(p.stage));
  const first = conts[0]?.figures.continuation.examples ?? [];
  const grpo = d.policies.find((p) => p.stage === 'grpo')?.figures.instruction.examples ?? [];
  const ex = (s: string, g: number): string => `${clip(s)} (${g.toFixed(2)})`;
  return [
    { title: 'Efficacy (held-out prompts, gold labeler)', table: { head: ['figure', 'value', 'target', 'met'], rows: d.targets.map((t) => [t.figure, t.value, t.target, mark(t.met)]) } },
    {
      title: 'Every policy against SFT on held-out prompts',
      intro: 'Continuations: win rate = (wins + ties / 2) / prompts; decisive = wins / (wins + losses); gold Δ = mean paired gold-score difference with its 95% bootstrap interval; KL from SFT per response, in nats, on the policy\'s own samples; frontier share = gold Δ over best-of-N-by-gold\'s gain at that KL. Instructions: win rate and greedy exact match.',
      table: { head: ['policy', 'win', 'W/T/L', 'decisive', 'gold Δ [95% CI]', 'KL', 'frontier share', 'instr. win', 'exact match'], rows: policyRows },
    },
    {
      title: 'Best-of-N SFT continuations against SFT',
      table: { head: ['N', 'KL ≤', 'win, gold picks', 'win, RM picks', 'gold gain, gold picks', 'gold gain, RM picks'], rows: d.bestOfN.map((p) => [String(p.n), fixed(p.kl), pct(p.goldWinRate), pct(p.rewardWinRate), fixed(p.goldGain, 3), fixed(p.rewardGain, 3)]) },
    },
    { title: 'Stages', table: { head: ['stage', 'seconds'], rows: d.stages.map((s) => [s.name, s.seconds.toFixed(1)]) } },
    {
      title: 'Held-out continuations (sampled; gold score in brackets)',
      table: { head: ['prompt', 'SFT', ...conts.map((p) => p.name)], rows: first.slice(0, samples).map((e, k) => [clip(e.prompt), ex(e.sft, e.sftGold), ...conts.map((p) => { const x = p.figures.continuation.examples[k]; return x ? ex(x.policy, x.policyGold) : '–'; })]) },
    },
    {
      title: 'Held-out instructions, SFT and GRPO (sampled; gold score in brackets)',
      table: { head: ['prompt', 'SFT', 'GRPO'], rows: grpo.slice(0, samples).map((e) => [clip(e.prompt), ex(e.sft, e.sftGold), ex(e.policy, e.policyGold)]) },
    },
  ];
}

const mdCell = (s: string): string => JSON.stringify(s).slice(1, -1).replace(/\|/g, '\\|');

export function renderMarkdown(d: ReportData, plots: Plot[], samples: number): string {
  const L: string[] = ['# RLHF report card', '', `Run folder: \`${d.runDir}\``, ''];
  for (const [i, t] of tables(d, samples).entries()) {
    L.push(`## ${t.title}`, '');
    if (t.intro) L.push(t.intro, '');
    L.push(`| ${t.table.head.join(' | ')} |`, `|${t.table.head.map(() => '---').join('|')}|`, ...t.table.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`), '');
    if (i === 0 && d.notes.length) L.push('What the figures rest on (measured in this run):', '', ...d.notes.map((n) => `- ${n}`), '');
  }
  L.push('## Plots', '');
  for (const p of plots) L.push(`![${p.title}](${p.name}.svg)`, '');
  return L.join('\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderHtml(d: ReportData, plots: Plot[], samples: number): string {
  const table = (t: Table): string => `<table><tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
  const sections = tables(d, samples).map((t, i) => `<h2>${esc(t.title)}</h2>${t.intro ? `<p>${esc(t.intro)}</p>` : ''}${table(t.table)}` +
    (i === 0 && d.notes.length ? `<p>What the figures rest on (measured in this run):</p><ul>${d.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''));
  return `<!doctype html><html><head><meta charset="utf-8"><title>RLHF report card</title><style>
body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}
.plots{display:flex;flex-wrap:wrap;gap:8px}</style></head><body>
<h1>RLHF report card</h1><p>Run folder: <code>${esc(d.runDir)}</code></p>
${sections.join('\n')}
<h2>Plots</h2><div class="plots">${plots.map((p) => p.svg).join('')}</div>
</body></html>
`;
}
