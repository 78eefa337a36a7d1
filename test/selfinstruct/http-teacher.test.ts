// The HTTP teacher against a small fake OpenAI-compatible server (fastify on loopback): both API
// shapes, the model list, the concurrency limit, retries on 429/503 with Retry-After, a fatal 400
// with the server's message, the rate limit, and `rlhf self-instruct` end to end over HTTP, then
// `rlhf sft` on the set it grew and `rlhf eval` of that SFT model (perplexity on the grown tasks,
// which the contamination check finds in the training file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { HttpTeacher, mapLimit, type HttpTeacherOptions } from '../../src/selfinstruct/http-teacher.js';
import { tmp } from '../train/helpers.js';
import { tinyChatModel } from '../eval/tiny-model.js';
import { scriptedReply } from './fake-teacher.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Fake { app: FastifyInstance; base: string; state: { inFlight: number; maxInFlight: number; posts: number; bodies: Record<string, unknown>[]; failures: number[] } }

/** Serves /v1/models, /v1/completions and /v1/chat/completions with the scripted teacher's replies;
 * `failures` lists HTTP statuses the next POSTs answer with first. */
async function fakeOpenAi(failures: number[] = [], delayMs = 5): Promise<Fake> {
  const app = Fastify();
  const state = { inFlight: 0, maxInFlight: 0, posts: 0, bodies: [] as Record<string, unknown>[], failures: [...failures] };
  app.get('/v1/models', async () => ({ object: 'list', data: [{ id: 'fake-model', object: 'model' }] }));
  const handle = (chat: boolean) => async (req: { body: unknown }, reply: { code(n: number): unknown; header(k: string, v: string): unknown }) => {
    state.posts++;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      await new Promise((r) => setTimeout(r, delayMs));
      const fail = state.failures.shift();
      if (fail) {
        reply.code(fail);
        if (fail === 429) reply.header('retry-after', '0');
        return { error: { message: fail === 400 ? 'max_tokens is too large' : 'busy', type: 'server_error' } };
      }
      const body = req.body as Record<string, unknown>;
      state.bodies.push(body);
      const prompt = chat ? (body.messages as { content: string }[])[0].content : String(body.prompt);
      const text = scriptedReply({ prompt, seed: Number(body.seed), maxTokens: Number(body.max_tokens), temperature: Number(body.temperature), topP: Number(body.top_p), stop: [] });
      return chat
        ? { id: 'x', object: 'chat.completion', model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] }
        : { id: 'x', object: 'text_completion', model: body.model, choices: [{ index: 0, text, finish_reason: 'stop' }] };
    } finally {
      state.inFlight--;
    }
  };
  app.post('/v1/completions', handle(false));
  app.post('/v1/chat/completions', handle(true));
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: `${address}/v1`, state };
}

const opts = (base: string, o: Partial<HttpTeacherOptions> = {}): HttpTeacherOptions => ({
  baseUrl: base, model: '', format: 'completion', apiKey: 'sk-test', concurrency: 3, retries: 3, requestsPerMinute: 0, timeoutS: 10, backoffMs: 1, ...o,
});
const request = (i: number) => ({ prompt: `Come up with a series of tasks:\n1. Write a poem.\n2.`, maxTokens: 64, temperature: 0.7, topP: 0.5, stop: ['\n\n'], seed: i });

test('completions and chat: model from /models, replies in order, concurrency bounded', async () => {
  const fake = await fakeOpenAi();
  try {
    for (const format of ['completion', 'chat'] as const) {
      const t = await HttpTeacher.connect(opts(fake.base, { format }));
      assert.equal(t.name, `${fake.base} (fake-model)`);
      const replies = await t.complete(Array.from({ length: 8 }, (_, i) => request(i)));
      replies.forEach((r, i) => assert.equal(r.text, scriptedReply(request(i)).split('\n\n')[0]));
    }
    assert.ok(fake.state.maxInFlight <= 3 && fake.state.maxInFlight >= 2, `max in flight ${fake.state.maxInFlight}`);
    const b = fake.state.bodies[0];
    assert.equal(b.model, 'fake-model');
    assert.equal(b.max_tokens, 64);
    assert.deepEqual(b.stop, ['\n\n']);
  } finally {
    await fake.app.close();
  }
});

