// The Chinese flow's report card: the vocabulary before and after the merge, held-out perplexity
// (Chinese poems, English Brown text) after each stage, and exact match on held-out Chinese
// instructions before and after SFT. report.json holds the same figures.
import type { AccuracyReport, AccuracySample } from '../train/accuracy.js';
import type { ChineseFlowConfig } from './config.js';
import type { TextPerplexity } from './eval.js';

export interface StageScores { chinese: TextPerplexity; english: TextPerplexity }

export interface ChineseReport {
  config: ChineseFlowConfig;
  /** The English base model's folder. */
  base: string;
  /** Wall time of each stage. */
  seconds: Record<string, number>;
  vocabulary: { base: number; merged: number; added: number; chineseBpe: number; heldOutPoems: number; tokensPerHanBefore: number; tokensPerHanAfter: number };
  /** base, embed (new rows trained), continued (all weights), sft. */
  stages: Record<string, StageScores>;
  accuracy: { before: Omit<AccuracyReport, 'samples'>; after: Omit<AccuracyReport, 'samples'> };
  samples: AccuracySample[];
}

/** A figure with two decimals, or in exponent form when it is huge (an English model's perplexity
 * on Chinese bytes it never saw). */
export const fmt = (x: number, digits = 2): string => (Math.abs(x) >= 1e6 ? x.toExponential(2) : x.toFixed(digits));

const STAGES: [string, string][] = [['base', 'English base'], ['embed', 'new rows trained'], ['continued', 'continued pretraining'], ['sft', 'Chinese SFT']];

export function chineseReportMarkdown(r: ChineseReport): string {
  const v = r.vocabulary, c = r.config;
  const pct = (a: { correct: number; total: number }): string => `${((100 * a.correct) / Math.max(1, a.total)).toFixed(1)}% (${a.correct}/${a.total})`;
  const present = STAGES.filter(([k]) => r.stages[k]);
  const row = (label: string, f: (s: StageScores) => string): string => `| ${label} | ${present.map(([k]) => f(r.stages[k])).join(' | ')} |`;
  const tasks = Object.keys({ ...r.accuracy.before.byTask, ...r.accuracy.after.byTask }).sort();
  const total = Object.values(r.seconds).reduce((a, b) => a + b, 0);
  return [
    '# Chinese-LLaMA flow: report card',
    '',
    `Base model: ${r.base}. Run: ${c.out} (${total.toFixed(0)} s: ${Object.entries(r.seconds).map(([k, s]) => `${k} ${s.toFixed(0)} s`).join(', ')}).`,
    '',
    '## Vocabulary',
    '',
    `A ${v.chineseBpe}-token BPE trained on ${2 * c.merge.trainFiles * 1000} Tang and Song poems, merged into the base: ${v.added} tokens appended, ${v.base} → ${v.merged}.`,
    `Tokens per Chinese character on ${v.heldOutPoems} held-out poems: **${v.tokensPerHanBefore.toFixed(3)} → ${v.tokensPerHanAfter.toFixed(3)}**.`,
    '',
    '## Held-out perplexity after each stage',
    '',
    `${r.stages.base.chinese.texts} held-out poems (${r.stages.base.chinese.chars} characters) and ${r.stages.base.english.texts} held-out Brown documents (${r.stages.base.english.chars} characters). ` +
      'Per token depends on the tokenizer; per character (exp of the total loss over characters) compares across it.',
    '',
    `| | ${present.map(([, l]) => l).join(' | ')} |`,
    `| --- | ${present.map(() => '---').join(' | ')} |`,
    row('Chinese, per character', (s) => fmt(s.chinese.pplChar)),
    row('Chinese, per token', (s) => fmt(s.chinese.pplToken)),
    row('Chinese tokens per character (punctuation included)', (s) => s.chinese.tokensPerChar.toFixed(3)),
    row('English, per token', (s) => fmt(s.english.pplToken)),
    row('English, per character', (s) => fmt(s.english.pplChar, 3)),
    '',
    '## Chinese instructions (held-out questions, exact match)',
    '',
    `Before SFT (after continued pretraining): ${pct(r.accuracy.before)}; after SFT: **${pct(r.accuracy.after)}**.`,
    '',
    '| task | before SFT | after SFT |',
    '| --- | --- | --- |',
    ...tasks.map((t) => `| ${t} | ${pct(r.accuracy.before.byTask[t] ?? { correct: 0, total: 0 })} | ${pct(r.accuracy.after.byTask[t] ?? { correct: 0, total: 0 })} |`),
    '',
    'Samples after SFT:',
    '',
    '| prompt | gold | answer | |',
    '| --- | --- | --- | --- |',
    ...r.samples.map((s) => `| ${s.prompt.replace(/\|/g, '\\|').replace(/\n/g, ' ')} | ${s.answer} | ${s.output.replace(/\|/g, '\\|').replace(/\n/g, ' ')} | ${s.correct ? '✓' : '✗'} |`),
    '',
  ].join('\n');
}
