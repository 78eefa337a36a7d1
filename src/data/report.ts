// Plain-text tables for the CLI: the per-stage summary of a pipeline run, and a general aligned
// table (numbers right-aligned).
import type { PipelineReport } from './pipeline.js';

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.,]+%?$/.test(r[i] ?? '')));
  const line = (cells: string[]): string => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** One row per stage: documents in, out, removed, changed, and what was removed or changed. */
export function stageTable(report: PipelineReport): string {
  const rows = report.stages.map((s) => [
    s.name, String(s.in), String(s.out), String(s.removed), String(s.changed),
    Object.entries(s.detail).map(([k, v]) => `${k} ${v}`).join(', '),
  ]);
  return formatTable(['stage', 'in', 'out', 'removed', 'changed', 'detail'], rows);
}
