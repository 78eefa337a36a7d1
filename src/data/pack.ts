// Tokenize and pack: documents stream in, worker threads encode batches of them in parallel, and
// the results are written in input order into token shards (see shards.ts). Workers cannot share a
// tokenizer object, so the encoder is named by an EncoderSpec — a module, an exported factory and
// its arguments — and each worker builds its own.
import { Worker } from 'node:worker_threads';
import { NO_EOS, ShardSetWriter, type ShardHeader } from './shards.js';
import type { Doc } from './stage.js';

export interface Encoder {
  encode(text: string): ArrayLike<number>;
}

/** `(await import(module))[exportName](...args)` must return an Encoder (or a promise of one). */
export interface EncoderSpec {
  /** A file URL or package specifier. */
  module: string;
  exportName: string;
  args: unknown[];
}

export async function loadEncoder(spec: EncoderSpec): Promise<Encoder> {
  const mod = (await import(spec.module)) as Record<string, unknown>;
  const factory = mod[spec.exportName];
  if (typeof factory !== 'function') throw new Error(`encoder: ${spec.module} has no function export "${spec.exportName}"`);
  const enc = (await factory(...spec.args)) as Encoder;
  if (typeof enc?.encode !== 'function') throw new Error(`encoder: ${spec.module}#${spec.exportName}(...) returned no encode()`);
  return enc;
}

export interface PackOptions {
  /** Shards are written as `${prefix}-00000.bin`, … */
  prefix: string;
  vocabSize: number;
  /** Appended after every document; NO_EOS for none. */
  eosId: number;
  /** Most tokens per shard (documents are never split). */
  shardTokens: number;
  /** Worker threads; 0 encodes on the calling thread. */
  workers: number;
  /** Documents per message to a worker. */
  batchDocs?: number;
  onProgress?: (docs: number, tokens: number) => void;
}

export interface PackResult {
  shards: { path: string; header: ShardHeader }[];
  documents: number;
  tokens: number;
  seconds: number;
}

type Encoded = { tokens: Uint32Array; lengths: Uint32Array };

export async function packDocuments(docs: AsyncIterable<Doc> | Iterable<Doc>, spec: EncoderSpec, opts: PackOptions): Promise<PackResult> {
  const t0 = performance.now();
  const out = new ShardSetWriter(opts.prefix, opts.vocabSize, opts.eosId ?? NO_EOS, opts.shardTokens);
  let documents = 0;
  let tokens = 0;
  const write = (r: Encoded): void => {
    let at = 0;
    for (const len of r.lengths) {
      out.addDocument(r.tokens.subarray(at, at + len));
      at += len;
      documents++;
      tokens += len;
    }
    opts.onProgress?.(documents, tokens);
  };
  const batchDocs = opts.batchDocs ?? 64;
  try {
    if (opts.workers <= 0) {
      const enc = await loadEncoder(spec);
      for await (const batch of batches(docs, batchDocs)) write(encodeBatch(enc, batch));
    } else {
      await encodeInWorkers(docs, spec, opts.workers, batchDocs, write);
    }
  } finally {
    out.close();
  }
  return { shards: out.written, documents, tokens, seconds: (performance.now() - t0) / 1000 };
}

function encodeBatch(enc: Encoder, texts: string[]): Encoded {
  const parts = texts.map((t) => enc.encode(t));
  const lengths = Uint32Array.from(parts, (p) => p.length);
  const tokens = new Uint32Array(lengths.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const p of parts) {
    tokens.set(p, at);
    at += p.length;
  }
  return { tokens, lengths };
}

async function* batches(docs: AsyncIterable<Doc> | Iterable<Doc>, n: number): AsyncGenerator<string[]> {
  let batch: string[] = [];
  for await (const d of docs) {
    batch.push(d.text);
    if (batch.length === n) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** Round-robin batches over the workers, at most two in flight per worker; results are written in
 * submission order whatever order they finish in. */
async function encodeInWorkers(docs: AsyncIterable<Doc> | Iterable<Doc>, spec: EncoderSpec, nWorkers: number, batchDocs: number, write: (r: Encoded) => void): Promise<void> {
  const workers = Array.from({ length: nWorkers }, () => new Worker(new URL('./pack-worker.js', import.meta.url), { workerData: spec }));
  const done = new Map<number, Encoded>();
  const waiting = new Map<number, () => void>();
  let failure: Error | null = null;
  const fail = (e: Error): void => {
    failure ??= e;
    for (const wake of waiting.values()) wake();
  };
  for (const w of workers) {
    w.on('message', (m: { id: number } & Encoded) => {
      done.set(m.id, m);
      waiting.get(m.id)?.();
    });
    w.on('error', fail);
    w.on('exit', (code) => code !== 0 && fail(new Error(`pack worker exited with code ${code}`)));
  }
  const result = (id: number): Promise<Encoded> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (failure) return reject(failure);
        const r = done.get(id);
        if (!r) return void waiting.set(id, check);
        done.delete(id);
        waiting.delete(id);
        resolve(r);
      };
      check();
    });
  let sent = 0;
  let written = 0;
  try {
    for await (const batch of batches(docs, batchDocs)) {
      workers[sent % nWorkers].postMessage({ id: sent, texts: batch });
      sent++;
      while (sent - written >= 2 * nWorkers) write(await result(written++));
    }
    while (written < sent) write(await result(written++));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
