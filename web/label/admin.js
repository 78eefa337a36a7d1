// The admin page: each task set's progress, agreement between labelers (Kendall's tau-b on the
// prompts they share), each labeler's work, flag counts and chat ratings, and the exports.
import { el, navbar, session } from './common.js';

const me = await session();
const client = navbar(me, '/admin');
const $ = (id) => document.getElementById(id);

const fmt = (x, digits = 3) => (x === null || x === undefined ? '—' : x.toFixed(digits));
const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(0)}%` : '—');

function table(node, head, rows, empty) {
  node.replaceChildren(
    el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.length ? rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, String(c))))) : el('tr', {}, el('td', { colspan: head.length, class: 'muted' }, empty))),
  );
}

/** Where a task set came from, in a few words. */
function source(config) {
  if (config?.model) return `sampled from ${config.model} (K=${config.k}, T=${config.temperature}, seed ${config.seed})`;
  if (config?.responses) return `imported from ${config.responses}`;
  return '';
}

async function load() {
  try {
    const r = await client.get('/api/label/admin/report');
    table($('sets'), ['Task set', 'Prompts', 'Labelers per prompt', 'Rankings', 'Prompts complete', 'Source'],
      r.sets.map((s) => [s.name, s.prompts, s.perPrompt, `${s.submissions} / ${s.wanted} (${pct(s.submissions, s.wanted)})`, `${s.complete} / ${s.prompts}`, source(s.config)]),
      'No task set yet: load one with `rlhf label import`.');
    const a = r.agreement;
    $('agreement').textContent = a.comparisons
      ? `Mean Kendall τ-b ${fmt(a.tau)} over ${a.comparisons} comparisons (a prompt ranked by two labelers); the labelers order ${pct(a.pairAgreement ?? 0, 1)} of response pairs alike.`
      : 'No prompt has been ranked by two labelers yet.';
    table($('pairs'), ['Labeler', 'Labeler', 'Shared prompts', 'Mean τ-b'], a.byPair.map((p) => [p.a, p.b, p.shared, fmt(p.tau)]), 'No shared prompts.');
    table($('labelers'), ['Name', 'Role', 'Rankings', 'Comparisons', 'Mean τ-b with others'],
      r.labelers.map((l) => [l.name, l.role, l.submissions, l.comparisons, fmt(l.tau)]), 'No users.');
    $('flags').textContent = `Flagged responses: ${Object.entries(r.flags).map(([k, v]) => `${k} ${v}`).join(', ')}.`;
    $('chat').textContent = `Chat ratings: ${r.chat.up} good, ${r.chat.down} bad.`;
    $('admin-error').textContent = '';
  } catch (e) {
    $('admin-error').textContent = `Could not load the report: ${e.message}`;
  }
}

$('refresh').addEventListener('click', load);
setInterval(load, 15_000);
await load();
