// The pages in a real browser: Debian's chromium driven by playwright-core (no browser download).
// Two labelers log in and rank (by dragging, by keys and buttons, with a tie and a flag), a
// response holding <script> and <img onerror> runs nothing, a labeler is refused the admin page,
// the admin sees progress and agreement and downloads the rankings, and the chat streams replies,
// regenerates and stores thumbs. With RLHF_SCREENSHOTS=DIR the chat, ranking and admin pages are
// saved there as PNGs (docs/img/ holds docs/labeling.md's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { agreement } from '../../src/label/agreement.js';
import { ktoRecords, labeledRankings } from '../../src/label/export.js';
import { addTasks, PASSWORD, startServer, tempDir, users, XSS, type TestServer } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = process.env.RLHF_SCREENSHOTS;
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does) to run the browser tests`;

/** A page in a fresh browser context (its own cookies); dialogs and script errors are recorded
 * (a dialog is dismissed). */
async function newPage(browser: Browser, seen: { dialogs: string[]; errors: string[] }): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('dialog', (d) => { seen.dialogs.push(d.message()); void d.dismiss(); });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  return page;
}

async function login(page: Page, base: string, path: string, name: string): Promise<void> {
  await page.goto(base + path);
  await page.waitForURL(/\/login\?next=/);
  await page.fill('#name', name);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(base + path);
}

/** Response ids in the order shown. */
const shown = (page: Page): Promise<number[]> => page.$$eval('#responses .response', (els) => els.map((e) => Number(e.getAttribute('data-id'))));

/** What the XSS payload would set, and how many elements it would have added. */
async function pwned(page: Page, container: string): Promise<{ flag: unknown; imgs: number; scripts: number }> {
  // A string, evaluated in the page (this file is compiled without the DOM's types).
  return page.evaluate(`({ flag: window.__pwned, imgs: document.querySelectorAll('${container} img').length, scripts: document.querySelectorAll('${container} script').length })`);
}

test('browser: log in, rank with drag, keys, a tie and a flag, XSS inert, admin progress and export, chat with thumbs', { skip, timeout: 120_000 }, async () => {
  const t = tempDir();
  let s: TestServer | null = null;
  let browser: Browser | null = null;
  try {
    s = await startServer(join(t.dir, 'labels.db'));
    await users(s.db, { admin: ['ann'], labeler: ['bob', 'cy'] });
    addTasks(s.db, 2);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const seen = { dialogs: [] as string[], errors: [] as string[] };
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });

    // bob ranks prompt 1: drag the last response to the top, select the fourth with "4" and move it
    // up with ArrowUp, tie the second with the first ("2", then "t"), flag the last as untruthful,
    // and send with Ctrl+Enter. (Shown A "42", B "41", C "forty-something", D "17 + 25 = 42.": the
    // two right answers end level at the top, the wrong one last.)
    const bob = await newPage(browser, seen);
    await login(bob, s.url, '/rank', 'bob');
    await bob.waitForSelector('#responses .response');
    const [a, b, c, d] = await shown(bob);
    const cards = bob.locator('#responses .response');
    await cards.nth(3).dragTo(cards.nth(0), { targetPosition: { x: 40, y: 8 } });
    assert.deepEqual(await shown(bob), [d, a, b, c], 'dragged to the top');
    await bob.keyboard.press('4');
    await bob.keyboard.press('ArrowUp');
    assert.deepEqual(await shown(bob), [d, a, c, b]);
    await bob.keyboard.press('2');
    await bob.keyboard.press('t');
    await bob.locator(`#responses .response[data-id="${b}"] input[name="untruthful"]`).check();
    assert.deepEqual(await bob.$$eval('#responses .place', (els) => els.map((e) => e.textContent)), ['1=', '1=', '3', '4']);
    if (SHOTS) await bob.screenshot({ path: join(SHOTS, 'rank.png'), fullPage: true });
    await bob.keyboard.press('Control+Enter');
    await bob.waitForSelector('#task:not([hidden]) #prompt >> text=Sort these words');
    const stored = s.db.prepare(`SELECT r.response_id AS id, r.rank FROM ranks r JOIN submissions s ON s.id = r.submission_id
      WHERE s.user_id = (SELECT id FROM users WHERE name = 'bob') ORDER BY r.response_id`).all();
    assert.deepEqual(stored, [{ id: a, rank: 0 }, { id: b, rank: 2 }, { id: c, rank: 1 }, { id: d, rank: 0 }].sort((x, y) => x.id - y.id));
    assert.deepEqual(s.db.prepare('SELECT response_id AS id, flag FROM flags').all(), [{ id: b, flag: 'untruthful' }]);

    // Prompt 2 with the buttons: move the first response down, submit by clicking.
    const [p, q, r] = await shown(bob);
    await bob.locator(`#responses .response[data-id="${p}"] button.down`).click();
    assert.deepEqual(await shown(bob), [q, p, r]);
    await bob.click('#submit');

    // Prompt 3 shows the payload as text and runs none of it.
    await bob.waitForSelector('#prompt >> text=Show me some HTML');
    const texts = await bob.$$eval('#responses .response .text', (els) => els.map((e) => e.textContent));
    assert.ok(texts.includes(XSS), 'the payload is shown verbatim, as text');
    assert.deepEqual(await pwned(bob, '#responses'), { flag: undefined, imgs: 0, scripts: 0 });
    await bob.click('#submit');
    await bob.waitForSelector('#done:not([hidden])');
    assert.equal((await bob.goto(s.url + '/admin'))!.status(), 403);
    assert.match(await bob.textContent('body') ?? '', /This page is for admins/);

    // cy ranks all three with the keyboard only, into the order a careful labeler would choose:
    // each response in turn is selected by its number and climbs with "k" to its place.
    const cy = await newPage(browser, seen);
    await login(cy, s.url, '/rank', 'cy');
    const best = [
      ['17 + 25 = 42.', '42', 'The answer is forty-something.', '41'],
      ['apple fig pear', 'apple pear fig', 'pear fig apple'],
      ['Here is a paragraph: <p>hi</p>', 'No.', XSS],
    ];
    for (let i = 0; i < 3; i++) {
      await cy.waitForSelector(`#progress >> text=Ranked so far: ${i}.`);
      const text = () => cy.$$eval('#responses .response .text', (els) => els.map((e) => e.textContent));
      const order = best[i]; // tasks come in id order
      for (let place = 0; place < order.length; place++) {
        const at = (await text()).indexOf(order[place]);
        await cy.keyboard.press(String(at + 1));
        for (let step = 0; step < at - place; step++) await cy.keyboard.press('k');
      }
      assert.deepEqual(await text(), order);
      await cy.keyboard.press('Control+Enter');
    }
    await cy.waitForSelector('#done:not([hidden])');

    // ann sees the progress and the agreement the database gives, and downloads the rankings.
    const ann = await newPage(browser, seen);
    await login(ann, s.url, '/admin', 'ann');
    await ann.waitForSelector('#sets tbody td');
    assert.match(await ann.textContent('#sets') ?? '', /6 \/ 6 \(100%\)/);
    const expected = agreement(labeledRankings(s.db));
    assert.equal(expected.comparisons, 3);
    assert.ok((await ann.textContent('#agreement'))!.includes(`Mean Kendall τ-b ${expected.tau!.toFixed(3)} over 3 comparisons`));
    assert.match(await ann.textContent('#flags') ?? '', /untruthful 1, harmful 0/);
    const [download] = await Promise.all([ann.waitForEvent('download'), ann.click('text=Download rankings.jsonl')]);
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 6);
    const bobFirst = lines.find((l) => l.labeler === 'bob' && l.task === 1);
    assert.equal(bobFirst.ties?.length, 1, 'the tie is kept in the export');
    assert.equal(bobFirst.flags.flat().join(), 'untruthful');

    // Chat: the model's name, a streamed reply, thumbs up, regenerate, thumbs down, the payload inert.
    await ann.goto(s.url + '/chat');
    await ann.waitForSelector('#model option[value="tiny-chat"]', { state: 'attached' });
    const reply = (n: number) => ann.locator('.msg.assistant').nth(n);
    await ann.fill('#input', 'What is 17 + 25?');
    await ann.keyboard.press('Enter');
    await reply(0).locator('.thumb.up:not([disabled])').waitFor();
    assert.equal(await reply(0).locator('.content').textContent(), '17 + 25 = 42.');
    await reply(0).locator('.thumb.up').click();
    await reply(0).locator('.thumb.up[aria-pressed="true"]').waitFor();
    await reply(0).locator('.regen').click();
    await ann.locator('.msg.assistant .content >> text=(take 2)').waitFor();
    await reply(0).locator('.thumb.down:not([disabled])').click();
    await reply(0).locator('.thumb.down[aria-pressed="true"]').waitFor();
    await ann.fill('#input', 'Sort these words alphabetically: pear apple fig');
    await ann.keyboard.press('Enter');
    await reply(1).locator('.thumb.up:not([disabled])').waitFor();
    await reply(1).locator('.thumb.up').click();
    await reply(1).locator('.thumb.up[aria-pressed="true"]').waitFor();
    if (SHOTS) await ann.screenshot({ path: join(SHOTS, 'chat.png'), fullPage: true });
    await ann.fill('#input', 'show me an xss');
    await ann.keyboard.press('Enter');
    await reply(2).locator('.thumb.down:not([disabled])').waitFor();
    assert.equal(await reply(2).locator('.content').textContent(), `Here: ${XSS}`);
    assert.deepEqual(await pwned(ann, '#messages'), { flag: undefined, imgs: 0, scripts: 0 });
    await reply(2).locator('.thumb.down').click();
    await reply(2).locator('.thumb.down[aria-pressed="true"]').waitFor();
    const kto = ktoRecords(s.db);
    assert.deepEqual(kto.map((k) => [k.completion[0].content, k.label]), [
      ['17 + 25 = 42.', true],
      ['17 + 25 = 42. (take 2)', false],
      ['apple fig pear', true],
      [`Here: ${XSS}`, false],
    ]);
    assert.deepEqual(kto[2].prompt.map((m) => m.role), ['user', 'assistant', 'user'], 'the conversation so far is the prompt');
    if (SHOTS) {
      await ann.goto(s.url + '/admin');
      await ann.waitForSelector('#chat >> text=2 good, 2 bad');
      await ann.screenshot({ path: join(SHOTS, 'admin.png'), fullPage: true });
    }
    assert.deepEqual(seen.dialogs, [], 'no dialog opened');
    assert.deepEqual(seen.errors, [], 'no script error on any page');
  } finally {
    await browser?.close();
    await s?.close();
    t.done();
  }
});
