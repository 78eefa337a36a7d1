// The self-instruct run's figure (diversity.svg): on the left the paper's sunburst of root verbs
// (inner ring) and their direct objects (outer ring), on the right the histogram of each kept
// instruction's ROUGE-L with its most similar seed task. Plain SVG, no fonts or scripts.
import type { VerbCount } from './diversity.js';

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (x: number): string => x.toFixed(1);

/** An annular sector between radii r0 < r1 and angles a0 < a1 (radians, 0 = up, clockwise). */
function sector(cx: number, cy: number, r0: number, r1: number, a0: number, a1: number, fill: string, title: string): string {
  const p = (r: number, a: number): string => `${f(cx + r * Math.sin(a))},${f(cy - r * Math.cos(a))}`;
  const large = a1 - a0 > Math.PI ? 1 : 0;
  const d = `M${p(r0, a0)}L${p(r1, a0)}A${r1},${r1} 0 ${large} 1 ${p(r1, a1)}L${p(r0, a1)}A${r0},${r0} 0 ${large} 0 ${p(r0, a0)}Z`;
  return `<path d="${d}" fill="${fill}" stroke="#fff" stroke-width="0.8"><title>${esc(title)}</title></path>`;
}

function label(cx: number, cy: number, r: number, a: number, text: string, size: number): string {
  const x = cx + r * Math.sin(a), y = cy - r * Math.cos(a);
  let deg = (a * 180) / Math.PI - 90;
  if (deg > 90) deg -= 180;
  return `<text x="${f(x)}" y="${f(y)}" font-size="${size}" text-anchor="middle" dominant-baseline="middle" transform="rotate(${f(deg)} ${f(x)} ${f(y)})">${esc(text)}</text>`;
}

function sunburst(verbs: VerbCount[], cx: number, cy: number, r: number): string {
  const total = verbs.reduce((s, v) => s + v.count, 0);
  if (total === 0) return `<text x="${cx}" y="${cy}" text-anchor="middle" fill="#888">no English instructions</text>`;
  const parts: string[] = [];
  let a = 0;
  verbs.forEach((v, i) => {
    const span = (2 * Math.PI * v.count) / total, color = PALETTE[i % PALETTE.length];
    parts.push(sector(cx, cy, r * 0.25, r * 0.6, a, a + span, color, `${v.verb}: ${v.count}`));
    if (span > 0.12) parts.push(label(cx, cy, r * 0.425, a + span / 2, v.verb, 10));
    let b = a;
    for (const o of v.objects) {
      const s = (2 * Math.PI * o.count) / total;
      parts.push(sector(cx, cy, r * 0.6, r, b, b + s, color + 'aa', `${v.verb} ${o.object}: ${o.count}`));
      if (s > 0.09) parts.push(label(cx, cy, r * 0.8, b + s / 2, o.object, 8));
      b += s;
    }
    a += span;
  });
  return parts.join('');
}

function bars(hist: { lo: number; hi: number; count: number }[], x0: number, y0: number, w: number, h: number): string {
  const max = Math.max(1, ...hist.map((b) => b.count));
  const bw = w / hist.length;
  const parts = hist.map((b, i) => {
    const bh = (b.count / max) * h;
    return `<rect x="${f(x0 + i * bw + 1)}" y="${f(y0 + h - bh)}" width="${f(bw - 2)}" height="${f(bh)}" fill="#4e79a7"><title>${b.lo.toFixed(1)}–${b.hi.toFixed(1)}: ${b.count}</title></rect>`;
  });
  for (let i = 0; i <= hist.length; i += 2) parts.push(`<text x="${f(x0 + i * bw)}" y="${y0 + h + 14}" text-anchor="middle" font-size="10">${(i / hist.length).toFixed(1)}</text>`);
  parts.push(`<line x1="${x0}" y1="${y0 + h}" x2="${x0 + w}" y2="${y0 + h}" stroke="#333"/>`);
  parts.push(`<text x="${x0 + w / 2}" y="${y0 + h + 30}" text-anchor="middle" font-size="11">ROUGE-L with the most similar seed task</text>`);
  parts.push(`<text x="${x0 - 8}" y="${y0}" text-anchor="end" font-size="10">${max}</text>`);
  return parts.join('');
}

/** The whole figure. */
export function diversityPlot(verbs: VerbCount[], seedHistogram: { lo: number; hi: number; count: number }[], title: string): string {
  const W = 820, H = 420;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">`
    + `<rect width="${W}" height="${H}" fill="#fff"/>`
    + `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`
    + `<text x="200" y="46" text-anchor="middle" font-size="11">root verbs (inner) and their objects (outer)</text>`
    + sunburst(verbs, 200, 228, 170)
    + bars(seedHistogram, 460, 70, 330, 280)
    + '</svg>';
}
