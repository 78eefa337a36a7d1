// The chat page: streams replies from the server's OpenAI-compatible /v1/chat/completions, shows
// the model's name (/v1/models), regenerates the last reply, and stores thumbs up/down on any
// reply as an unpaired good/bad label (/api/label/feedback). Replies are shown with textContent.
import { el, icon, navbar, session } from './common.js';
import { sseData } from './sse.js';

const me = await session();
const client = navbar(me, '/chat');

const $ = (id) => document.getElementById(id);
const list = $('messages'), input = $('input'), send = $('send'), stop = $('stop'), errorLine = $('chat-error');
const modelSelect = $('model');

/** The conversation: {role, content} plus, for replies, {key, model, label, node}. */
const history = [];
let streaming = null; // the AbortController of the reply being streamed

/** The conversation as the API takes it; an empty reply is no turn. */
const turns = (list) => list.filter((m) => m.content).map(({ role, content }) => ({ role, content }));

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join(''));

async function loadModels() {
  try {
    const res = await fetch('/v1/models', { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const { data } = await res.json();
    modelSelect.replaceChildren(...data.map((m) => el('option', { value: m.id }, m.id)));
    if (!data.length) throw new Error('the server lists no model');
  } catch (e) {
    errorLine.textContent = `Could not list the models: ${e.message}`;
  }
}

function render() {
  $('empty').hidden = history.length > 0;
  const lastReply = history.findLastIndex((m) => m.role === 'assistant');
  history.forEach((m, i) => {
    if (m.role !== 'assistant' || !m.node) return;
    const done = !(streaming && i === history.length - 1);
    const { up, down, regen } = m.node.buttons;
    up.setAttribute('aria-pressed', String(m.label === true));
    down.setAttribute('aria-pressed', String(m.label === false));
    up.disabled = down.disabled = !done || !m.content;
    regen.hidden = i !== lastReply;
    regen.disabled = !!streaming;
  });
  send.disabled = !!streaming;
  stop.hidden = !streaming;
}

function messageNode(m) {
  const content = el('div', { class: 'content' });
  content.textContent = m.content;
  const li = el('li', { class: `msg ${m.role}` }, el('div', { class: 'role' }, m.role === 'user' ? me.user.name : m.model || 'assistant'), content);
  li.content = content;
  if (m.role === 'assistant') {
    const up = el('button', { type: 'button', class: 'thumb up', title: 'Good reply', 'aria-label': 'Good reply', onclick: () => rate(m, m.label === true ? null : true) }, icon('up'), ' Good');
    const down = el('button', { type: 'button', class: 'thumb down', title: 'Bad reply', 'aria-label': 'Bad reply', onclick: () => rate(m, m.label === false ? null : false) }, icon('down'), ' Bad');
    const regen = el('button', { type: 'button', class: 'regen', onclick: regenerate }, 'Regenerate');
    li.append(el('div', { class: 'actions' }, up, down, regen));
    li.buttons = { up, down, regen };
  }
  list.append(li);
  m.node = li;
  li.scrollIntoView({ block: 'end' });
  return li;
}

/** Stores (or with null, takes back) a thumb on a reply. */
async function rate(m, label) {
  const i = history.indexOf(m);
  const prompt = turns(history.slice(0, i));
  try {
    await client.post('/api/label/feedback', { key: m.key, model: m.model, prompt, completion: m.content, label });
    m.label = label;
    errorLine.textContent = '';
  } catch (e) {
    errorLine.textContent = `The rating was not saved: ${e.message}`;
  }
  render();
}

/** Streams a reply to the conversation so far into a new assistant message. */
async function reply() {
  const model = modelSelect.value;
  const messages = turns(history);
  const m = { role: 'assistant', content: '', key: newKey(), model, label: null };
  history.push(m);
  messageNode(m);
  streaming = new AbortController();
  errorLine.textContent = '';
  render();
  try {
    const res = await fetch('/v1/chat/completions', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, stream: true, temperature: Number($('temperature').value), max_tokens: Number($('max-tokens').value) }),
      signal: streaming.signal,
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      throw new Error(body.error?.message || body.message || `HTTP ${res.status}`);
    }
    for await (const data of sseData(res.body)) {
      if (data === '[DONE]') break;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message || 'the server stopped the stream');
      const delta = chunk.choices?.[0]?.delta?.content;
      if (delta) {
        m.content += delta;
        m.node.content.textContent = m.content;
        m.node.scrollIntoView({ block: 'end' });
      }
    }
    if (!m.content) {
      // The model ended its turn at once: say so, and leave Regenerate to try again (an empty
      // reply cannot be rated: there is nothing to learn from).
      m.node.content.textContent = '(empty reply)';
      m.node.classList.add('empty');
    }
  } catch (e) {
    if (e.name !== 'AbortError') errorLine.textContent = `No reply: ${e.message}`;
    if (!m.content) {
      // Nothing arrived (an error, or stopped at once): drop the reply so the user can try again.
      history.pop();
      m.node.remove();
    }
  } finally {
    streaming = null;
    render();
  }
}

async function regenerate() {
  if (streaming || history[history.length - 1]?.role !== 'assistant') return;
  history.pop().node.remove();
  await reply();
}

$('composer').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const text = input.value.trim();
  if (!text || streaming) return;
  input.value = '';
  const m = { role: 'user', content: text };
  history.push(m);
  messageNode(m);
  await reply();
});
input.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    $('composer').requestSubmit();
  }
});
stop.addEventListener('click', () => streaming?.abort());

await loadModels();
render();
input.focus();
