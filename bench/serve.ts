// Serving throughput with continuous batching: `rlhf serve` runs in a child process, and 1, 4 or
// 16 clients each send two streamed chat requests in a row, 128 new tokens each. The clients are
// plain fetch readers that split the event stream and parse only the usage chunk, so the figures
// are the server's: the machine's cores are not spent on client-side parsing (the `openai` client
// against the same server is tested in test/serve/).
// The model has the pipeline's default shape (PIPELINE_DEFAULTS.pretrain.model: LLaMA, 2 layers,
// hidden 256, 4 heads, FFN 688, the model `npm start` trains) with random weights, which do not
// change speed, and a 4096-token byte-level BPE trained here on 100 Brown documents (the
// pipeline's vocabulary size). The end-of-turn tokens get a logit bias of −100, so every reply is
// exactly 128 tokens long.
// The three levels run in turn, REPS times over, and each level reports its median round, so a
// change in the machine's load falls on all of them alike.
// Keys: serve_tok_s_c1, serve_tok_s_c4, serve_tok_s_c16 (completion tokens of all clients over
// the wall time), serve_ratio_c16_c1 (target ≥ 4), serve_ttft_p50_ms_c16 and serve_ttft_p95_ms_c16
// (request sent → first text chunk, over the 16-client rounds' 96 requests), serve_shape, and the
// server process's CPU time per token (serve_cpu_ms_per_tok_c1, _c16, serve_cpu_ratio_c1_c16),
// which a busy machine does not distort the way it distorts wall time.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from './harness.js';
import { brownDocuments } from '../src/data/brown.js';
import { CausalLM } from '../src/models/index.js';
import { PIPELINE_DEFAULTS } from '../src/pipeline/index.js';
import { CHATML_SPECIAL_TOKENS, DEFAULT_CHAT_TEMPLATE, saveTokenizer, trainBpe } from '../src/tokenizer/index.js';
import { PRETRAIN_DEFAULTS, pretrainModelConfig } from '../src/train/index.js';

export const prefixes = ['serve'];

const NEW_TOKENS = 128, REQUESTS_PER_CLIENT = 2, REPS = 3, LEVELS = [1, 4, 16];
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** A model directory of the pipeline's default shape with a freshly trained tokenizer. */
function makeModel(dir: string): { shape: string; bias: Record<string, number> } {
  const docs: string[] = [];
  for (const d of brownDocuments()) if (docs.push(d.text) === 100) break;
  const tok = trainBpe(docs, {
    vocabSize: PIPELINE_DEFAULTS.tokenizer.vocabSize, specialTokens: ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS],
    config: { eosToken: '<|endoftext|>', chatTemplate: DEFAULT_CHAT_TEMPLATE },
  });
  const cfg = pretrainModelConfig({ ...PRETRAIN_DEFAULTS, model: PIPELINE_DEFAULTS.pretrain.model }, tok.vocabSize, tok.tokenToId('<|endoftext|>')!);
  new CausalLM(cfg, { seed: 1 }).save(dir);
  saveTokenizer(tok, dir);
  const bias: Record<string, number> = {};
  for (const t of ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS]) bias[String(tok.tokenToId(t))] = -100;
  return { shape: `llama ${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, ${cfg.numHeads} heads, ffn ${cfg.intermediateSize}, vocab ${cfg.vocabSize}`, bias };
}

/** Starts `rlhf serve` on a free loopback port; resolves with its base URL. */
function startServer(dir: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--model', `bench=${dir}`, '--port', '0', '--slots', '16'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving at (\S+)\/v1/.exec(out);
      if (m) resolve({ child, base: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`rlhf serve exited with ${code}: ${out}`)));
  });
}

interface Round { tokens: number; ms: number; ttft: number[]; cpuMs: number }

/** The server process's CPU seconds so far (GET /health). */
async function serverCpu(base: string): Promise<number> {
  return ((await (await fetch(`${base}/health`)).json()) as { process: { cpu_s: number } }).process.cpu_s;
}

