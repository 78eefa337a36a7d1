// A small SVG line chart for the docs: x categories, a log-scale y, up to a dozen series told apart
// by colour and dashes, with the legend beside the plot. The report card's lineChart
// (src/pipeline/report/svg.ts) has a linear y, six colours and a one-row legend, too few for the
// long-context figure's eleven series; written by hand as that one is: one figure does not need a
// plotting library.

export interface Series { name: string; values: number[]; dashed?: boolean }

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#000000', '#aec7e8'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function lineChartSvg(title: string, xLabels: string[], yLabel: string, series: Series[], { width = 760, height = 440 } = {}): string {
  const left = 70, right = 200, top = 40, bottom = 50;
  const w = width - left - right, h = height - top - bottom;
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.log10(Math.min(...all)), hi = Math.log10(Math.max(...all));
  const y0 = Math.floor(lo * 10) / 10, y1 = Math.max(Math.ceil(hi * 10) / 10, y0 + 0.1);
  const x = (i: number): number => left + (xLabels.length === 1 ? w / 2 : (i * w) / (xLabels.length - 1));
  const y = (v: number): number => top + h - ((Math.log10(v) - y0) / (y1 - y0)) * h;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left + w / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<line x1="${left}" y1="${top + h}" x2="${left + w}" y2="${top + h}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + h}" stroke="black"/>`];
  // Ticks at 1, 2, 5 × powers of ten inside the range, or at every digit when that gives fewer than three.
  const inside = (ms: number[]): number[] => {
    const vs: number[] = [];
    for (let e = Math.floor(y0); e <= Math.ceil(y1); e++) for (const m of ms) if (Math.log10(m * 10 ** e) >= y0 && Math.log10(m * 10 ** e) <= y1) vs.push(m * 10 ** e);
    return vs;
  };
  const coarse = inside([1, 2, 5]);
  for (const v of coarse.length >= 3 ? coarse : inside([1, 2, 3, 4, 5, 6, 7, 8, 9])) {
    out.push(`<line x1="${left}" y1="${y(v)}" x2="${left + w}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v >= 1000 ? v.toExponential(0) : v}</text>`);
  }
  xLabels.forEach((l, i) => out.push(`<text x="${x(i)}" y="${top + h + 20}" text-anchor="middle">${esc(l)}</text>`));
  out.push(`<text x="${left + w / 2}" y="${height - 10}" text-anchor="middle">evaluation context (multiple of the training context)</text>`,
    `<text transform="translate(16 ${top + h / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const pts = s.values.map((v, i) => (Number.isFinite(v) && v > 0 ? `${x(i).toFixed(1)},${y(Math.min(v, 10 ** y1)).toFixed(1)}` : null)).filter((p): p is string => p !== null);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${pts.join(' ')}"/>`);
    for (const p of pts) { const [px, py] = p.split(','); out.push(`<circle cx="${px}" cy="${py}" r="3" fill="${color}"/>`); }
    const ly = top + 10 + k * 18;
    out.push(`<line x1="${left + w + 16}" y1="${ly}" x2="${left + w + 40}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${left + w + 46}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
