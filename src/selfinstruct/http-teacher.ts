// An OpenAI-compatible endpoint as the teacher: `rlhf serve`, llama.cpp's server, vLLM or a hosted
// API. POST {base}/completions ({model, prompt, max_tokens, temperature, top_p, stop, seed} →
// choices[0].text) or {base}/chat/completions (one user message → choices[0].message.content).
// Requests run `concurrency` at a time, start no faster than `requestsPerMinute`, and are retried
// with exponential back-off (or the server's Retry-After) on 429, 5xx, time-outs and dropped
// connections; any other error stops the run with the server's message. Node's fetch suffices, so
// the package needs no HTTP client dependency.
import { cutAtStop, type Teacher, type TeacherFormat, type TeacherReply, type TeacherRequest } from './teacher.js';

export interface HttpTeacherOptions {
  /** The API root, e.g. http://127.0.0.1:8080/v1. */
  baseUrl: string;
  /** Model name sent with every request ('' = the first of GET {base}/models). */
  model: string;
  format: TeacherFormat;
  /** Sent as a bearer token when non-empty. */
  apiKey: string;
  concurrency: number;
  /** Attempts after the first. */
  retries: number;
  /** 0 = no limit. */
  requestsPerMinute: number;
  timeoutS: number;
  /** First back-off delay; it doubles with each retry. */
  backoffMs: number;
}

export class TeacherHttpError extends Error {
  constructor(readonly status: number, message: string, readonly retryable: boolean, readonly retryAfterMs: number | null = null) {
    super(message);
    this.name = 'TeacherHttpError';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `tasks` with at most `limit` in flight; results in task order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export class HttpTeacher implements Teacher {
  private nextStart = 0;
  /** Requests sent, including retries, and retries alone (for stats.json). */
  readonly counts = { requests: 0, retries: 0 };

  private constructor(private readonly o: HttpTeacherOptions, private readonly model: string) {}

  get name(): string {
    return `${this.o.baseUrl} (${this.model})`;
  }

  static async connect(o: HttpTeacherOptions): Promise<HttpTeacher> {
    const base = o.baseUrl.replace(/\/+$/, '');
    const t = new HttpTeacher({ ...o, baseUrl: base }, o.model);
    if (o.model) return t;
    const models = await t.withRetries(() => t.call('GET', '/models')) as { data?: { id?: unknown }[] };
    const id = models.data?.[0]?.id;
    if (typeof id !== 'string') throw new Error(`${base}/models lists no model; name one with --teacherModel`);
    return new HttpTeacher({ ...o, baseUrl: base }, id);
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
    this.counts.requests++;
    let res: Response;
    try {
      res = await fetch(this.o.baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.o.timeoutS * 1000) });
    } catch (e) {
      throw new TeacherHttpError(0, `${this.o.baseUrl}${path}: ${(e as Error).message}`, true);
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 300);
      try {
        const j = JSON.parse(text) as { error?: { message?: string } | string };
        detail = typeof j.error === 'string' ? j.error : j.error?.message ?? detail;
      } catch {
        // not JSON: the body itself is the message
      }
      const after = Number(res.headers.get('retry-after'));
      const retryable = res.status === 429 || res.status >= 500;
      throw new TeacherHttpError(res.status, `${this.o.baseUrl}${path}: HTTP ${res.status}: ${detail}`, retryable, Number.isFinite(after) && after >= 0 ? after * 1000 : null);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new TeacherHttpError(res.status, `${this.o.baseUrl}${path}: the reply is not JSON: ${text.slice(0, 120)}`, false);
    }
  }

  private async withRetries<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      // The rate limit spaces request starts evenly: each takes the next free slot.
      if (this.o.requestsPerMinute > 0) {
        const now = Date.now(), slot = Math.max(now, this.nextStart);
        this.nextStart = slot + 60000 / this.o.requestsPerMinute;
        if (slot > now) await sleep(slot - now);
      }
      try {
        return await fn();
      } catch (e) {
        const retryable = e instanceof TeacherHttpError ? e.retryable : false;
        if (!retryable || attempt >= this.o.retries) throw e;
        this.counts.retries++;
        const wait = (e as TeacherHttpError).retryAfterMs ?? this.o.backoffMs * 2 ** attempt;
        await sleep(wait);
      }
    }
  }

  private async one(r: TeacherRequest): Promise<TeacherReply> {
    const common = { model: this.model, max_tokens: r.maxTokens, temperature: r.temperature, top_p: r.topP, seed: r.seed, ...(r.stop.length ? { stop: r.stop.slice(0, 4) } : {}) };
    const chat = this.o.format === 'chat';
    const reply = await this.withRetries(() => this.call('POST', chat ? '/chat/completions' : '/completions', chat
      ? { ...common, messages: [{ role: 'user', content: r.prompt }] }
      : { ...common, prompt: r.prompt })) as { choices?: { text?: unknown; message?: { content?: unknown }; finish_reason?: unknown }[] };
    const c = reply.choices?.[0];
    const text = chat ? c?.message?.content : c?.text;
    if (typeof text !== 'string') throw new Error(`${this.o.baseUrl}: the reply has no choices[0].${chat ? 'message.content' : 'text'}`);
    const cut = cutAtStop(text, r.stop);
    return { text: cut.text, truncated: !cut.stopped && c?.finish_reason === 'length' };
  }

  complete(requests: TeacherRequest[]): Promise<TeacherReply[]> {
    return mapLimit(requests, this.o.concurrency, (r) => this.one(r));
  }
}
