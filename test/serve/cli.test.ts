// The serving commands as a user runs them: `rlhf chat` fed by a pipe (streamed replies, history,
// /reset, a history that outgrows the context) and `rlhf serve` started, queried and stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { encodeChat, type ChatMessage } from '../../src/tokenizer/index.js';
import { endTokenIds } from '../../src/serve/index.js';
import { tinyChatModel, type Fixture } from './helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

async function greedy(fx: Fixture, history: ChatMessage[], maxTokens: number): Promise<string> {
  const prompt = encodeChat(fx.tok, history, { addGenerationPrompt: true }).ids;
  const out = await fx.model.generate([prompt], { maxNewTokens: maxTokens, temperature: 0, stopTokenIds: endTokenIds(fx.tok, fx.model) });
  return fx.tok.decode(out.tokens[0], { skipSpecialTokens: true });
}

test('rlhf chat: streamed replies that keep the history, /reset, and a history trimmed to the context', async () => {
  const fx = tinyChatModel(3);
  try {
    const chat = (input: string, ...flags: string[]): string =>
      execFileSync(process.execPath, [CLI, 'chat', '--model', fx.dir, '--temperature', '0', '--max-tokens', '8', ...flags], { input, encoding: 'utf8' });
    const out = chat('hello there\nwhat is the answer?\n/reset\nhello there\n/quit\nnever read\n');
    const first = await greedy(fx, [{ role: 'user', content: 'hello there' }], 8);
    const second = await greedy(fx, [{ role: 'user', content: 'hello there' }, { role: 'assistant', content: first }, { role: 'user', content: 'what is the answer?' }], 8);
    assert.equal(out, `${first}\n${second}\n(history cleared)\n${first}\n`);

    const system = 'You are terse.';
    const trimmed = chat('the cat sat on the mat\nthe dog sat on the log\na cat and a dog\n', '--context', '48', '--system', system);
    assert.match(trimmed, /\(oldest turns dropped to fit the context\)/);
    assert.throws(() => execFileSync(process.execPath, [CLI, 'chat'], { stdio: 'pipe' }), /--model DIR is required/);
  } finally {
    fx.done();
  }
});

test('rlhf serve: listens on loopback, serves /health and /v1/models, stops on SIGTERM', async () => {
  const fx = tinyChatModel(3);
  const child = spawn(process.execPath, [CLI, 'serve', '--model', `mini=${fx.dir}`, '--port', '0', '--slots', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let stdout = '';
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /serving at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(stdout);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`rlhf serve exited with ${code}: ${stdout}`)));
    });
    assert.match(stdout, /model mini: context 128 tokens, 4 slots/);
    assert.equal(((await (await fetch(`${base}/health`)).json()) as { status: string }).status, 'ok');
    const models = (await (await fetch(`${base}/v1/models`)).json()) as { data: { id: string }[] };
    assert.deepEqual(models.data.map((m) => m.id), ['mini']);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    child.kill();
    fx.done();
  }
  assert.throws(() => execFileSync(process.execPath, [CLI, 'serve'], { stdio: 'pipe' }), /--model DIR is required/);
});
