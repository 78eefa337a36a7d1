// The ranking page (InstructGPT's comparison task): a prompt and its K responses, ordered best
// first by dragging or by keys, with ties between neighbours and per-response flags, sent as
// {groups: [[id, ...], ...] best first, flags: {id: [flag, ...]}}. Text is set with textContent.
import { el, navbar, session, turnsNode } from './common.js';

const FLAGS = [['untruthful', 'Untruthful'], ['harmful', 'Harmful'], ['off-task', 'Off-task']];

const me = await session();
const client = navbar(me, '/rank');
const $ = (id) => document.getElementById(id);
const list = $('responses'), status = $('status'), errorLine = $('rank-error');

/** The task on screen: {id, responses}, the order of response ids, who is tied with the one
 * above, flags per id, and the selected id. */
let task = null, order = [], tiedAbove = new Set(), flags = new Map(), selected = null;
const cards = new Map(); // response id → its <li>
let dragged = null;

/** Tie groups in display order: a response tied with the one above joins its group. */
function groups() {
  const out = [];
  order.forEach((id, i) => (i > 0 && tiedAbove.has(id) ? out[out.length - 1].push(id) : out.push([id])));
  return out;
}

function render() {
  let place = 0;
  order.forEach((id, i) => {
    const li = cards.get(id);
    const tied = i > 0 && tiedAbove.has(id);
    if (!tied) place = i + 1;
    const tiedBelow = i + 1 < order.length && tiedAbove.has(order[i + 1]);
    li.querySelector('.place').textContent = tied || tiedBelow ? `${place}=` : String(place);
    li.classList.toggle('tied', tied);
    li.classList.toggle('selected', id === selected);
    const tie = li.querySelector('.tie');
    tie.disabled = i === 0;
    tie.setAttribute('aria-pressed', String(tied));
  });
  // Reorder the nodes only when the order changed: moving a node mid-drag would cancel the drag.
  if ([...list.children].some((li, i) => Number(li.dataset.id) !== order[i]) || list.children.length !== order.length) {
    list.replaceChildren(...order.map((id) => cards.get(id)));
  }
}

function move(id, to) {
  const from = order.indexOf(id);
  to = Math.max(0, Math.min(order.length - 1, to));
  if (from === to) return;
  order.splice(from, 1);
  order.splice(to, 0, id);
  // A moved response leaves its tie behind: ties are between neighbours, and it has new ones.
  tiedAbove.delete(id);
  render();
}

function select(id) {
  selected = id;
  render();
  cards.get(id)?.focus();
}

function card(r, letter) {
  const li = el('li', { class: 'response', tabindex: 0, draggable: 'true', dataset: { id: String(r.id), letter } });
  const flagBoxes = FLAGS.map(([name, label]) => el('label', { class: 'flag' },
    el('input', { type: 'checkbox', name, onchange: (ev) => {
      const set = flags.get(r.id) ?? new Set();
      if (ev.target.checked) set.add(name); else set.delete(name);
      flags.set(r.id, set);
    } }), ` ${label}`));
  li.append(
    el('div', { class: 'card-head' },
      el('span', { class: 'place' }),
      el('span', { class: 'letter' }, `Response ${letter}`),
      el('span', { class: 'spacer' }),
      el('button', { type: 'button', class: 'up', title: 'Move up', 'aria-label': 'Move up', onclick: () => move(r.id, order.indexOf(r.id) - 1) }, '↑'),
      el('button', { type: 'button', class: 'down', title: 'Move down', 'aria-label': 'Move down', onclick: () => move(r.id, order.indexOf(r.id) + 1) }, '↓'),
      el('button', { type: 'button', class: 'tie', title: 'Tie with the response above', onclick: () => toggleTie(r.id) }, 'Tie with above')),
    turnsNode(r.content),
    el('div', { class: 'flags' }, flagBoxes),
  );
  li.addEventListener('click', (ev) => { if (!ev.target.closest('button, input, label')) select(r.id); });
  li.addEventListener('focus', () => { if (selected !== r.id) { selected = r.id; render(); } });
  li.addEventListener('dragstart', (ev) => {
    dragged = r.id;
    ev.dataTransfer.effectAllowed = 'move';
    ev.dataTransfer.setData('text/plain', String(r.id));
    li.classList.add('dragging');
  });
  li.addEventListener('dragend', () => { dragged = null; li.classList.remove('dragging'); });
  li.addEventListener('dragover', (ev) => { if (dragged !== null) ev.preventDefault(); });
  li.addEventListener('drop', (ev) => {
    ev.preventDefault();
    if (dragged === null || dragged === r.id) return;
    // Dropped on the upper half: take this response's place; on the lower half: go below it.
    const box = li.getBoundingClientRect();
    const below = ev.clientY > box.top + box.height / 2;
    const target = order.indexOf(r.id), from = order.indexOf(dragged);
    move(dragged, below ? (from < target ? target : target + 1) : (from < target ? target - 1 : target));
    select(dragged);
  });
  return li;
}

function toggleTie(id) {
  if (order.indexOf(id) <= 0) return;
  if (tiedAbove.has(id)) tiedAbove.delete(id); else tiedAbove.add(id);
  render();
}

function show(next) {
  task = next.task;
  const { done, open } = next.progress;
  $('task').hidden = !task;
  $('done').hidden = !!task;
  if (!task) return;
  $('progress').textContent = `Ranked so far: ${done}. Prompts left for you: ${open}. (Task set ${task.set}, prompt #${task.id})`;
  $('prompt').replaceChildren(turnsNode(task.prompt));
  cards.clear();
  list.replaceChildren();
  task.responses.forEach((r, i) => cards.set(r.id, card(r, String.fromCharCode(65 + i))));
  order = task.responses.map((r) => r.id);
  tiedAbove = new Set();
  flags = new Map();
  selected = null;
  status.textContent = '';
  render();
}

async function load() {
  try {
    show(await client.get('/api/label/task'));
  } catch (e) {
    errorLine.textContent = `Could not load a task: ${e.message}`;
  }
}

async function submit() {
  if (!task) return;
  const button = $('submit');
  button.disabled = true;
  const body = { groups: groups(), flags: Object.fromEntries([...flags].filter(([, s]) => s.size).map(([id, s]) => [id, [...s]])) };
  try {
    await client.post(`/api/label/task/${task.id}`, body);
    status.textContent = 'Saved.';
  } catch (e) {
    // 409: this ranking is already stored (a resend after a lost answer); move on all the same.
    if (e.status !== 409) {
      errorLine.textContent = `Not saved: ${e.message}`;
      button.disabled = false;
      return;
    }
  }
  errorLine.textContent = '';
  button.disabled = false;
  await load();
}

$('submit').addEventListener('click', submit);
document.addEventListener('keydown', (ev) => {
  if (!task) return;
  if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); submit(); return; }
  // Other keys belong to a focused form control (a flag's checkbox takes the space bar).
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.target.closest?.('input, textarea, select')) return;
  const n = Number(ev.key);
  if (Number.isInteger(n) && n >= 1 && n <= order.length) { select(order[n - 1]); return; }
  if (selected === null) return;
  const at = order.indexOf(selected);
  if (ev.key === 'ArrowUp' || ev.key === 'k') { ev.preventDefault(); move(selected, at - 1); select(selected); }
  else if (ev.key === 'ArrowDown' || ev.key === 'j') { ev.preventDefault(); move(selected, at + 1); select(selected); }
  else if (ev.key === 't') toggleTie(selected);
});

await load();
