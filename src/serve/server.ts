// The OpenAI-compatible HTTP server on fastify: /v1/chat/completions, /v1/completions, /v1/models
// and /health, serving one or more models, each with its own continuous-batching scheduler.
// `createServer` returns the fastify instance unstarted, with any extra plugins (the web app of
// src/label/) registered after the API on the same instance, so they share its port and models.
import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync, type FastifyPluginCallback, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { ServedModel } from './engine.js';
import { ApiError } from './errors.js';
import { parseChatRequest, parseCompletionRequest } from './protocol.js';
import { answer, checkLength } from './routes.js';
import type { SchedulerOptions } from './scheduler.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The served models by id, for plugins (the web app) that need them in-process. */
    servedModels: ReadonlyMap<string, ServedModel>;
  }
}

// `any` options, as fastify's own register() takes: a plugin typed with its own options must fit.
export type ServerPlugin = { plugin: FastifyPluginAsync<any> | FastifyPluginCallback<any>; opts?: Record<string, unknown> };

export interface ServerOptions {
  models: ServedModel[];
  /** Largest request body in bytes on the API routes (413 beyond). */
  bodyLimit: number;
  /** When set, /v1 requests need `Authorization: Bearer <apiKey>` (401 otherwise). */
  apiKey: string | null;
  /** With apiKey: a request this accepts needs no key (the web app's logged-in users, whose chat
   * page holds a session cookie, not the key). */
  authorize: ((request: FastifyRequest) => boolean) | null;
  /** Registered after the API routes, in order (e.g. the chat page and ranking app). */
  plugins: ServerPlugin[];
  /** fastify's logger option (false: silent). */
  logger: FastifyServerOptions['logger'];
}

export const SERVER_DEFAULTS: Omit<ServerOptions, 'models'> = { bodyLimit: 1 << 20, apiKey: null, authorize: null, plugins: [], logger: false };

/** Loads model directories given as DIR or NAME=DIR (the id defaults to the folder's name). */
export async function loadModels(specs: string[], options: Partial<SchedulerOptions> = {}): Promise<ServedModel[]> {
  const models: ServedModel[] = [];
  for (const spec of specs) {
    // NAME=DIR, unless the whole argument is a folder (a path that holds '=').
    const eq = existsSync(spec) ? -1 : spec.indexOf('=');
    const [id, dir] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [undefined, spec];
    models.push(await ServedModel.load(dir, { ...options, id }));
  }
  return models;
}

/** fastify's and the scheduler's errors as OpenAI error objects. */
function toApiError(err: FastifyError | Error): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as FastifyError;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new ApiError(413, `the request body is larger than the server's limit: ${e.message}`, null, 'request_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new ApiError(415, `${e.message}: send the body as application/json`, null, 'unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return new ApiError(400, 'the request body is empty; send a JSON object', 'body', 'invalid_json');
  }
  if (e.statusCode === 400 && (err instanceof SyntaxError || /JSON/.test(e.message))) return new ApiError(400, `the request body is not valid JSON: ${e.message}`, 'body', 'invalid_json');
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new ApiError(e.statusCode, e.message, null, e.code ?? null);
  return new ApiError(500, `internal error: ${err.message}`, null, null);
}

function modelObject(m: ServedModel): Record<string, unknown> {
  return { id: m.id, object: 'model', created: m.created, owned_by: 'rlhf-ts', context_length: m.contextLength };
}

