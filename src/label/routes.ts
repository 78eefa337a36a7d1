// The labeling app's JSON API (mounted by app.ts, which adds sessions, CSRF checks and headers).
//   GET  /api/label/me              who is logged in, and a CSRF token for the page's POSTs
//   POST /api/label/login           {name, password} → session cookie (rate limited)
//   POST /api/label/logout
//   GET  /api/label/task            the labeler's current or next ranking task, and progress
//   POST /api/label/task/:id        {groups, flags}: a ranking (201; 409 if already sent)
//   POST /api/label/feedback        a thumbs up/down on a chat reply
//   GET  /api/label/admin/report    progress and agreement (admins)
//   GET  /api/label/admin/export/rankings.jsonl, kto.jsonl   downloads (admins)
// Bodies are checked by fastify's JSON schemas before a handler runs; SQL is parameterised only.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Message } from '../data/formats.js';
import { checkLogin, createSession, endSession, type User } from './auth.js';
import { FLAGS, type LabelAppConfig } from './config.js';
import type { LabelDb } from './db.js';
import { ktoRecords, rankingRecords, toJsonl } from './export.js';
import { feedbackError, setChatLabel } from './feedback.js';
import { labelReport } from './report.js';
import { nextTask, SubmitError, submitRanking, type Submission } from './tasks.js';

export interface LabelRoutesOptions {
  db: LabelDb;
  cfg: LabelAppConfig;
  sessionCookie: string;
}

const message = {
  type: 'object',
  required: ['role', 'content'],
  additionalProperties: false,
  properties: { role: { type: 'string', enum: ['system', 'user', 'assistant'] }, content: { type: 'string', maxLength: 100_000 } },
} as const;

const schemas = {
  login: {
    type: 'object', required: ['name', 'password'], additionalProperties: false,
    properties: { name: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: 1024 } },
  },
  submit: {
    type: 'object', required: ['groups'], additionalProperties: false,
    properties: {
      groups: { type: 'array', maxItems: 64, items: { type: 'array', maxItems: 64, items: { type: 'integer' } } },
      flags: { type: 'object', maxProperties: 64, additionalProperties: { type: 'array', maxItems: FLAGS.length, items: { type: 'string', enum: [...FLAGS] } } },
    },
  },
  feedback: {
    type: 'object', required: ['key', 'model', 'prompt', 'completion', 'label'], additionalProperties: false,
    properties: {
      key: { type: 'string', maxLength: 64 }, model: { type: 'string', maxLength: 200 },
      prompt: { type: 'array', minItems: 1, maxItems: 200, items: message }, completion: { type: 'string', maxLength: 100_000 },
      label: { type: ['boolean', 'null'] },
    },
  },
} as const;

/** What CSRF tokens are bound to: the session cookie, or a fixed name before login (the library
 * refuses an empty one). */
export const csrfUser = (sessionToken: string | undefined): string => sessionToken || 'no-session';

export const labelRoutes: FastifyPluginAsync<LabelRoutesOptions> = async (app, { db, cfg, sessionCookie }) => {
  const cookieOpts = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: cfg.secureCookies };
  /** The user, after answering 401/403 when there is none or they lack the role. */
  const need = (req: FastifyRequest, reply: FastifyReply, admin = false): User | null => {
    const u = req.labelUser;
    if (!u) reply.code(401).send({ error: 'log in first' });
    else if (admin && u.role !== 'admin') reply.code(403).send({ error: 'admins only' });
    else return u;
    return null;
  };

  app.get('/api/label/me', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return { user: req.labelUser, csrfToken: reply.generateCsrf({ userInfo: csrfUser(req.cookies[sessionCookie]) }) };
  });

  app.post('/api/label/login', {
    schema: { body: schemas.login },
    config: {
      rateLimit: {
        max: cfg.loginMax, timeWindow: cfg.loginWindowMs, hook: 'preHandler',
        keyGenerator: (req: FastifyRequest) => `${req.ip}|${(req.body as { name?: string } | undefined)?.name ?? ''}`,
      },
    },
  }, async (req, reply) => {
    const { name, password } = req.body as { name: string; password: string };
    const user = await checkLogin(db, name, password);
    if (!user) return reply.code(401).send({ error: 'wrong name or password' });
    const token = createSession(db, user.id, cfg.sessionDays);
    reply.setCookie(sessionCookie, token, { ...cookieOpts, maxAge: cfg.sessionDays * 86_400 });
    return { user, csrfToken: reply.generateCsrf({ userInfo: csrfUser(token) }) };
  });

  app.post('/api/label/logout', async (req, reply) => {
    const token = req.cookies[sessionCookie];
    if (token) endSession(db, token);
    reply.clearCookie(sessionCookie, { path: '/' });
    return { ok: true };
  });

  app.get('/api/label/task', async (req, reply) => {
    const u = need(req, reply);
    if (!u) return reply;
    reply.header('cache-control', 'no-store');
    return nextTask(db, u.id, cfg.reserveMinutes * 60_000);
  });

  app.post('/api/label/task/:id', { schema: { body: schemas.submit, params: { type: 'object', properties: { id: { type: 'integer' } } } } }, async (req, reply) => {
    const u = need(req, reply);
    if (!u) return reply;
    const { groups, flags = {} } = req.body as Partial<Submission>;
    try {
      const result = submitRanking(db, u.id, (req.params as { id: number }).id, { groups: groups!, flags });
      if (result === 'duplicate') return reply.code(409).send({ error: 'you already ranked this prompt; the first ranking stands', duplicate: true });
      return reply.code(201).send({ stored: true });
    } catch (e) {
      if (e instanceof SubmitError) return reply.code(e.status).send({ error: e.message });
      throw e;
    }
  });

  app.post('/api/label/feedback', { schema: { body: schemas.feedback } }, async (req, reply) => {
    const u = need(req, reply);
    if (!u) return reply;
    const f = req.body as { key: string; model: string; prompt: Message[]; completion: string; label: boolean | null };
    const bad = feedbackError(f);
    if (bad) return reply.code(400).send({ error: bad });
    setChatLabel(db, u.id, f);
    return { stored: f.label };
  });

  app.get('/api/label/admin/report', async (req, reply) => {
    if (!need(req, reply, true)) return reply;
    reply.header('cache-control', 'no-store');
    return labelReport(db);
  });

  const download = (name: string, body: () => string) => async (req: FastifyRequest, reply: FastifyReply) => {
    if (!need(req, reply, true)) return reply;
    return reply.type('application/x-ndjson; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store').send(body());
  };
  app.get('/api/label/admin/export/rankings.jsonl', download('rankings.jsonl', () => toJsonl(rankingRecords(db))));
  app.get('/api/label/admin/export/kto.jsonl', download('kto.jsonl', () => toJsonl(ktoRecords(db))));
};
