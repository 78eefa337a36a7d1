// Request bodies of the OpenAI API, checked field by field into typed requests. Written out rather
// than left to fastify's JSON-schema validation: OpenAI's errors name the offending parameter
// (`param: "messages[1].content"`), its ranges and unsupported options need their own messages,
// and fastify's default Ajv options coerce types ("5" → 5), which OpenAI refuses — options that
// the web app's plugins on the same instance may rely on.
import type { ChatMessage } from '../tokenizer/chat.js';
import { COMPLETION_DEFAULTS, type CompletionParams } from './engine.js';
import { badParam } from './errors.js';

export interface ParsedRequest {
  model: string;
  params: CompletionParams;
  stream: boolean;
  /** stream_options.include_usage: a last chunk carries the usage. */
  includeUsage: boolean;
}

export interface ChatRequest extends ParsedRequest { messages: ChatMessage[] }
export interface CompletionRequest extends ParsedRequest { prompts: string[] }

type Json = Record<string, unknown>;

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Reads one body's fields; null counts as absent, as OpenAI treats it. */
class Fields {
  constructor(private readonly body: Json) {}

  has(name: string): boolean {
    return this.body[name] !== undefined && this.body[name] !== null;
  }

  raw(name: string): unknown {
    return this.body[name];
  }

  string(name: string): string | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw badParam(name, `'${name}' must be a string, got ${typeName(v)}`, 'invalid_type');
    return v;
  }

  boolean(name: string): boolean | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw badParam(name, `'${name}' must be a boolean, got ${typeName(v)}`, 'invalid_type');
    return v;
  }

  number(name: string, { min = -Infinity, max = Infinity, integer = false } = {}): number | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw badParam(name, `'${name}' must be a number, got ${typeName(v)}`, 'invalid_type');
    if (integer && !Number.isSafeInteger(v)) throw badParam(name, `'${name}' must be an integer, got ${v}`, 'invalid_type');
    if (v < min || v > max) throw badParam(name, `'${name}' must be in [${min}, ${max}], got ${v}`);
    return v;
  }
}

function object(body: unknown): Fields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badParam('body', `the request body must be a JSON object, got ${typeName(body)}`, 'invalid_type');
  }
  return new Fields(body as Json);
}

/** Options this server does not implement: refused, rather than silently ignored. */
function refuseUnsupported(f: Fields, names: Record<string, (v: unknown) => boolean>): void {
  for (const [name, isUsed] of Object.entries(names)) {
    if (f.has(name) && isUsed(f.raw(name))) throw badParam(name, `'${name}' is not supported by this server`, 'unsupported_parameter');
  }
}

function stopStrings(f: Fields): string[] {
  const v = f.raw('stop');
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) throw badParam('stop', `'stop' must be a string or an array of strings, got ${typeName(v)}`, 'invalid_type');
  if (list.length > 16) throw badParam('stop', `'stop' holds at most 16 strings, got ${list.length}`);
  if (list.some((s) => s === '')) throw badParam('stop', "'stop' strings must not be empty");
  return list as string[];
}

function logitBias(f: Fields): Map<number, number> | null {
  const v = f.raw('logit_bias');
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw badParam('logit_bias', `'logit_bias' must be an object of token id → bias, got ${typeName(v)}`, 'invalid_type');
  const out = new Map<number, number>();
  for (const [k, bias] of Object.entries(v as Json)) {
    const id = Number(k);
    if (!/^\d+$/.test(k) || !Number.isSafeInteger(id)) throw badParam('logit_bias', `'logit_bias' keys must be token ids, got ${JSON.stringify(k)}`);
    if (typeof bias !== 'number' || !(bias >= -100 && bias <= 100)) throw badParam('logit_bias', `'logit_bias' values must be numbers in [-100, 100], got ${JSON.stringify(bias)} for ${k}`);
    out.set(id, bias);
  }
  return out.size ? out : null;
}

