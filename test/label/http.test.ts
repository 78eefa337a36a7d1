// The labeling app over real HTTP on loopback: who may open what, CSRF on every POST, the login
// limit, cookies and headers; 32 labelers submitting at once; and a server killed mid-session
// and started again on the same file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openLabelDb } from '../../src/label/db.js';
import { addTasks, Client, PASSWORD, startServer, tempDir, TASKS, users } from './helpers.js';

test('access: pages and API by role, CSRF on every POST, session cookie flags, headers, static files', async () => {
  const s = await startServer(':memory:');
  try {
    await users(s.db, { admin: ['ann'], labeler: ['bob'] });
    addTasks(s.db);
    const anon = new Client(s.url);
    const page = await anon.get('/rank');
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/login?next=%2Frank');
    assert.equal((await anon.get('/api/label/task')).status, 401);
    assert.equal((await anon.get('/api/label/admin/report')).status, 401);

    // No token, or a token from another browser (another CSRF secret), is refused.
    anon.csrf = (await anon.get('/api/label/me')).json.csrfToken;
    const other = new Client(s.url);
    other.csrf = (await other.get('/api/label/me')).json.csrfToken;
    assert.equal((await anon.post('/api/label/login', { name: 'bob', password: PASSWORD }, { csrf: false })).status, 403);
    const stolen = new Client(s.url);
    stolen.cookies = new Map(anon.cookies);
    stolen.csrf = other.csrf;
    assert.equal((await stolen.post('/api/label/login', { name: 'bob', password: PASSWORD })).status, 403);

    const bob = new Client(s.url);
    const preLoginToken = (await bob.get('/api/label/me')).json.csrfToken;
    bob.csrf = preLoginToken;
    const login = await bob.post('/api/label/login', { name: 'bob', password: PASSWORD });
    assert.equal(login.status, 200);
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('rlhf_session='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    assert.doesNotMatch(cookie, /Secure/, 'plain HTTP on loopback by default');
    // A token from before the login is bound to no session: void once logged in.
    bob.csrf = preLoginToken;
    assert.equal((await bob.post('/api/label/feedback', { key: 'k', model: 'm', prompt: [{ role: 'user', content: 'hi' }], completion: 'x', label: true })).status, 403);
    bob.csrf = login.json.csrfToken;

    // A labeler: the task pages, not the admin's.
    assert.equal((await bob.get('/rank')).status, 200);
    assert.equal((await bob.get('/chat')).status, 200);
    const admin = await bob.get('/admin');
    assert.equal(admin.status, 403);
    assert.match(admin.json, /This page is for admins/);
    assert.equal((await bob.get('/api/label/admin/report')).status, 403);
    assert.equal((await bob.get('/api/label/admin/export/rankings.jsonl')).status, 403);
    assert.equal((await bob.get('/api/label/admin/export/kto.jsonl')).status, 403);
    const task = (await bob.get('/api/label/task')).json.task;
    const groups = task.responses.map((r: { id: number }) => [r.id]);
    assert.equal((await bob.post(`/api/label/task/${task.id}`, { groups }, { csrf: false })).status, 403);
    assert.equal((await bob.post(`/api/label/task/${task.id}`, { groups: 'all of them' })).status, 400);
    assert.equal((await bob.post(`/api/label/task/${task.id}`, { groups })).status, 201);
    assert.equal((await bob.post(`/api/label/task/${task.id}`, { groups })).status, 409);

    const fb = (body: object) => bob.post('/api/label/feedback', { key: 'r-1', model: 'tiny-chat', prompt: [{ role: 'user', content: 'hi' }], completion: 'hello', label: true, ...body });
    assert.equal((await fb({})).status, 200);
    assert.equal((await fb({ label: 'maybe' })).status, 400);
    assert.equal((await fb({ key: 'no spaces allowed' })).status, 400);
    assert.equal((await fb({ prompt: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] })).status, 400);

    const ann = new Client(s.url);
    assert.equal(await ann.login('ann'), 200);
    assert.equal((await ann.get('/admin')).status, 200);
    const report = await ann.get('/api/label/admin/report');
    assert.equal(report.json.sets[0].submissions, 1);
    assert.equal(report.json.chat.up, 1);
    const dl = await ann.get('/api/label/admin/export/rankings.jsonl');
    assert.match(dl.headers.get('content-disposition')!, /attachment; filename="rankings.jsonl"/);
    assert.equal(dl.json.labeler, 'bob');

    // Every page and answer carries the headers; model output cannot run inline script anyway.
    for (const r of [await ann.get('/chat'), await anon.get('/login'), report]) {
      assert.match(r.headers.get('content-security-policy')!, /script-src 'self';/);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(r.headers.get('x-frame-options'), 'DENY');
    }
    assert.equal((await anon.get('/label/assets/rank.js')).status, 200);
    assert.equal((await anon.get('/label/assets/rank.html')).status, 404, 'pages only through their routes');
    assert.equal((await anon.get('/label/assets/%2e%2e/%2e%2e/package.json')).status, 404);

    // Logging out ends the session on the server, not only in the browser.
    const cookies = new Map(bob.cookies);
    assert.equal((await bob.post('/api/label/logout')).status, 200);
    const replay = new Client(s.url);
    replay.cookies = cookies;
    assert.equal((await replay.get('/api/label/task')).status, 401);
  } finally {
    await s.close();
  }
});

