// The web app inside the real server: `rlhf serve --model DIR --db FILE --api-key KEY` with a tiny
// model, driven by chromium. The chat streams a reply from the model (the page's session stands in
// for the API key, which strangers still need) and stores a thumb; a task set sampled by
// `rlhf label import --model` is ranked; the server is killed with SIGKILL mid-session and started
// again: the open page goes on without a new login and nothing acknowledged is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser } from 'playwright-core';
import { openLabelDb } from '../../src/label/db.js';
import { tempDir, PASSWORD } from './helpers.js';
import { tinyChatModel } from './model.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does) to run the browser tests`;
const CLI = 'dist/src/cli/main.js';
const KEY = 'sk-test-key';

function rlhf(args: string[], input?: string): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** `rlhf serve` with the web app on `port` (0: a free one); resolves once it prints where the
 * pages are. */
async function serve(model: string, db: string, port = '0'): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--model', model, '--db', db, '--port', port, '--api-key', KEY], { stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: child.stdout! })) {
    const m = /pages at (http:\/\/[^/]+)\//.exec(line as string);
    if (m) return { child, url: m[1] };
  }
  throw new Error('rlhf serve exited before listening');
}

test('rlhf serve --db: rank a sampled task set and chat with the model in chromium; SIGKILL and restart keep the session', { skip, timeout: 120_000 }, async () => {
  const t = tempDir();
  const db = join(t.dir, 'labels.db');
  let browser: Browser | null = null;
  let server: { child: ChildProcess; url: string } | null = null;
  try {
    const model = tinyChatModel(join(t.dir, 'model'));
    rlhf(['label', 'user', 'add', 'ann', '--role', 'admin', '--db', db], `${PASSWORD}\n`);
    const prompts = join(t.dir, 'prompts.jsonl');
    writeFileSync(prompts, ['What is 2 + 3?', 'Say hello to the labelers', 'Sort these words: pear apple fig'].map((p) => JSON.stringify({ prompt: p })).join('\n') + '\n');
    rlhf(['label', 'import', '--db', db, '--prompts', prompts, '--model', model, '--k', '3', '--max-new-tokens', '8']);
    server = await serve(model, db);
    // Strangers still need the key; the page below needs only its login.
    assert.equal((await fetch(`${server.url}/v1/models`)).status, 401);
    assert.equal((await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).status, 200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(server.url + '/chat');
    await page.fill('#name', 'ann');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(server.url + '/chat');
    await page.waitForSelector('#model option[value="model"]', { state: 'attached' });
    // Greedy, so the tiny model's reply is the same every run (and not empty).
    await page.fill('#temperature', '0');
    await page.fill('#max-tokens', '12');
    await page.fill('#input', 'What is 2 + 3?');
    await page.keyboard.press('Enter');
    const reply = page.locator('.msg.assistant').first();
    await reply.locator('.thumb.up:not([disabled])').waitFor();
    const text = await reply.locator('.content').textContent();
    assert.ok(text && text.length > 0, 'the model streamed a reply');
    await reply.locator('.thumb.up').click();
    await reply.locator('.thumb.up[aria-pressed="true"]').waitFor();

    // One prompt ranked, then the server dies under the open page.
    await page.goto(server.url + '/rank');
    await page.waitForSelector('#progress >> text=Ranked so far: 0.');
    await page.keyboard.press('3');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Control+Enter');
    await page.waitForSelector('#progress >> text=Ranked so far: 1.');
    const killed = once(server.child, 'exit');
    server.child.kill('SIGKILL');
    await killed;
    const port = new URL(server.url).port;
    // The same port, so the page's cookies (bound to the host, not the port) and its CSRF token
    // are the ones the browser already holds.
    server = await serve(model, db, port);
    // Without reloading: the page's token and cookie still work for the next submission.
    await page.keyboard.press('Control+Enter');
    await page.waitForSelector('#progress >> text=Ranked so far: 2.');
    await page.reload();
    await page.waitForSelector('#progress >> text=Ranked so far: 2.');
    assert.match(page.url(), /\/rank$/, 'still logged in after the restart');
    assert.deepEqual(errors, []);

    const exit = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    await exit;
    const store = openLabelDb(db);
    assert.deepEqual(store.prepare('SELECT COUNT(*) AS n FROM submissions').get(), { n: 2 });
    assert.deepEqual(store.prepare('SELECT label FROM chat_labels').all(), [{ label: 1 }]);
    store.close();
    const out = join(t.dir, 'rankings.jsonl');
    assert.match(rlhf(['label', 'export', '--db', db, '--out', out]), /2 rankings/);
  } finally {
    await browser?.close();
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    t.done();
  }
});
