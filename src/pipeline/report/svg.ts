// Small self-contained SVG charts for the report card: line charts (one or more series over steps)
// and bar charts. Strings in, strings out; no fonts or scripts beyond what a browser has.

export interface Series { name: string; points: [number, number][]; color?: string }

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const W = 440, H = 220, PAD = { l: 48, r: 12, t: 26, b: 34 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A readable number for an axis tick. */
function tick(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e4 || a < 1e-2) ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}

function frame(title: string, body: string, legend: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">` +
    `<rect width="${W}" height="${H}" fill="#fff"/><text x="${W / 2}" y="15" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>${body}${legend}</svg>`;
}

/** Lines over a shared x axis; series with no finite points are left out. */
export function lineChart(title: string, series: Series[], { xLabel = 'step' } = {}): string {
  const live = series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length], points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) })).filter((s) => s.points.length);
  if (!live.length) return frame(title, `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data</text>`, '');
  const xs = live.flatMap((s) => s.points.map((p) => p[0])), ys = live.flatMap((s) => s.points.map((p) => p[1]));
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) x1 = x0 + 1;
  if (y0 === y1) { y0 -= 1; y1 += 1; }
  const sx = (x: number): number => PAD.l + ((x - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const sy = (y: number): number => H - PAD.b - ((y - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  let body = `<line x1="${PAD.l}" y1="${H - PAD.b}" x2="${W - PAD.r}" y2="${H - PAD.b}" stroke="#333"/><line x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${H - PAD.b}" stroke="#333"/>`;
  for (let k = 0; k <= 4; k++) {
    const y = y0 + ((y1 - y0) * k) / 4, x = x0 + ((x1 - x0) * k) / 4;
    body += `<line x1="${PAD.l}" y1="${sy(y)}" x2="${W - PAD.r}" y2="${sy(y)}" stroke="#eee"/><text x="${PAD.l - 4}" y="${sy(y) + 4}" text-anchor="end">${tick(y)}</text>`;
    body += `<text x="${sx(x)}" y="${H - PAD.b + 14}" text-anchor="middle">${tick(x)}</text>`;
  }
  body += `<text x="${(PAD.l + W - PAD.r) / 2}" y="${H - 4}" text-anchor="middle" fill="#555">${esc(xLabel)}</text>`;
  for (const s of live) {
    const d = s.points.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
    body += `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`;
    if (s.points.length === 1) body += `<circle cx="${sx(s.points[0][0])}" cy="${sy(s.points[0][1])}" r="3" fill="${s.color}"/>`;
  }
  // Each legend entry as wide as its name (about 6 px a character at 11 px).
  let at = PAD.l + 8;
  const legend = live.map((s) => {
    const entry = `<rect x="${at}" y="${PAD.t + 2}" width="10" height="3" fill="${s.color}"/><text x="${at + 14}" y="${PAD.t + 7}">${esc(s.name)}</text>`;
    at += 26 + 6 * s.name.length;
    return entry;
  }).join('');
  return frame(title, body, legend);
}

/** One bar per label; a dashed line marks `target` when given. Values are fractions shown as %. */
export function barChart(title: string, bars: { label: string; value: number | null }[], { target, percent = true }: { target?: number; percent?: boolean } = {}): string {
  const vals = bars.map((b) => b.value ?? 0);
  const top = Math.max(percent ? 1 : 0, target ?? 0, ...vals) || 1;
  const bw = (W - PAD.l - PAD.r) / Math.max(1, bars.length);
  const sy = (y: number): number => H - PAD.b - (y / top) * (H - PAD.t - PAD.b);
  let body = `<line x1="${PAD.l}" y1="${H - PAD.b}" x2="${W - PAD.r}" y2="${H - PAD.b}" stroke="#333"/>`;
  bars.forEach((b, i) => {
    const x = PAD.l + i * bw + bw * 0.15, v = b.value;
    const shown = v === null ? 'n/a' : percent ? `${(100 * v).toFixed(1)}%` : tick(v);
    if (v !== null) body += `<rect x="${x}" y="${sy(v)}" width="${bw * 0.7}" height="${H - PAD.b - sy(v)}" fill="${PALETTE[i % PALETTE.length]}"/>`;
    body += `<text x="${x + bw * 0.35}" y="${sy(v ?? 0) - 4}" text-anchor="middle">${shown}</text><text x="${x + bw * 0.35}" y="${H - PAD.b + 14}" text-anchor="middle">${esc(b.label)}</text>`;
  });
  if (target !== undefined) body += `<line x1="${PAD.l}" y1="${sy(target)}" x2="${W - PAD.r}" y2="${sy(target)}" stroke="#555" stroke-dasharray="4 3"/><text x="${W - PAD.r}" y="${sy(target) - 3}" text-anchor="end" fill="#555">target ${percent ? `${(100 * target).toFixed(0)}%` : tick(target)}</text>`;
  return frame(title, body, '');
}
