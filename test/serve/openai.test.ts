// The server through the official `openai` client on a loopback port: chat and text completions,
// plain and streamed, n > 1, seeds, stop strings, several models, and every error case answered
// with an OpenAI error object and the right status while the server keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { encodeChat } from '../../src/tokenizer/index.js';
import { endTokenIds } from '../../src/serve/index.js';
import { post, serve, tinyChatModel, type Fixture, type Running } from './helpers.js';

let fx: Fixture, other: Fixture, srv: Running;
const HELLO = [{ role: 'user' as const, content: 'hello there' }];

before(async () => {
  fx = tinyChatModel(3);
  other = tinyChatModel(9);
  srv = await serve({ tiny: fx.dir, other: other.dir }, { bodyLimit: 64 * 1024 });
});
after(async () => {
  await srv.close();
  fx.done();
  other.done();
});

/** Greedy reply of the fixture model by generate(), decoded as the server decodes it. */
async function greedyReply(f: Fixture, maxTokens: number): Promise<{ text: string; prompt: number[]; tokens: number[] }> {
  const prompt = encodeChat(f.tok, HELLO, { addGenerationPrompt: true }).ids;
  const stops = endTokenIds(f.tok, f.model);
  const out = await f.model.generate([prompt], { maxNewTokens: maxTokens, temperature: 0, stopTokenIds: stops });
  return { text: f.tok.decode(out.tokens[0], { skipSpecialTokens: true }), prompt, tokens: out.tokens[0] };
}

test('models, model lookup and health', async () => {
  const list = await srv.client.models.list();
  assert.deepEqual(list.data.map((m) => m.id), ['tiny', 'other']);
  assert.equal((await srv.client.models.retrieve('other')).id, 'other');
  const health = (await (await fetch(`${srv.base}/health`)).json()) as { status: string; models: { id: string; slots: number }[] };
  assert.equal(health.status, 'ok');
  assert.deepEqual(health.models.map((m) => [m.id, m.slots]), [['tiny', 16], ['other', 16]]);
});

test('chat completion: greedy equals generate(), usage counts tokens, each model answers for itself', async () => {
  const want = await greedyReply(fx, 12);
  assert.ok(want.text.length > 5, 'the fixture writes a reply');
  const r = await srv.client.chat.completions.create({ model: 'tiny', messages: HELLO, max_tokens: 12, temperature: 0 });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, 'tiny');
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(r.choices[0].message.content, want.text);
  assert.equal(r.choices[0].finish_reason, want.tokens.length === 12 ? 'length' : 'stop');
  assert.deepEqual(r.usage, { prompt_tokens: want.prompt.length, completion_tokens: want.tokens.length, total_tokens: want.prompt.length + want.tokens.length });
  const o = await srv.client.chat.completions.create({ model: 'other', messages: HELLO, max_tokens: 12, temperature: 0 });
  assert.equal(o.choices[0].message.content, (await greedyReply(other, 12)).text);
});