/** The /v1 routes, in their own plugin so their error and not-found handlers are theirs alone. */
function api(models: ReadonlyMap<string, ServedModel>, o: Omit<ServerOptions, 'models' | 'plugins' | 'logger'>): FastifyPluginAsync {
  const lookup = (id: string): ServedModel => {
    const m = models.get(id);
    if (!m) throw new ApiError(404, `The model '${id}' does not exist. This server has: ${[...models.keys()].join(', ')}.`, 'model', 'model_not_found');
    return m;
  };
  const maxN = Math.min(...[...models.values()].map((m) => m.scheduler.options.maxSlots));
  const key = o.apiKey === null ? null : Buffer.from(`Bearer ${o.apiKey}`);
  return async (app) => {
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const e = toApiError(err);
      if (e.status >= 500) request.log.error(err);
      if (e.status === 429) reply.header('retry-after', '1');
      return reply.status(e.status).send(e.body);
    });
    app.setNotFoundHandler((request, reply) => reply.status(404).send(new ApiError(404, `no such endpoint: ${request.method} ${request.url}`, null, 'unknown_url').body));
    if (key) {
      app.addHook('onRequest', async (request) => {
        if (o.authorize?.(request)) return;
        const got = Buffer.from(request.headers.authorization ?? '');
        if (got.length !== key.length || !timingSafeEqual(got, key)) throw new ApiError(401, 'invalid or missing API key: send Authorization: Bearer <key>', null, 'invalid_api_key');
      });
    }
    app.get('/models', async () => ({ object: 'list', data: [...models.values()].map(modelObject) }));
    app.get<{ Params: { model: string } }>('/models/:model', async (request) => modelObject(lookup(request.params.model)));

    app.post('/chat/completions', { bodyLimit: o.bodyLimit }, async (request, reply) => {
      const req = parseChatRequest(request.body, maxN);
      const served = lookup(req.model);
      let prompt: number[];
      try {
        prompt = served.chatPrompt(req.messages);
      } catch (e) {
        throw new ApiError(400, `the model's chat template failed on these messages: ${(e as Error).message}`, 'messages', 'invalid_value');
      }
      checkLength(served, prompt.length, req.params.maxTokens, 'messages');
      return answer(served, [prompt], req, 'chat', reply);
    });

    app.post('/completions', { bodyLimit: o.bodyLimit }, async (request, reply) => {
      const req = parseCompletionRequest(request.body, maxN);
      const served = lookup(req.model);
      const prompts = req.prompts.map((p) => served.textPrompt(p));
      for (const p of prompts) {
        if (!p.length) throw new ApiError(400, "'prompt' encodes to no tokens: give some text", 'prompt', 'invalid_value');
        checkLength(served, p.length, req.params.maxTokens, 'prompt');
      }
      return answer(served, prompts, req, 'text', reply);
    });
  };
}

/** A fastify instance serving `models` (not yet listening: call `listen({host, port})`). */
export async function createServer(options: Partial<ServerOptions> & Pick<ServerOptions, 'models'>): Promise<FastifyInstance> {
  const o: ServerOptions = { ...SERVER_DEFAULTS, ...options };
  if (!o.models.length) throw new Error('createServer: give at least one model');
  const models = new Map<string, ServedModel>();
  for (const m of o.models) {
    if (models.has(m.id)) throw new Error(`createServer: two models are named ${m.id}; name them with NAME=DIR`);
    models.set(m.id, m);
  }
  if (!(Number.isInteger(o.bodyLimit) && o.bodyLimit > 0)) throw new RangeError(`createServer: bodyLimit must be a positive integer, got ${o.bodyLimit}`);
  const app = Fastify({ logger: o.logger, forceCloseConnections: true });
  app.decorate('servedModels', models);
  // Streams in flight would hold close() open: end them first.
  app.addHook('preClose', async () => { for (const m of models.values()) m.scheduler.close(); });
  app.get('/health', async () => {
    const cpu = process.cpuUsage();
    return {
      status: 'ok',
      models: [...models.values()].map((m) => ({ id: m.id, context_length: m.contextLength, ...m.scheduler.stats() })),
      // The server process's CPU time (all threads) and memory: what a request costs, whatever else the machine runs.
      process: { uptime_s: process.uptime(), cpu_s: (cpu.user + cpu.system) / 1e6, rss_mib: process.memoryUsage.rss() / 2 ** 20 },
    };
  });
  await app.register(api(models, o), { prefix: '/v1' });
  for (const { plugin, opts } of o.plugins) await app.register(plugin, opts ?? {});
  return app;
}
