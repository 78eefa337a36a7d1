// Shared by the labeling tests: a fastify server with the labeling app and a stand-in for the
// OpenAI-compatible routes the chat page calls, users, a small task set, and an HTTP client that
// keeps cookies and the CSRF token as a browser does.
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Imported module by module, not through src/label/index.ts: the restart test's server process
// starts faster without the model code.
import { labelApp } from '../../src/label/app.js';
import { hashPassword } from '../../src/label/auth.js';
import type { LabelAppConfig } from '../../src/label/config.js';
import { openLabelDb, type LabelDb } from '../../src/label/db.js';
import { addTaskSet, type TaskInput } from '../../src/label/tasks.js';

export function tempDir(prefix = 'rlhf-label-'): { dir: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

export const XSS = '<img src=x onerror="window.__pwned = 1"><script>window.__pwned = 2</script>';

/** The stand-in model's reply to a user message: the XSS payload when asked for it, a canned
 * answer for the screenshot's questions, else an echo; a regenerated reply says which take it is. */
export function fakeReply(user: string, attempt: number): string {
  if (/xss/i.test(user)) return `Here: ${XSS}`;
  const canned: Record<string, string> = {
    'What is 17 + 25?': '17 + 25 = 42.',
    'Sort these words alphabetically: pear apple fig': 'apple fig pear',
  };
  const text = canned[user] ?? `You said: ${user}`;
  return attempt === 0 ? text : `${text} (take ${attempt + 1})`;
}

/** GET /v1/models and a streaming POST /v1/chat/completions in the OpenAI format: the server
 * helper's routes as the chat page sees them. */
export function fakeOpenAi(app: FastifyInstance, model = 'tiny-chat'): void {
  const takes = new Map<string, number>();
  app.get('/v1/models', async () => ({ object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'rlhf-ts' }] }));
  app.post('/v1/chat/completions', async (req, reply) => {
    const body = req.body as { messages: { role: string; content: string }[]; stream?: boolean };
    const user = body.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
    const n = takes.get(user) ?? 0;
    takes.set(user, n + 1);
    const text = fakeReply(user, n);
    if (!body.stream) return { id: 'x', object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] };
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    reply.raw.write(chunk({ role: 'assistant', content: '' }));
    // A few characters per event, split across writes, as a real stream arrives.
    for (let i = 0; i < text.length; i += 5) {
      reply.raw.write(chunk({ content: text.slice(i, i + 5) }));
      await new Promise((r) => setTimeout(r, 2));
    }
    reply.raw.write(chunk({}, 'stop'));
    reply.raw.end('data: [DONE]\n\n');
  });
}

export interface TestServer {
  app: FastifyInstance;
  url: string;
  db: LabelDb;
  close(): Promise<void>;
}

/** The labeling app on a free loopback port, beside the stand-in OpenAI routes. */
export async function startServer(dbFile: string, cfg: Partial<LabelAppConfig> = {}): Promise<TestServer> {
  const db = openLabelDb(dbFile);
  const app = Fastify({ logger: false });
  fakeOpenAi(app);
  await app.register(labelApp, { db, ...cfg });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, db, close: async () => { await app.close(); db.close(); } };
}

export const PASSWORD = 'correct horse';

let passwordHash: Promise<string> | null = null;

/** Users named by role, all with PASSWORD: `await users(db, {admin: ['ann'], labeler: ['bob']})`.
 * One scrypt hash serves them all (addUser's own path is tested in store.test.ts), so setting up
 * 32 labelers costs one hash instead of 32. */
export async function users(db: LabelDb, names: { admin?: string[]; labeler?: string[] }): Promise<void> {
  const hash = await (passwordHash ??= hashPassword(PASSWORD));
  const ins = db.prepare('INSERT INTO users (name, role, password, created_at) VALUES (?, ?, ?, ?)');
  for (const n of names.admin ?? []) ins.run(n, 'admin', hash, Date.now());
  for (const n of names.labeler ?? []) ins.run(n, 'labeler', hash, Date.now());
}

export const TASKS: TaskInput[] = [
  { prompt: 'What is 17 + 25?', responses: ['42', '41', '17 + 25 = 42.', 'The answer is forty-something.'] },
  { prompt: [{ role: 'user', content: 'Sort these words alphabetically: pear apple fig' }], responses: ['apple fig pear', 'pear fig apple', 'apple pear fig'] },
  { prompt: 'Show me some HTML', responses: [XSS, 'No.', 'Here is a paragraph: <p>hi</p>'] },
];

export function addTasks(db: LabelDb, perPrompt = 1, tasks: TaskInput[] = TASKS, name = 'demo'): void {
  addTaskSet(db, name, perPrompt, { responses: 'test fixture' }, tasks);
}

/** A client that keeps cookies and sends the CSRF token, as the pages do. */
export class Client {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(public base: string) {}

  async request(method: string, path: string, body?: unknown, { csrf = true } = {}): Promise<{ status: number; json: any; headers: Headers }> {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (csrf && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), value);
    }
    const text = await res.text();
    let json: any = text;
    try { json = JSON.parse(text); } catch { /* not JSON: a page */ }
    return { status: res.status, json, headers: res.headers };
  }

  get(path: string) { return this.request('GET', path); }
  post(path: string, body: unknown = {}, opts?: { csrf?: boolean }) { return this.request('POST', path, body, opts); }

  /** Fetches a token, logs in, and keeps the token bound to the new session. */
  async login(name: string, password = PASSWORD): Promise<number> {
    this.csrf = (await this.get('/api/label/me')).json.csrfToken;
    const r = await this.post('/api/label/login', { name, password });
    if (r.status === 200) this.csrf = r.json.csrfToken;
    return r.status;
  }
}

