// `rlhf serve`: the OpenAI-compatible HTTP server with continuous batching (src/serve/).
import { formatHelp, parseArgs, UsageError, type CommandSpec } from './args.js';
import { createServer, loadModels, SCHEDULER_DEFAULTS, SERVER_DEFAULTS } from '../serve/index.js';
import { dtypeFlag } from './generate.js';

const spec: CommandSpec = {
  name: 'rlhf serve',
  summary: 'serve models over an OpenAI-compatible HTTP API with continuous batching',
  usage: 'rlhf serve --model DIR [--model NAME=DIR ...] [--host 127.0.0.1] [--port 8080] [flags]',
  flags: {
    model: { type: 'string', repeat: true, help: 'model directory (config.json, weights, tokenizer); NAME=DIR names it, else the folder name is its id' },
    host: { type: 'string', help: 'address to listen on (loopback by default; 0.0.0.0 opens it to the network)', default: '127.0.0.1' },
    port: { type: 'number', help: 'port (0 picks a free one)', default: 8080 },
    slots: { type: 'number', help: 'sequences decoded together per model (rows of the batched KV cache)', default: SCHEDULER_DEFAULTS.maxSlots },
    queue: { type: 'number', help: 'requests waiting for a slot per model, at most (429 beyond)', default: SCHEDULER_DEFAULTS.maxQueue },
    context: { type: 'number', help: "tokens per sequence, prompt + reply (0 = the model's, at most 4096)", default: 0 },
    'prefill-budget': { type: 'number', help: 'prompt tokens prefilled between two decode steps, at most', default: SCHEDULER_DEFAULTS.prefillBudget },
    'body-limit': { type: 'number', help: 'largest request body in bytes (413 beyond)', default: SERVER_DEFAULTS.bodyLimit },
    'api-key': { type: 'string', help: 'require "Authorization: Bearer KEY" on /v1 (default: $RLHF_API_KEY, else none)' },
    log: { type: 'boolean', help: 'log every request (JSON lines on stdout)', default: false },
    dtype: { type: 'string', help: 'weights to serve with: f32 | bf16 | int8 (packed once at start; see docs/performance.md)', default: SCHEDULER_DEFAULTS.dtype },
    db: { type: 'string', help: 'a labeling database (rlhf label): also serve the chat page, the ranking app and the admin page (docs/labeling.md)' },
    'secure-cookies': { type: 'boolean', help: "with --db: mark the app's cookies Secure (behind an HTTPS proxy)", default: false },
  },
};

export async function run(argv: string[]): Promise<void> {
  const { flags: f, lists, positional, help } = parseArgs(spec, argv);
  if (help) return void console.log(formatHelp(spec));
  if (positional.length) throw new UsageError(`rlhf serve: unexpected argument "${positional[0]}"`);
  if (!lists.model.length) throw new UsageError('rlhf serve: --model DIR is required');
  const port = Number(f.port);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) throw new UsageError(`rlhf serve: --port must be an integer in [0, 65535], got ${port}`);
  const context = Number(f.context), dtype = dtypeFlag(f.dtype, 'rlhf serve');
  const models = await loadModels(lists.model, {
    maxSlots: Number(f.slots), maxQueue: Number(f.queue), prefillBudget: Number(f['prefill-budget']), dtype,
    ...(context > 0 ? { contextLength: context } : {}),
  });
  // The web app mounts on the same port; its code (and the database driver) loads only when asked
  // for. Its logged-in users need no API key: the chat page calls /v1 with their session.
  const label = f.db === undefined ? null : await import('../label/index.js');
  const db = label ? label.openLabelDb(String(f.db)) : null;
  const app = await createServer({
    models, bodyLimit: Number(f['body-limit']), apiKey: (f['api-key'] as string | undefined) ?? process.env.RLHF_API_KEY ?? null, logger: Boolean(f.log),
    plugins: label && db ? [{ plugin: label.labelApp, opts: { db, secureCookies: Boolean(f['secure-cookies']) } }] : [],
    authorize: label && db ? label.hasLabelSession(db) : null,
  });
  if (db) app.addHook('onClose', async () => void db.close());
  const address = await app.listen({ host: String(f.host), port });
  for (const m of models) {
    const o = m.scheduler.options;
    console.log(`model ${m.id}: context ${o.contextLength} tokens, ${o.maxSlots} slots, queue ${o.maxQueue}, ${o.dtype} weights, KV cache up to ${(m.scheduler.cacheBytes / 2 ** 20).toFixed(0)} MiB`);
  }
  console.log(`serving at ${address}/v1 (health: ${address}/health)`);
  if (f.db !== undefined) console.log(`chat, ranking and admin pages at ${address}/ (labels in ${f.db})`);
  const stop = (): void => { void app.close().then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