test('login: wrong passwords and SQL in the name get 401, then the limit answers 429 for that name', async () => {
  const s = await startServer(':memory:', { loginMax: 3 });
  try {
    await users(s.db, { labeler: ['bob', 'cy'] });
    const c = new Client(s.url);
    assert.equal(await c.login("' OR '1'='1' --", "' OR '1'='1"), 401);
    for (let i = 0; i < 2; i++) assert.equal(await c.login('bob', 'guess ' + i), 401);
    assert.equal(await c.login('bob'), 200, 'the third try (right password) is within the limit');
    assert.equal(await c.login('bob', 'guess'), 429);
    assert.equal(await c.login('bob'), 429, 'even the right password waits');
    assert.equal(await c.login('cy'), 200, 'another name is not blocked');
  } finally {
    await s.close();
  }
});

test('32 labelers submit at once: every ranking stored exactly once, resends refused', async () => {
  const t = tempDir();
  const s = await startServer(join(t.dir, 'labels.db'));
  try {
    const names = Array.from({ length: 32 }, (_, i) => `labeler${i}`);
    await users(s.db, { labeler: names });
    // 8 prompts × 4 labelers each = 32 slots: one task per labeler, no prompt over-assigned.
    addTasks(s.db, 4, Array.from({ length: 8 }, (_, i) => ({ ...TASKS[i % 3], prompt: `prompt ${i}` })));
    const clients = names.map(() => new Client(s.url));
    assert.deepEqual(await Promise.all(clients.map((c, i) => c.login(names[i]))), names.map(() => 200));
    const tasks = await Promise.all(clients.map(async (c) => (await c.get('/api/label/task')).json.task));
    assert.ok(tasks.every(Boolean), 'every labeler got a task');
    const perTask = new Map<number, number>();
    for (const task of tasks) perTask.set(task.id, (perTask.get(task.id) ?? 0) + 1);
    assert.deepEqual([...perTask.values()], Array(8).fill(4));
    // Each labeler's ranking: their shown order reversed, the last two tied, the first flagged.
    const bodies = tasks.map((task) => {
      const ids = task.responses.map((r: { id: number }) => r.id).reverse();
      return { groups: [...ids.slice(0, -2).map((id: number) => [id]), ids.slice(-2)], flags: { [ids[0]]: ['off-task'] } };
    });
    const send = () => Promise.all(clients.map((c, i) => c.post(`/api/label/task/${tasks[i].id}`, bodies[i])));
    const [first, again] = await Promise.all([send(), send()]);
    const statuses = [...first, ...again].map((r) => r.status).sort();
    assert.deepEqual(statuses, [...Array(32).fill(201), ...Array(32).fill(409)], 'each pair: one stored, one refused as a resend');

    const db = s.db;
    assert.deepEqual(db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT task_id || \'/\' || user_id) AS distinctPairs FROM submissions').get(), { n: 32, distinctPairs: 32 });
    const expectedRanks = tasks.reduce((k, task) => k + task.responses.length, 0);
    assert.deepEqual(db.prepare('SELECT COUNT(*) AS n FROM ranks').get(), { n: expectedRanks });
    assert.deepEqual(db.prepare('SELECT COUNT(*) AS n FROM flags').get(), { n: 32 });
    // Every stored place is the one that labeler sent.
    for (let i = 0; i < 32; i++) {
      const rows = db.prepare(`SELECT r.response_id AS id, r.rank FROM ranks r JOIN submissions s ON s.id = r.submission_id JOIN users u ON u.id = s.user_id
        WHERE u.name = ? ORDER BY r.rank, r.response_id`).all(names[i]) as { id: number; rank: number }[];
      const sent = bodies[i].groups.flatMap((g: number[], place: number) => g.map((id) => ({ id, rank: place }))).sort((a: { id: number; rank: number }, b: { id: number; rank: number }) => a.rank - b.rank || a.id - b.id);
      assert.deepEqual(rows, sent, names[i]);
    }
    const ann = new Client(s.url);
    await users(db, { admin: ['ann'] });
    await ann.login('ann');
    const report = (await ann.get('/api/label/admin/report')).json;
    assert.deepEqual([report.sets[0].submissions, report.sets[0].complete], [32, 8]);
    assert.equal(report.agreement.comparisons, 8 * 6, 'C(4, 2) labeler pairs on each of 8 prompts');
  } finally {
    await s.close();
    t.done();
  }
});