/** The fields chat and text completions share. `maxN` is the server's slot count. */
function common(f: Fields, maxN: number): ParsedRequest {
  const model = f.string('model');
  if (model === undefined) throw badParam('model', "you must provide a model parameter ('model')", 'missing_required_parameter');
  const maxTokens = f.number('max_completion_tokens', { min: 1, integer: true }) ?? f.number('max_tokens', { min: 1, integer: true }) ?? null;
  const stream = f.boolean('stream') ?? false;
  const options = f.raw('stream_options');
  let includeUsage = false;
  if (options !== undefined && options !== null) {
    if (!stream) throw badParam('stream_options', "'stream_options' is only allowed when 'stream' is true");
    if (typeof options !== 'object' || Array.isArray(options)) throw badParam('stream_options', `'stream_options' must be an object, got ${typeName(options)}`, 'invalid_type');
    const inc = (options as Json).include_usage;
    if (inc !== undefined && inc !== null && typeof inc !== 'boolean') throw badParam('stream_options.include_usage', "'stream_options.include_usage' must be a boolean", 'invalid_type');
    includeUsage = inc === true;
  }
  const params: CompletionParams = {
    ...COMPLETION_DEFAULTS,
    n: f.number('n', { min: 1, max: maxN, integer: true }) ?? 1,
    maxTokens,
    temperature: f.number('temperature', { min: 0, max: 2 }) ?? COMPLETION_DEFAULTS.temperature,
    topP: f.number('top_p', { min: 0, max: 1 }) ?? COMPLETION_DEFAULTS.topP,
    seed: f.number('seed', { integer: true }) ?? null,
    stop: stopStrings(f),
    logitBias: logitBias(f),
    frequencyPenalty: f.number('frequency_penalty', { min: -2, max: 2 }) ?? 0,
    presencePenalty: f.number('presence_penalty', { min: -2, max: 2 }) ?? 0,
  };
  return { model, params, stream, includeUsage };
}

const ROLES = new Map([['system', 'system'], ['developer', 'system'], ['user', 'user'], ['assistant', 'assistant']]);

function messageContent(v: unknown, at: string): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    return v.map((part, k) => {
      const p = part as Json;
      if (typeof part !== 'object' || part === null || p.type !== 'text' || typeof p.text !== 'string') {
        throw badParam(`${at}[${k}]`, `'${at}[${k}]' must be a text part {"type": "text", "text": ...}: only text content is supported`, 'invalid_type');
      }
      return p.text;
    }).join('');
  }
  throw badParam(at, `'${at}' must be a string or an array of text parts, got ${typeName(v)}`, 'invalid_type');
}

/** POST /v1/chat/completions. */
export function parseChatRequest(body: unknown, maxN: number): ChatRequest {
  const f = object(body);
  const raw = f.raw('messages');
  if (raw === undefined || raw === null) throw badParam('messages', "you must provide a 'messages' parameter", 'missing_required_parameter');
  if (!Array.isArray(raw)) throw badParam('messages', `'messages' must be an array, got ${typeName(raw)}`, 'invalid_type');
  if (!raw.length) throw badParam('messages', "'messages' must hold at least one message");
  const messages = raw.map((m: unknown, i): ChatMessage => {
    const at = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw badParam(at, `'${at}' must be an object, got ${typeName(m)}`, 'invalid_type');
    const { role, content } = m as Json;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw badParam(`${at}.role`, `'${at}.role' must be one of system, developer, user, assistant; got ${JSON.stringify(role)}`, 'invalid_value');
    }
    // An assistant turn may carry no content in OpenAI's schema (tool calls only); it is empty text here.
    const text = content === undefined || content === null ? (role === 'assistant' ? '' : undefined) : messageContent(content, `${at}.content`);
    if (text === undefined) throw badParam(`${at}.content`, `'${at}.content' is required`, 'missing_required_parameter');
    return { role: ROLES.get(role)!, content: text };
  });
  refuseUnsupported(f, {
    logprobs: (v) => v === true, top_logprobs: () => true, tools: (v) => !Array.isArray(v) || v.length > 0,
    functions: (v) => !Array.isArray(v) || v.length > 0, audio: () => true,
    response_format: (v) => typeof v !== 'object' || (v as Json).type !== 'text',
  });
  return { ...common(f, maxN), messages };
}

/** POST /v1/completions. */
export function parseCompletionRequest(body: unknown, maxN: number): CompletionRequest {
  const f = object(body);
  const raw = f.raw('prompt');
  if (raw === undefined || raw === null) throw badParam('prompt', "you must provide a 'prompt' parameter", 'missing_required_parameter');
  const prompts = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(prompts) || !prompts.length || prompts.some((p) => typeof p !== 'string')) {
    throw badParam('prompt', `'prompt' must be a string or a non-empty array of strings (token-id prompts are not supported), got ${typeName(raw)}`, 'invalid_type');
  }
  refuseUnsupported(f, { echo: (v) => v === true, suffix: () => true, logprobs: (v) => v !== 0 && v !== false, best_of: (v) => v !== 1 && v !== f.raw('n') });
  return { ...common(f, maxN), prompts: prompts as string[] };
}