test('429 and 503 are retried (Retry-After honoured); a 400 stops with the server\'s message', async () => {
  const fake = await fakeOpenAi([429, 503, 503]);
  try {
    const t = await HttpTeacher.connect(opts(fake.base, { model: 'm', concurrency: 1 }));
    const [r] = await t.complete([request(1)]);
    assert.equal(r.text, scriptedReply(request(1)).split('\n\n')[0]);
    assert.deepEqual(t.counts, { requests: 4, retries: 3 });
    fake.state.failures.push(503, 503, 503, 503);
    await assert.rejects(t.complete([request(2)]), /HTTP 503: busy/, 'gives up after `retries`');
    fake.state.failures.length = 0;
    fake.state.failures.push(400);
    await assert.rejects(t.complete([request(3)]), /HTTP 400: max_tokens is too large/);
    assert.equal(t.counts.retries, 6, 'a 400 is not retried');
  } finally {
    await fake.app.close();
  }
  const gone = await HttpTeacher.connect(opts('http://127.0.0.1:9/v1', { model: 'm', retries: 1 }));
  await assert.rejects(gone.complete([request(0)]), /127\.0\.0\.1:9\/v1\/completions/);
});

test('the rate limit spaces request starts', async () => {
  const fake = await fakeOpenAi([], 0);
  try {
    const t = await HttpTeacher.connect(opts(fake.base, { model: 'm', requestsPerMinute: 1200, concurrency: 4 }));
    const t0 = performance.now();
    await t.complete(Array.from({ length: 5 }, (_, i) => request(i)));
    // 1200/min = one start every 50 ms: the fifth starts 200 ms after the first.
    assert.ok(performance.now() - t0 >= 190, `${performance.now() - t0} ms`);
  } finally {
    await fake.app.close();
  }
});

test('mapLimit keeps order and the limit', async () => {
  let live = 0, peak = 0;
  const out = await mapLimit([5, 1, 3, 2], 2, async (x) => {
    live++;
    peak = Math.max(peak, live);
    await new Promise((r) => setTimeout(r, x));
    live--;
    return x * 10;
  });
  assert.deepEqual(out, [50, 10, 30, 20]);
  assert.equal(peak, 2);
});

test('rlhf self-instruct grows a dataset from an HTTP teacher', async () => {
  const fake = await fakeOpenAi([503]);
  const out = join(tmp('si-http'), 'run');
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'self-instruct', '--teacher', fake.base, '--teacherFormat', 'chat', '--count', '10', '--out', out, '--quiet', '--http.backoffMs', '1'], { encoding: 'utf8' });
    assert.match(stdout, /kept 10 instructions/);
    for (const f of ['tasks.jsonl', 'sft.jsonl', 'stats.json', 'diversity.svg', 'rounds.jsonl', 'config.json']) assert.ok(existsSync(join(out, f)), f);
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8')) as { teacher: { name: string; retries: number } };
    assert.equal(stats.teacher.retries, 1);
    assert.match(stats.teacher.name, /fake-model/);

    // SFT on the grown set, then the harness on the result: the grown tasks as exact-match prompts.
    const run = promisify(execFile);
    const sft = join(out, '..', 'sft');
    await run(process.execPath, [CLI, 'sft', '--model', tinyChatModel(3), '--data.train', join(out, 'sft.jsonl'), '--out', sft,
      '--train.steps', '3', '--train.batchSize', '2', '--train.evalEvery', '0', '--quiet'], { encoding: 'utf8' });
    const tasks = readFileSync(join(out, 'tasks.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { instruction: string; input: string; output: string });
    const texts = join(out, '..', 'grown-texts.jsonl');
    writeFileSync(texts, tasks.map((t) => JSON.stringify({ text: `${t.instruction}\n${t.input}\n${t.output}` })).join('\n') + '\n');
    const prompts = join(out, '..', 'grown-prompts.jsonl');
    writeFileSync(prompts, tasks.map((t) => JSON.stringify({ prompt: t.input ? `${t.instruction}\n${t.input}` : t.instruction })).join('\n') + '\n');
    const json = join(out, '..', 'eval.json');
    await run(process.execPath, [CLI, 'eval', '--model', join(sft, 'model'), '--text', texts, '--prompts', prompts, '--train', join(out, 'sft.jsonl'), '--perplexity.window', '32', '--json', json, '--quiet'], { encoding: 'utf8' });
    const flat = JSON.parse(readFileSync(json, 'utf8')) as Record<string, number | null>;
    assert.ok(Number.isFinite(flat.perplexity), `perplexity ${flat.perplexity}`);
    assert.ok(flat.contaminated! >= 1, `the grown texts are in the SFT file: contaminated ${flat.contaminated}`);
  } finally {
    await fake.app.close();
  }
});