// The app in a process of its own (startServer, as in-process above), which the restart test kills.
const SERVER = `import { startServer } from ${JSON.stringify(new URL('./helpers.js', import.meta.url).href)};
console.log((await startServer(process.argv[1])).url);`;

async function spawnServer(db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SERVER, db], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, url: line.trim() };
}

test('restart: the server killed mid-session loses no acknowledged ranking, and sessions and tokens still work', async () => {
  const t = tempDir();
  const file = join(t.dir, 'labels.db');
  const setup = openLabelDb(file);
  const names = ['ann', 'bob', 'cy', 'dee'];
  await users(setup, { labeler: names });
  addTasks(setup, 4, Array.from({ length: 40 }, (_, i) => ({ ...TASKS[i % 3], prompt: `prompt ${i}` })));
  setup.close();
  let server = await spawnServer(file);
  try {
    const clients = names.map(() => new Client(server.url));
    await Promise.all(clients.map((c, i) => c.login(names[i])));
    // Each labeler ranks in a loop; the server dies under them after a few rankings have landed.
    const acked: { user: string; task: number }[] = [];
    let failed = 0;
    const work = clients.map(async (c, i) => {
      for (;;) {
        try {
          const task = (await c.get('/api/label/task')).json.task;
          if (!task) return;
          const r = await c.post(`/api/label/task/${task.id}`, { groups: task.responses.map((x: { id: number }) => [x.id]) });
          if (r.status === 201) acked.push({ user: names[i], task: task.id });
        } catch {
          failed++;
          return; // connection refused or reset: the server is gone
        }
      }
    });
    while (acked.length < 12) await new Promise((r) => setTimeout(r, 5));
    const killed = once(server.child, 'exit');
    server.child.kill('SIGKILL');
    await Promise.all([killed, ...work]);
    assert.ok(failed > 0, 'the kill interrupted the labelers');

    server = await spawnServer(file);
    for (const c of clients) c.base = server.url;
    // The same cookies and CSRF tokens, no new login: sessions and tokens live in the database.
    for (const [i, c] of clients.entries()) {
      const me = await c.get('/api/label/me');
      assert.equal(me.json.user?.name, names[i], 'still logged in after the restart');
      const task = (await c.get('/api/label/task')).json.task;
      const r = await c.post(`/api/label/task/${task.id}`, { groups: task.responses.map((x: { id: number }) => [x.id]) });
      assert.equal(r.status, 201, `the old CSRF token still works for ${names[i]}`);
      acked.push({ user: names[i], task: task.id });
    }
    const stopped = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    await stopped;

    const db = openLabelDb(file);
    const stored = db.prepare('SELECT u.name AS user, s.task_id AS task FROM submissions s JOIN users u ON u.id = s.user_id').all() as { user: string; task: number }[];
    const has = new Set(stored.map((x) => `${x.user}/${x.task}`));
    assert.deepEqual(acked.filter((a) => !has.has(`${a.user}/${a.task}`)), [], 'every acknowledged ranking survived');
    assert.equal(has.size, stored.length, 'none stored twice');
    const partial = db.prepare('SELECT s.id FROM submissions s WHERE (SELECT COUNT(*) FROM ranks r WHERE r.submission_id = s.id) != (SELECT COUNT(*) FROM responses p WHERE p.task_id = s.task_id)').all();
    assert.deepEqual(partial, [], 'no submission half-written');
    db.close();
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    t.done();
  }
});
