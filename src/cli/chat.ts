// `rlhf chat`: a terminal chat with a model — streamed replies, the conversation kept as history
// (oldest turns dropped when it outgrows the context), `/reset` to start over. Reads stdin line
// by line, so a piped script of messages works too.
import { createInterface } from 'node:readline';
import { formatHelp, parseArgs, UsageError, type CommandSpec } from './args.js';
import { COMPLETION_DEFAULTS, ServedModel, type Completion } from '../serve/index.js';
import type { ChatMessage } from '../tokenizer/index.js';
import { dtypeFlag } from './generate.js';

const spec: CommandSpec = {
  name: 'rlhf chat',
  summary: 'chat with a model in the terminal (streamed replies, history, /reset)',
  usage: 'rlhf chat --model DIR [--system TEXT] [flags]   (then type; /reset clears the history, /quit ends)',
  flags: {
    model: { type: 'string', help: 'model directory (config.json, weights, tokenizer)' },
    tokenizer: { type: 'string', help: 'tokenizer directory (default: the model directory)' },
    system: { type: 'string', help: 'a system message that starts every conversation' },
    'max-tokens': { type: 'number', help: 'reply length at most, in tokens', default: 256 },
    temperature: { type: 'number', help: '0 = greedy', default: 0.7 },
    'top-p': { type: 'number', help: 'nucleus sampling mass (1 = off)', default: 0.95 },
    seed: { type: 'number', help: 'sampling seed of the first reply (the n-th reply uses seed + n)', default: 0 },
    context: { type: 'number', help: "tokens of history + reply (0 = the model's, at most 4096)", default: 0 },
    dtype: { type: 'string', help: 'weights to run: f32 | bf16 | int8', default: 'f32' },
  },
};

const HELP = '/reset clears the history, /quit (or Ctrl-D) ends; Ctrl-C stops a reply.';

export async function run(argv: string[]): Promise<void> {
  const { flags: f, positional, help } = parseArgs(spec, argv);
  if (help) return void console.log(formatHelp(spec));
  if (!f.model) throw new UsageError('rlhf chat: --model DIR is required');
  if (positional.length) throw new UsageError(`rlhf chat: unexpected argument "${positional[0]}"`);
  const maxTokens = Number(f['max-tokens']), temperature = Number(f.temperature), topP = Number(f['top-p']);
  if (!(Number.isInteger(maxTokens) && maxTokens > 0)) throw new UsageError(`rlhf chat: --max-tokens must be a positive integer, got ${maxTokens}`);
  if (!(temperature >= 0)) throw new UsageError(`rlhf chat: --temperature must be ≥ 0, got ${temperature}`);
  if (!(topP > 0 && topP <= 1)) throw new UsageError(`rlhf chat: --top-p must be in (0, 1], got ${topP}`);
  const context = Number(f.context);
  const served = await ServedModel.load(String(f.model), {
    maxSlots: 1, maxQueue: 0, tokenizer: f.tokenizer as string | undefined, dtype: dtypeFlag(f.dtype, 'rlhf chat'),
    ...(context > 0 ? { contextLength: context } : {}),
  });
  const out = process.stdout, tty = Boolean(process.stdin.isTTY);
  const base: ChatMessage[] = f.system !== undefined ? [{ role: 'system', content: String(f.system) }] : [];
  let history = [...base], turn = 0;
  let current: Completion | null = null;
  if (tty) out.write(`chatting with ${served.id} (context ${served.contextLength} tokens). ${HELP}\n`);
  const rl = createInterface({ input: process.stdin, output: tty ? out : undefined, prompt: '> ', terminal: tty });
  rl.on('SIGINT', () => { if (current) current.cancel(); else rl.close(); });
  if (tty) rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text === '/quit' || text === '/exit') break;
    if (text === '/reset') { history = [...base]; out.write('(history cleared)\n'); }
    else if (text.startsWith('/')) out.write(`unknown command ${text}: ${HELP}\n`);
    else if (text) {
      history.push({ role: 'user', content: text });
      // Drop the oldest turns (never the system message) until history and reply fit the context.
      let prompt = served.chatPrompt(history), dropped = false;
      while (prompt.length + 1 > served.contextLength && history.length > base.length + 1) {
        history.splice(base.length, 1);
        prompt = served.chatPrompt(history);
        dropped = true;
      }
      if (dropped) out.write('(oldest turns dropped to fit the context)\n');
      if (prompt.length + 1 > served.contextLength) {
        out.write(`(that message is ${prompt.length} tokens; the context holds ${served.contextLength}: send something shorter)\n`);
        history.pop();
      } else {
        current = served.complete(prompt, {
          ...COMPLETION_DEFAULTS, maxTokens: Math.min(maxTokens, served.contextLength - prompt.length), temperature, topP, seed: Number(f.seed) + turn++,
        }, { onText: (_c, t) => out.write(t) });
        const { choices: [reply] } = await current.result;
        current = null;
        out.write(reply.finishReason === 'cancelled' ? ' (stopped)\n' : '\n');
        history.push({ role: 'assistant', content: reply.text });
      }
    }
    if (tty) rl.prompt();
  }
  rl.close();
}
