// Shared by the labeling pages (plain browser ES modules: the pages need no build step, and the
// browser tests exercise them as shipped). Everything a page shows is built with createElement and
// textContent: no string ever becomes markup, so model output cannot inject script.

/** An element with attributes/properties and children (strings become text nodes). */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return e;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** JSON over fetch with the page's CSRF token on every POST. */
export function api(csrfToken) {
  const call = async (method, path, body) => {
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { 'x-csrf-token': csrfToken } : { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({}));
    // A session that ended (expired, logged out elsewhere, a new password): log in again, then back.
    if (res.status === 401 && !path.endsWith('/login')) location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    if (!res.ok) throw new ApiError(res.status, data.error || data.message || `HTTP ${res.status}`);
    return data;
  };
  return { get: (path) => call('GET', path), post: (path, body) => call('POST', path, body ?? {}) };
}

/** The logged-in user and a CSRF token; sends the browser to the login page when logged out. */
export async function session() {
  const res = await fetch('/api/label/me', { credentials: 'same-origin' });
  const me = await res.json();
  if (!me.user) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    throw new Error('not logged in');
  }
  return me;
}

/** The top bar: the pages this user may open, who is logged in, and a log-out button. */
export function navbar(me, active) {
  const client = api(me.csrfToken);
  const links = [['Chat', '/chat'], ['Rank', '/rank']];
  if (me.user.role === 'admin') links.push(['Admin', '/admin']);
  const logout = el('button', {
    class: 'link', type: 'button', id: 'logout',
    onclick: async () => { await client.post('/api/label/logout'); location.assign('/login'); },
  }, 'Log out');
  document.getElementById('nav').replaceChildren(
    el('span', { class: 'brand' }, 'rlhf-ts'),
    ...links.map(([name, href]) => el('a', { href, class: href === active ? 'active' : undefined, 'aria-current': href === active ? 'page' : undefined }, name)),
    el('span', { class: 'spacer' }),
    el('span', { class: 'who' }, `${me.user.name} (${me.user.role})`),
    logout,
  );
  return client;
}

/** A prompt or response as a node: a plain string as text, a conversation turn by turn. */
export function turnsNode(turns) {
  const text = (s) => {
    const e = el('div', { class: 'text' });
    e.textContent = s;
    return e;
  };
  if (typeof turns === 'string') return el('div', { class: 'turns' }, text(turns));
  return el('div', { class: 'turns' }, turns.map((m) => el('div', { class: `turn ${m.role}` }, el('span', { class: 'role' }, m.role), text(m.content))));
}

// Feather icons (MIT): thumbs up and down, drawn as SVG so no emoji font is needed.
const ICONS = {
  up: 'M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3',
  down: 'M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3zm7-13h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17',
};

export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', width: '16', height: '16', fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true' })) svg.setAttribute(k, v);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}
