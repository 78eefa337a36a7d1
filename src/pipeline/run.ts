// Runs the pipeline into its run folder and prints the summary: each stage's figures, then
// sample generations of the base and SFT models on held-out prompts beside the gold answers.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/fs.js';
import { readJson } from '../train/metrics.js';
import type { AccuracyReport } from '../train/accuracy.js';
import type { PipelineRunConfig } from './config.js';
import { runStages, type StageOutcome } from './stage.js';
import { STAGES } from './stages.js';

/** runs/pipeline-20240131-142501 for a run started then. */
export function freshRunDir(now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return join('runs', `pipeline-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`);
}

export interface PipelineResult { runDir: string; seconds: number; stages: StageOutcome[] }

export async function runPipeline(cfg: PipelineRunConfig, { quiet = false } = {}): Promise<PipelineResult> {
  const runDir = cfg.out || freshRunDir();
  const t0 = performance.now();
  if (!quiet) console.log(`pipeline → ${runDir}  (stages: ${cfg.stages.join(' → ')})`);
  writeJsonAtomic(join(runDir, 'pipeline_config.json'), { ...cfg, out: runDir });
  const stages = await runStages(STAGES, cfg.stages, cfg, runDir, { quiet });
  const result = { runDir, seconds: (performance.now() - t0) / 1000, stages };
  writeJsonAtomic(join(runDir, 'pipeline_summary.json'), result);
  return result;
}

/** The base and SFT answers to the first held-out prompts of different tasks. */
function sampleLines(sftDir: string, n: number): string[] {
  const file = join(sftDir, 'accuracy.json');
  if (n === 0 || !existsSync(file)) return [];
  const { base, sft } = readJson(file) as { base: AccuracyReport; sft: AccuracyReport };
  const seen = new Set<string>();
  const picks: number[] = [];
  // One prompt per task first, so the samples show the range of tasks.
  sft.samples.forEach((s, i) => {
    if (picks.length < n && !seen.has(s.task)) { seen.add(s.task); picks.push(i); }
  });
  for (let i = 0; picks.length < n && i < sft.samples.length; i++) if (!picks.includes(i)) picks.push(i);
  const show = (s: string): string => JSON.stringify(s.length > 90 ? `${s.slice(0, 87)}...` : s);
  const lines = ['', 'sample generations on held-out prompts (greedy):'];
  for (const i of picks) {
    const s = sft.samples[i];
    lines.push(`  prompt  ${show(s.prompt)}`, `  gold    ${show(s.answer)}`, `  base    ${show(base.samples[i].output)}${base.samples[i].correct ? '  ✓' : ''}`, `  SFT     ${show(s.output)}${s.correct ? '  ✓' : ''}`, '');
  }
  return lines;
}

export function formatPipelineSummary(r: PipelineResult, samples: number): string {
  const lines = ['', `pipeline done in ${r.seconds.toFixed(0)} s → ${r.runDir}`];
  for (const o of r.stages) {
    const stage = STAGES.find((s) => s.name === o.name)!;
    const figures = stage.report?.(o.result) ?? [];
    lines.push(`  ${o.name.padEnd(10)} ${o.status.padEnd(8)} ${o.seconds.toFixed(1).padStart(6)} s   ${figures.join('; ')}`);
  }
  const sftStage = r.stages.find((o) => o.name === 'sft');
  if (sftStage) lines.push(...sampleLines(sftStage.dir, samples));
  return lines.join('\n');
}
