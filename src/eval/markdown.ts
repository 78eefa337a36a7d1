// The Markdown report of `rlhf eval`: one section per part that ran, figures in tables, a few
// examples, and every contaminated item listed.
import type { EvalReport } from './evaluate.js';

const pct = (x: number | null | undefined): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : '–');
const num = (x: number | null | undefined, d = 3): string => (typeof x === 'number' ? x.toFixed(d) : '–');
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ⏎ ').slice(0, 160);

export function renderMarkdown(r: EvalReport): string {
  const c = r.config;
  const out: string[] = [`# Evaluation of \`${c.model}\``, ''];
  if (r.perplexity) {
    out.push('## Perplexity', '', `${num(r.perplexity.perplexity, 2)} on ${r.perplexity.tokens} scored tokens of \`${c.text}\` (${r.perplexity.windows} windows of ${c.perplexity.window}).`, '');
  }
  if (r.exactMatch) {
    const em = r.exactMatch;
    out.push('## Exact match', '', `${pct(em.accuracy)} of ${em.total} instruction prompts (greedy).`, '', '| task | correct | total | exact match |', '|---|---:|---:|---:|');
    for (const [task, t] of Object.entries(em.byTask).sort()) out.push(`| ${task} | ${t.correct} | ${t.total} | ${pct(t.correct / t.total)} |`);
    out.push('');
  }
  if (r.winRate) {
    const w = r.winRate, lvl = Math.round(100 * c.bootstrap.level);
    out.push(`## Win rate against \`${c.baseline}\``, '', `Judge: ${w.judge}; ${w.n} prompts, ${w.wins} wins, ${w.ties} ties, ${w.losses} losses.`, '',
      '| figure | value | ' + `${lvl}% bootstrap interval |`, '|---|---:|---|',
      `| win rate (ties ½) | ${pct(w.winRate)} | ${pct(w.winRateCi[0])} – ${pct(w.winRateCi[1])} |`,
      `| decisive win rate | ${pct(w.decisiveWinRate)} | |`,
      `| mean score difference | ${num(w.meanDiff)} | ${num(w.meanDiffCi[0])} – ${num(w.meanDiffCi[1])} |`,
      `| mean score: model / baseline | ${num(w.modelScore)} / ${num(w.baselineScore)} | |`, '');
    out.push('| prompt | model | baseline |', '|---|---|---|', ...w.samples.map((s) => `| ${cell(s.prompt)} | ${cell(s.model)} (${num(s.modelScore, 2)}) | ${cell(s.baseline)} (${num(s.baselineScore, 2)}) |`), '');
  }
  if (r.hallucination) {
    const m = r.hallucination.metrics;
    out.push('## Hallucination (grounded QA on invented facts)', '', '| kind | items | correct | abstained | hallucinated |', '|---|---:|---:|---:|---:|');
    for (const [kind, k] of Object.entries(r.hallucination.byKind)) if (k.n) out.push(`| ${kind} | ${k.n} | ${pct(k.correct / k.n)} | ${pct(k.abstained / k.n)} | ${pct(k.hallucinated / k.n)} |`);
    out.push('', '| figure | value |', '|---|---:|',
      `| hallucination rate (answerable, unanswerable, false premise) | ${pct(m.hallucination_rate)} |`,
      `| intrinsic: answerable questions answered against the facts | ${pct(m.hallucination_rate_answerable)} |`,
      `| extrinsic: unanswerable questions answered anyway | ${pct(m.hallucination_rate_unanswerable)} |`,
      `| abstention rate on unanswerable questions | ${pct(m.abstention_rate)} |`,
      `| exact match on answerable questions | ${pct(m.exact_match_answerable)} |`,
      `| false premises corrected | ${pct(m.false_premise_corrected)} |`,
      `| closed book: hallucination without → with retrieval (BM25, k = ${c.hallucination.retrievalK}) | ${pct(m.hallucination_rate_closed_book)} → ${pct(m.hallucination_rate_closed_book_retrieval)} |`,
      `| retrieval recall (supporting fact among those retrieved) | ${pct(m.retrieval_recall)} |`,
      `| SelfCheck consistency AUROC (${c.hallucination.selfcheckSamples} samples) | ${num(m.selfcheck_auroc)} |`,
      `| mean token log-prob AUROC | ${num(m.logprob_auroc)} |`, '');
    out.push('| kind | prompt | response | outcome |', '|---|---|---|---|', ...r.hallucination.samples.map((s) => `| ${s.kind} | ${cell(s.prompt)} | ${cell(s.response)} | ${s.outcome} |`), '');
  }
  if (r.contamination) {
    const k = r.contamination;
    out.push(`## Contamination (${c.contamination.ngram}-gram overlap with \`${c.train}\`)`, '',
      `${k.contaminated.length} of ${k.checked} checked items share an n-gram with the ${k.trainingLines} training lines (${k.items - k.checked} items under ${c.contamination.minWords} words not checked).`, '');
    if (k.contaminated.length) out.push('| item | text | shared n-gram |', '|---:|---|---|', ...k.contaminated.map((x) => `| ${x.index} | ${cell(x.text)} | ${cell(x.overlap)} |`), '');
  }
  out.push(`_${r.seconds.toFixed(1)} s_`, '');
  return out.join('\n');
}