test('streamed chat: a role chunk, deltas that add up to the plain reply, a finish chunk, usage, [DONE]', async () => {
  const plain = await srv.client.chat.completions.create({ model: 'tiny', messages: HELLO, max_tokens: 20, temperature: 0 });
  const stream = await srv.client.chat.completions.create({ model: 'tiny', messages: HELLO, max_tokens: 20, temperature: 0, stream: true, stream_options: { include_usage: true } });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.ok(chunks.length > 5, 'text arrives in pieces');
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), plain.choices[0].message.content);
  assert.equal(chunks.at(-2)!.choices[0].finish_reason, plain.choices[0].finish_reason);
  assert.deepEqual(chunks.at(-1)!.choices, []);
  assert.deepEqual(chunks.at(-1)!.usage, plain.usage);
  // On the wire: server-sent events ending in data: [DONE].
  const raw = await fetch(`${srv.base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tiny', messages: HELLO, max_tokens: 3, stream: true }) });
  assert.match(raw.headers.get('content-type')!, /^text\/event-stream/);
  const body = await raw.text();
  assert.ok(body.split('\n\n').filter(Boolean).every((e) => e.startsWith('data: ')));
  assert.ok(body.endsWith('data: [DONE]\n\n'));
});

test('text completions: plain, streamed, and a list of prompts with n = 2', async () => {
  const r = await srv.client.completions.create({ model: 'tiny', prompt: 'the cat', max_tokens: 8, temperature: 0 });
  const ids = fx.tok.encode('the cat', { addSpecialTokens: true });
  const want = await fx.model.generate([ids], { maxNewTokens: 8, temperature: 0, stopTokenIds: endTokenIds(fx.tok, fx.model) });
  assert.equal(r.object, 'text_completion');
  assert.equal(r.choices[0].text, fx.tok.decode(want.tokens[0], { skipSpecialTokens: true }));
  let streamed = '';
  for await (const c of await srv.client.completions.create({ model: 'tiny', prompt: 'the cat', max_tokens: 8, temperature: 0, stream: true })) streamed += c.choices[0]?.text ?? '';
  assert.equal(streamed, r.choices[0].text);
  const many = await srv.client.completions.create({ model: 'tiny', prompt: ['the cat', 'a dog'], n: 2, max_tokens: 6, temperature: 1, seed: 4 });
  assert.deepEqual(many.choices.map((c) => c.index), [0, 1, 2, 3]);
  assert.equal(many.choices[0].text === many.choices[1].text && many.choices[2].text === many.choices[3].text, false);
});

test('n > 1 and seeds: the same seed repeats every choice, another seed changes them', async () => {
  const ask = (seed: number) => srv.client.chat.completions.create({ model: 'tiny', messages: HELLO, max_tokens: 10, temperature: 1.2, n: 3, seed });
  const [a, b, c] = await Promise.all([ask(11), ask(11), ask(12)]);
  const texts = (r: OpenAI.Chat.Completions.ChatCompletion) => r.choices.map((x) => x.message.content);
  assert.equal(a.choices.length, 3);
  assert.deepEqual(texts(a), texts(b));
  assert.notDeepEqual(texts(a), texts(c));
  assert.ok(new Set(texts(a)).size > 1, 'the choices differ from each other');
  assert.equal(a.usage!.completion_tokens, a.choices.length * 10);
});

test('stop strings end the reply before them, streamed or not', async () => {
  const full = (await greedyReply(fx, 20)).text;
  const stop = full.slice(6, 9);
  const cut = full.slice(0, full.indexOf(stop));
  const r = await srv.client.chat.completions.create({ model: 'tiny', messages: HELLO, max_tokens: 20, temperature: 0, stop: ['zzzz', stop] });
  assert.equal(r.choices[0].message.content, cut);
  assert.equal(r.choices[0].finish_reason, 'stop');
  let streamed = '', finish: string | null = null;
  for await (const c of await srv.client.chat.completions.create({ model: 'tiny', messages: HELLO, max_tokens: 20, temperature: 0, stop, stream: true })) {
    streamed += c.choices[0]?.delta.content ?? '';
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(streamed, cut);
  assert.equal(finish, 'stop');
});

/** The SDK's error for a request: status, param, code. */
async function apiError(p: Promise<unknown>): Promise<{ status: number; param: unknown; code: unknown; type: unknown }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OpenAI.APIError) return { status: e.status as number, param: e.param, code: e.code, type: e.type };
    throw e;
  }
  assert.fail('expected an error');
}

test('bad requests get OpenAI error objects with the right status, and the server keeps serving', async () => {
  const chat = srv.client.chat.completions;
  const bad = (body: Record<string, unknown>) => chat.create(body as never);
  assert.deepEqual(await apiError(bad({ model: 'nope', messages: HELLO })), { status: 404, param: 'model', code: 'model_not_found', type: 'invalid_request_error' });
  assert.deepEqual(await apiError(bad({ model: 'tiny' })), { status: 400, param: 'messages', code: 'missing_required_parameter', type: 'invalid_request_error' });
  assert.equal((await apiError(bad({ messages: HELLO }))).param, 'model');
  assert.equal((await apiError(bad({ model: 'tiny', messages: HELLO, temperature: 'hot' }))).param, 'temperature');
  assert.equal((await apiError(bad({ model: 'tiny', messages: HELLO, temperature: 3 }))).param, 'temperature');
  assert.equal((await apiError(bad({ model: 'tiny', messages: HELLO, max_tokens: 2.5 }))).param, 'max_tokens');
  assert.equal((await apiError(bad({ model: 'tiny', messages: 'hi' }))).param, 'messages');
  assert.equal((await apiError(bad({ model: 'tiny', messages: [{ role: 'wizard', content: 'x' }] }))).param, 'messages[0].role');
  assert.equal((await apiError(bad({ model: 'tiny', messages: [{ role: 'user', content: 5 }] }))).param, 'messages[0].content');
  assert.equal((await apiError(bad({ model: 'tiny', messages: HELLO, stop: [1] }))).param, 'stop');
  assert.equal((await apiError(bad({ model: 'tiny', messages: HELLO, n: 17 }))).param, 'n');
  assert.equal((await apiError(bad({ model: 'tiny', messages: HELLO, logprobs: true }))).code, 'unsupported_parameter');
  assert.equal((await apiError(bad({ model: 'tiny', messages: HELLO, logit_bias: { 99999: 5 } }))).status, 400);
  // Prompt longer than the 128-token context; a reply that would run past it.
  const long = [{ role: 'user', content: 'the cat sat on the mat. '.repeat(40) }];
  assert.deepEqual(await apiError(bad({ model: 'tiny', messages: long })), { status: 400, param: 'messages', code: 'context_length_exceeded', type: 'invalid_request_error' });
  assert.deepEqual(await apiError(bad({ model: 'tiny', messages: HELLO, max_tokens: 500 })), { status: 400, param: 'max_tokens', code: 'context_length_exceeded', type: 'invalid_request_error' });
  assert.equal((await apiError(srv.client.completions.create({ model: 'tiny', prompt: 'x', echo: true }))).code, 'unsupported_parameter');

  // Bodies the SDK would never send.
  const malformed = await post(srv.base, '/v1/chat/completions', '{"model": "tiny", "messages": [');
  assert.equal(malformed.status, 400);
  assert.deepEqual(Object.keys(malformed.json.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(malformed.json.error.code, 'invalid_json');
  assert.equal((await post(srv.base, '/v1/chat/completions', '[1, 2]')).json.error.param, 'body');
  const huge = await post(srv.base, '/v1/chat/completions', JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x'.repeat(100_000) }] }));
  assert.equal(huge.status, 413);
  assert.equal(huge.json.error.code, 'request_too_large');
  const lost = await fetch(`${srv.base}/v1/embeddings`, { method: 'POST' });
  assert.equal(lost.status, 404);
  assert.equal(((await lost.json()) as { error: { code: string } }).error.code, 'unknown_url');

  const ok = await chat.create({ model: 'tiny', messages: HELLO, max_tokens: 4 });
  assert.equal(ok.choices.length, 1);
  assert.deepEqual((await srv.app.inject({ method: 'GET', url: '/health' })).json().models.map((m: { running: number; queued: number }) => m.running + m.queued), [0, 0]);
});

test('a full queue answers 429; a client that disconnects frees its slot at once', async () => {
  const long = tinyChatModel(3, 1024);
  const small = await serve({ tiny: fx.dir, long: long.dir }, {}, { maxSlots: 1, maxQueue: 1 });
  try {
    // Long requests on the long model: a short one on the fused decoder can finish (and free the
    // slot) before the third request arrives.
    const ask = (signal?: AbortSignal) => small.client.chat.completions.create({ model: 'long', messages: HELLO, max_tokens: 900, temperature: 0, stream: true }, { signal });
    const longStats = async (): Promise<{ running: number; queued: number }> => (await small.app.inject({ method: 'GET', url: '/health' })).json().models[1];
    const abort = new AbortController();
    const first = await ask(abort.signal);
    const it = first[Symbol.asyncIterator]();
    await it.next(); // the role chunk: the request holds the one slot
    await it.next();
    const queued = ask(); // waits for the slot
    for (const start = Date.now(); (await longStats()).queued === 0;) {
      assert.ok(Date.now() - start < 10_000, 'the second request never queued behind the first');
      await new Promise((r) => setTimeout(r, 1));
    }
    const refused = await apiError(ask());
    assert.deepEqual(refused, { status: 429, param: null, code: 'rate_limit_exceeded', type: 'rate_limit_error' });
    abort.abort(); // the first client goes away: its slot goes to the queued request
    let text = '';
    for await (const c of await queued) text += c.choices[0]?.delta.content ?? '';
    assert.ok(text.length > 0);
    const stats = await longStats();
    assert.deepEqual([stats.running, stats.queued], [0, 0]);
    // The same for a plain (unstreamed) request whose client gives up while it runs.
    const health = async (): Promise<{ running: number; steps: number }> => (await small.app.inject({ method: 'GET', url: '/health' })).json().models[1];
    const gone = new AbortController();
    const plain = small.client.chat.completions.create({ model: 'long', messages: HELLO, max_tokens: 1000, temperature: 0 }, { signal: gone.signal }).catch((e: Error) => e);
    while ((await health()).running === 0) await new Promise((r) => setTimeout(r, 2));
    gone.abort();
    const at = (await health()).steps;
    assert.ok((await plain) instanceof OpenAI.APIUserAbortError);
    while ((await health()).running === 1) await new Promise((r) => setTimeout(r, 2));
    assert.ok((await health()).steps - at < 100, 'the abandoned request stopped long before its 1000 tokens');
  } finally {
    await small.close();
    long.done();
  }
});

test('with --api-key, /v1 needs the key', async () => {
  const locked = await serve({ tiny: fx.dir }, { apiKey: 'sesame' });
  try {
    assert.equal((await locked.client.models.list()).data.length, 1);
    const anon = new OpenAI({ baseURL: `${locked.base}/v1`, apiKey: 'wrong', maxRetries: 0 });
    assert.equal((await apiError(anon.models.list())).status, 401);
    assert.equal((await fetch(`${locked.base}/health`)).status, 200);
  } finally {
    await locked.close();
  }
});
