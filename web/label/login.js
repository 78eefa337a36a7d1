// The login page: a CSRF token first (it also sets the token's cookie), then the form posts JSON.
import { api } from './common.js';

/** Only a path on this site may follow the login (no open redirect to another host). */
function nextPath() {
  const next = new URLSearchParams(location.search).get('next') || '/';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

const me = await (await fetch('/api/label/me', { credentials: 'same-origin' })).json();
// SameSite=Strict cookies are not sent on a navigation from another site; a same-site fetch
// sees the session, so a logged-in user arriving from a link goes straight on.
if (me.user) location.replace(nextPath());

const form = document.getElementById('login');
const error = document.getElementById('error');
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.textContent = '';
  const button = form.querySelector('button');
  button.disabled = true;
  try {
    await api(me.csrfToken).post('/api/label/login', { name: document.getElementById('name').value, password: document.getElementById('password').value });
    location.assign(nextPath());
  } catch (e) {
    error.textContent = e.status === 429 ? 'Too many attempts; wait a minute and try again.' : e.message;
    button.disabled = false;
  }
});