/** One streamed chat request; resolves with its time to first text and its completion tokens. */
async function request(base: string, content: string, bias: Record<string, number>): Promise<{ ttft: number; tokens: number }> {
  const sent = performance.now();
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'bench', messages: [{ role: 'user', content }], max_tokens: NEW_TOKENS, temperature: 0, logit_bias: bias,
      stream: true, stream_options: { include_usage: true },
    }),
  });
  if (!res.ok || !res.body) throw new Error(`bench serve: HTTP ${res.status} ${await res.text()}`);
  let ttft = -1, tokens = 0, buffer = '';
  for await (const piece of res.body.pipeThrough(new TextDecoderStream())) {
    buffer += piece;
    const events = buffer.split('\n\n');
    buffer = events.pop()!;
    for (const e of events) {
      // Chunks after the role chunk carry text until the finish chunk; the usage chunk comes last.
      if (ttft < 0 && e.includes('"content":"') && !e.includes('"role"')) ttft = performance.now() - sent;
      if (e.includes('"usage"')) tokens = (JSON.parse(e.slice(6)) as { usage: { completion_tokens: number } }).usage.completion_tokens;
    }
  }
  return { ttft, tokens };
}

/** `clients` concurrent clients, each sending REQUESTS_PER_CLIENT streamed requests in a row. */
async function round(base: string, clients: number, bias: Record<string, number>): Promise<Round> {
  const ttft: number[] = [];
  let tokens = 0;
  const cpu0 = await serverCpu(base);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let r = 0; r < REQUESTS_PER_CLIENT; r++) {
      const one = await request(base, `Tell me a story about the number ${c * REQUESTS_PER_CLIENT + r}, please.`, bias);
      ttft.push(one.ttft);
      tokens += one.tokens;
    }
  }));
  const ms = performance.now() - t0;
  return { tokens, ms, ttft, cpuMs: (await serverCpu(base) - cpu0) * 1000 };
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

export async function run(b: Bench): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-bench-serve-'));
  let child: ChildProcess | null = null;
  try {
    const { shape, bias } = makeModel(dir);
    b.record('serve_shape', shape, 'the pipeline default model shape, random weights');
    const server = await startServer(dir);
    child = server.child;
    await round(server.base, 2, bias); // warm-up: JIT, allocations, the cache's pages
    const rates = new Map<number, number[]>(LEVELS.map((c) => [c, []]));
    const cpu = new Map<number, number[]>(LEVELS.map((c) => [c, []]));
    const ttft: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      for (const c of LEVELS) {
        const r = await round(server.base, c, bias);
        if (r.tokens !== c * REQUESTS_PER_CLIENT * NEW_TOKENS) throw new Error(`bench serve: ${r.tokens} tokens for ${c} clients`);
        rates.get(c)!.push((r.tokens / r.ms) * 1000);
        cpu.get(c)!.push(r.cpuMs / r.tokens);
        if (c === 16) ttft.push(...r.ttft);
      }
    }
    const rate = (c: number): number => quantile(rates.get(c)!, 0.5);
    for (const c of LEVELS) {
      b.record(`serve_tok_s_c${c}`, rate(c), `${c} streamed client${c > 1 ? 's' : ''} × ${REQUESTS_PER_CLIENT} requests × ${NEW_TOKENS} tokens, median of ${REPS}`);
    }
    b.record('serve_ratio_c16_c1', rate(16) / rate(1), 'target ≥ 4');
    // CPU time per token does not depend on what else the machine runs: the same ratio, unshared.
    const cpuPerToken = (c: number): number => quantile(cpu.get(c)!, 0.5);
    b.record('serve_cpu_ms_per_tok_c1', cpuPerToken(1), 'server process CPU (all threads) per token, median of rounds');
    b.record('serve_cpu_ms_per_tok_c16', cpuPerToken(16));
    b.record('serve_cpu_ratio_c1_c16', cpuPerToken(1) / cpuPerToken(16), 'CPU per token, 1 client over 16');
    b.record('serve_ttft_p50_ms_c16', quantile(ttft, 0.5), `time to first token, ${ttft.length} requests`);
    b.record('serve_ttft_p95_ms_c16', quantile(ttft, 0.95));
  } finally {
    child?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
