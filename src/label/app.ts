// The labeling web app as a fastify plugin: `rlhf serve --db FILE` mounts it beside the
// OpenAI-compatible API, on the same port. Pages: /login, /chat (streaming chat with thumbs),
// /rank (InstructGPT's comparison task), /admin (progress, agreement, downloads); their JSON API
// lives under /api/label/ (routes.ts). The plugin is encapsulated: its cookies, CSRF checks, rate
// limit and headers apply to its own routes only.
//
// Security, each by a maintained library where one exists: sessions are random cookies (HttpOnly,
// SameSite=Strict) looked up in SQLite (auth.ts); every POST carries a CSRF token bound to the
// session (@fastify/csrf-protection, keyed from the database so tokens outlive a restart); logins are
// rate limited per name and address (@fastify/rate-limit); a labeler gets 403 outside the task
// pages; pages render model output with textContent only, and a Content-Security-Policy without
// inline script backs that up.
import cookie, { fastifyCookie } from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sessionUser, type User } from './auth.js';
import { labelConfig, type LabelAppConfig } from './config.js';
import { metaValue, openLabelDb, type LabelDb } from './db.js';
import { csrfUser, labelRoutes } from './routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in user of the labeling app, or null. */
    labelUser: User | null;
  }
}

export interface LabelAppOptions extends Partial<LabelAppConfig> {
  /** An open database, or a file to open (and close with the server). */
  db: LabelDb | string;
}

export const SESSION_COOKIE = 'rlhf_session';

/** web/label/ at the package root: found by walking up from this module, so it is the same
 * folder whether the code runs from dist/ or from an installed package. */
export function webDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'web', 'label');
    if (existsSync(join(candidate, 'chat.html'))) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`labeling app: no web/label/ folder above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

const PAGES = ['login', 'chat', 'rank', 'admin', 'forbidden'] as const;
type Page = (typeof PAGES)[number];

const HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** For the API server in front of the app: whether a request carries a live session of the app,
 * so the chat page (which holds a session cookie, not the API key) may call /v1. The cookie is
 * SameSite=Strict, so another site cannot make a browser send it. */
export function hasLabelSession(db: LabelDb): (req: FastifyRequest) => boolean {
  return (req) => {
    const token = req.headers.cookie ? fastifyCookie.parse(req.headers.cookie)[SESSION_COOKIE] : undefined;
    return token !== undefined && sessionUser(db, token) !== null;
  };
}

export const labelApp: FastifyPluginAsync<LabelAppOptions> = async (app, opts) => {
  const { db: dbOpt, ...rest } = opts;
  const cfg = labelConfig(rest);
  const db = typeof dbOpt === 'string' ? openLabelDb(dbOpt) : dbOpt;
  if (typeof dbOpt === 'string') app.addHook('onClose', async () => void db.close());
  const web = webDir();
  const pages = Object.fromEntries(PAGES.map((p) => [p, readFileSync(join(web, `${p}.html`), 'utf8')])) as Record<Page, string>;

  await app.register(cookie);
  await app.register(csrf, {
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, secure: cfg.secureCookies },
    // Binding tokens to the session cookie: a token from one login is void in another.
    getUserInfo: (req: FastifyRequest) => csrfUser(req.cookies[SESSION_COOKIE]),
    csrfOpts: { hmacKey: metaValue(db, 'hmac_key'), userInfo: true },
  });
  await app.register(rateLimit, { global: false });
  await app.register(fastifyStatic, { root: web, prefix: '/label/assets/', decorateReply: false, index: false, allowedPath: (path) => /\.(js|css|svg)$/.test(path) });

  app.decorateRequest('labelUser', null);
  app.addHook('onRequest', async (req) => {
    const token = req.cookies[SESSION_COOKIE];
    req.labelUser = token ? sessionUser(db, token) : null;
  });
  app.addHook('onSend', async (_req, reply) => {
    for (const [k, v] of Object.entries(HEADERS)) reply.header(k, v);
  });
  app.addHook('preHandler', (req, reply, done) => {
    if (req.method === 'GET' || req.method === 'HEAD') return done();
    app.csrfProtection(req, reply, done);
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) req.log.error(err);
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : err.message });
  });

  const html = (reply: FastifyReply, page: Page, status = 200) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(pages[page]);
  /** A page for logged-in users (admins only with `admin`): others go to the login page. */
  const page = (name: Page, admin = false) => async (req: FastifyRequest, reply: FastifyReply) => {
    const user = req.labelUser;
    if (!user) return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
    if (admin && user.role !== 'admin') return html(reply, 'forbidden', 403);
    return html(reply, name);
  };
  app.get('/', async (req, reply) => reply.redirect(req.labelUser ? '/chat' : '/login', 303));
  app.get('/login', async (_req, reply) => html(reply, 'login'));
  app.get('/chat', page('chat'));
  app.get('/rank', page('rank'));
  app.get('/admin', page('admin', true));

  await app.register(labelRoutes, { db, cfg, sessionCookie: SESSION_COOKIE });
};
