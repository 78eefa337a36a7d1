// Shared by the serving tests: a tiny chat model with a trained byte-level BPE tokenizer, saved as
// a model directory, and a server on an ephemeral loopback port with an `openai` client for it.
import OpenAI from 'openai';
import type { FastifyInstance } from 'fastify';
import type { CausalLM } from '../../src/models/index.js';
import { CHATML_SPECIAL_TOKENS, DEFAULT_CHAT_TEMPLATE, saveTokenizer, trainBpe, type Tokenizer } from '../../src/tokenizer/index.js';
import { ServedModel, createServer, type ServerOptions, type SchedulerOptions } from '../../src/serve/index.js';
import { sharpModel, tempDir, tinyConfig } from '../models/helpers.js';

const TEXTS = [
  'the cat sat on the mat. the dog sat on the log. a cat and a dog.',
  'what is the answer? the answer is five. hello there, how are you?',
  'Zürich, naïve café — 東京 and 🙂 are multi-byte.',
];

export interface Fixture {
  dir: string;
  tok: Tokenizer;
  model: CausalLM;
  done(): void;
}

/** A saved 2-layer model whose replies rarely end early: the LM-head rows of its end tokens are
 * zeroed, so against its sharpened random logits they are seldom the argmax. */
export function tinyChatModel(seed = 3, maxPositions = 128): Fixture {
  const tmp = tempDir();
  const tok = trainBpe(TEXTS, {
    vocabSize: 300, minFrequency: 1, specialTokens: ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS],
    config: { eosToken: '<|endoftext|>', chatTemplate: DEFAULT_CHAT_TEMPLATE },
  });
  const eos = tok.tokenToId('<|endoftext|>')!;
  const model = sharpModel(tinyConfig({ vocabSize: tok.vocabSize, bosTokenId: null, eosTokenId: eos, maxPositions }), seed);
  const C = model.config.hiddenSize, head = model.headWeight.f;
  for (const name of ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS]) head.fill(0, tok.tokenToId(name)! * C, (tok.tokenToId(name)! + 1) * C);
  model.save(tmp.dir);
  saveTokenizer(tok, tmp.dir);
  return { dir: tmp.dir, tok, model, done: tmp.done };
}

export interface Running {
  app: FastifyInstance;
  base: string;
  client: OpenAI;
  close(): Promise<void>;
}

/** Loads `dir` as model `id` and serves it on 127.0.0.1 at an ephemeral port. */
export async function serve(dirs: Record<string, string>, opts: Partial<Omit<ServerOptions, 'models'>> = {}, sched: Partial<SchedulerOptions> = {}): Promise<Running> {
  const models = await Promise.all(Object.entries(dirs).map(([id, dir]) => ServedModel.load(dir, { ...sched, id })));
  const app = await createServer({ ...opts, models });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  // No retries: a 429 or 5xx must reach the test, not be retried away.
  const client = new OpenAI({ baseURL: `${address}/v1`, apiKey: opts.apiKey ?? 'unused', maxRetries: 0 });
  return { app, base: address, client, close: () => app.close() };
}

/** A raw JSON POST (for bodies the SDK would not send). */
export async function post(base: string, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, any> }> {
  const r = await fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: r.status, json: (await r.json()) as Record<string, any> };
}
