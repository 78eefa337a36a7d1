// The completion endpoints: a parsed request becomes one scheduler request per prompt, answered
// as one JSON body or as server-sent events (`data: {chunk}` lines, then `data: [DONE]`), in the
// shapes the OpenAI API returns. A client that closes its connection cancels its choices at once.
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { ChoiceResult, Completion, CompletionResult, ServedModel } from './engine.js';
import { ApiError } from './errors.js';
import type { ParsedRequest } from './protocol.js';
import { QueueFullError } from './scheduler.js';

export type Endpoint = 'chat' | 'text';

/** Refuses a prompt that leaves no room in the context, or max_tokens past it. */
export function checkLength(served: ServedModel, promptTokens: number, maxTokens: number | null, promptParam: string): void {
  const C = served.contextLength;
  if (promptTokens >= C) {
    throw new ApiError(400, `This model's maximum context length is ${C} tokens. However, your ${promptParam} resulted in ${promptTokens} tokens, leaving no room for a reply. Please shorten the ${promptParam}.`, promptParam, 'context_length_exceeded');
  }
  if (maxTokens !== null && promptTokens + maxTokens > C) {
    throw new ApiError(400, `This model's maximum context length is ${C} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the ${promptParam}, ${maxTokens} in the completion). Please reduce the length of the ${promptParam} or the completion.`, 'max_tokens', 'context_length_exceeded');
  }
}

/** Scheduler refusals as API errors. */
export function submitError(e: unknown): ApiError {
  if (e instanceof QueueFullError) return new ApiError(429, e.message, null, 'rate_limit_exceeded');
  if (e instanceof RangeError) return new ApiError(400, e.message, null, 'invalid_value');
  throw e;
}

const finishReason = (c: ChoiceResult): string | null => (c.finishReason === 'cancelled' ? null : c.finishReason);

function usage(results: CompletionResult[]): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const prompt = results.reduce((s, r) => s + r.promptTokens, 0), completion = results.reduce((s, r) => s + r.completionTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/**
 * Runs a request's prompts on `served` and answers it. Choice indices run over prompts, then
 * choices: prompt p's choice c is index p·n + c (OpenAI's order for a list of prompts).
 */
export async function answer(served: ServedModel, prompts: number[][], req: ParsedRequest, kind: Endpoint, reply: FastifyReply): Promise<unknown> {
  const { n } = req.params;
  const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const head = { id, object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion', created, model: served.id };
  const out = req.stream ? new PassThrough() : null;
  const send = (data: unknown): void => { out?.write(`data: ${JSON.stringify(data)}\n\n`); };
  const chunk = (index: number, text: string | null, finish: string | null): void => send({
    ...head,
    choices: [kind === 'chat'
      ? { index, delta: text === null ? {} : { content: text }, logprobs: null, finish_reason: finish }
      : { index, text: text ?? '', logprobs: null, finish_reason: finish }],
  });

  const running: Completion[] = [];
  try {
    prompts.forEach((prompt, p) => running.push(served.complete(prompt, req.params, {
      onText: (c, text) => chunk(p * n + c, text, null),
      onChoice: (c) => { if (c.finishReason !== 'cancelled') chunk(p * n + c.index, null, finishReason(c)); },
    })));
  } catch (e) {
    for (const r of running) r.cancel();
    throw submitError(e);
  }
  // The connection closed before the answer was complete: the client is gone, free its rows.
  reply.raw.on('close', () => { if (!reply.raw.writableFinished) for (const r of running) r.cancel(); });
  const all = Promise.all(running.map((r) => r.result));

  if (!out) {
    const results = await all;
    if (results.some((r) => r.choices.some((c) => c.finishReason === 'cancelled'))) throw new ApiError(503, 'the request was cancelled: the server is shutting down', null, 'server_shutdown');
    const choices = results.flatMap((r, p) => r.choices.map((c) => {
      const index = p * n + c.index;
      return kind === 'chat'
        ? { index, message: { role: 'assistant', content: c.text, refusal: null }, logprobs: null, finish_reason: finishReason(c) }
        : { index, text: c.text, logprobs: null, finish_reason: finishReason(c) };
    }));
    return { id, object: kind === 'chat' ? 'chat.completion' : 'text_completion', created, model: served.id, choices, usage: usage(results) };
  }

  // The first chunk of each chat choice names the role, as OpenAI's streams do.
  if (kind === 'chat') {
    for (let i = 0; i < prompts.length * n; i++) send({ ...head, choices: [{ index: i, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
  }
  all.then((results) => {
    if (results.some((r) => r.choices.some((c) => c.finishReason === 'cancelled'))) {
      send(new ApiError(503, 'the request was cancelled: the server is shutting down or the client left', null, 'server_shutdown').body);
    } else if (req.includeUsage) send({ ...head, choices: [], usage: usage(results) });
  }, (e: unknown) => {
    send(new ApiError(500, `the model failed: ${e instanceof Error ? e.message : String(e)}`).body);
  }).finally(() => {
    out.end('data: [DONE]\n\n');
  });
  return reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no')
    .send(out);
}
