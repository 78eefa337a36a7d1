// The labeling database without HTTP: schema versions, passwords and sessions, handing out tasks
// to the configured number of labelers, submissions checked and stored once, and the exports read
// back by the trainers' own loaders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  addUser, checkLogin, ktoRecords, nextTask, openLabelDb, rankingRecords, SCHEMA_VERSION, setChatLabel, setPassword, submitRanking,
  SubmitError, toJsonl, verifyPassword, hashPassword, labelConfig, LABEL_DEFAULTS,
} from '../../src/label/index.js';
import { createSession, endSession, sessionUser } from '../../src/label/auth.js';
import { loadDataset } from '../../src/data/formats.js';
import { tiedRankingPairs } from '../../src/rlhf/reward/data.js';
import { rankingFromPlaces } from '../../src/label/export.js';
import { addTasks, tempDir, TASKS } from './helpers.js';

test('schema: created at the current version, reopened unchanged, a newer file refused', () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'l.db');
    const db = openLabelDb(file);
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
    openLabelDb(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(() => openLabelDb(file), /schema version 2 is newer than this rlhf-ts knows \(1\)/);
    assert.throws(() => openLabelDb(join(t.dir, 'missing.db'), { create: false }), /no such labeling database/);
  } finally {
    t.done();
  }
});

test('passwords: scrypt with a per-user salt; a wrong password, a wrong name and a short password fail', async () => {
  const a = await hashPassword('correct horse'), b = await hashPassword('correct horse');
  assert.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.notEqual(a, b, 'salted');
  assert.ok(await verifyPassword('correct horse', a));
  assert.ok(!(await verifyPassword('correct horsf', a)));
  const db = openLabelDb(':memory:');
  await addUser(db, 'ann', 'admin', 'correct horse');
  assert.deepEqual(await checkLogin(db, 'ann', 'correct horse'), { id: 1, name: 'ann', role: 'admin' });
  assert.equal(await checkLogin(db, 'ann', 'wrong password'), null);
  assert.equal(await checkLogin(db, 'nobody', 'correct horse'), null);
  await assert.rejects(addUser(db, 'ann', 'labeler', 'another one'), /already exists/);
  await assert.rejects(addUser(db, 'bo b', 'labeler', 'long enough'), /letters, digits/);
  await assert.rejects(addUser(db, 'bob', 'labeler', 'short'), /at least 8/);
  await assert.rejects(addUser(db, 'bob', 'root' as 'admin', 'long enough'), /role must be one of admin, labeler/);
  assert.ok(!JSON.stringify(db.prepare('SELECT * FROM users').all()).includes('correct horse'), 'no plain password stored');
  db.close();
});

test('sessions: only a hash is stored; logout, expiry and a new password end them', async () => {
  const db = openLabelDb(':memory:');
  const ann = await addUser(db, 'ann', 'admin', 'correct horse');
  const token = createSession(db, ann.id, 7);
  assert.deepEqual(sessionUser(db, token), ann);
  assert.deepEqual(db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE token_hash = ?').get(token), { n: 0 }, 'the cookie itself is not in the file');
  assert.equal(sessionUser(db, token + 'x'), null);
  endSession(db, token);
  assert.equal(sessionUser(db, token), null);
  const old = createSession(db, ann.id, 7);
  db.prepare('UPDATE sessions SET expires_at = ?').run(Date.now() - 1);
  assert.equal(sessionUser(db, old), null, 'expired');
  const live = createSession(db, ann.id, 7);
  await setPassword(db, 'ann', 'new password!');
  assert.equal(sessionUser(db, live), null, 'a new password logs everyone out');
  assert.ok(await checkLogin(db, 'ann', 'new password!'));
  db.close();
});

test('tasks: each prompt goes to per-prompt labelers, reservations expire, a labeler never gets a prompt twice', async () => {
  const db = openLabelDb(':memory:');
  const [a, b, c] = [await addUser(db, 'a', 'labeler', 'password1'), await addUser(db, 'b', 'labeler', 'password1'), await addUser(db, 'c', 'labeler', 'password1')];
  addTasks(db, 2, TASKS.slice(0, 2));
  const hour = 3_600_000;
  const ta = nextTask(db, a.id, hour), tb = nextTask(db, b.id, hour), tc = nextTask(db, c.id, hour);
  assert.equal(ta.task!.id, 1);
  assert.equal(tb.task!.id, 1, 'two labelers share prompt 1');
  assert.equal(tc.task!.id, 2, 'prompt 1 is full with its reservations');
  assert.deepEqual(ta.progress, { done: 0, open: 2 });
  assert.equal(nextTask(db, a.id, hour).task!.id, 1, 'asking again gives the held task');
  // The shuffled order differs per labeler but always holds the task's responses.
  assert.deepEqual(ta.task!.responses.map((r) => r.content).sort(), [...TASKS[0].responses].sort());
  const ids = ta.task!.responses.map((r) => r.id);
  assert.equal(submitRanking(db, a.id, 1, { groups: ids.map((id) => [id]), flags: {} }), 'stored');
  assert.equal(submitRanking(db, a.id, 1, { groups: ids.map((id) => [id]), flags: {} }), 'duplicate');
  assert.equal(nextTask(db, a.id, hour).task!.id, 2, 'then the next prompt with a free slot');
  assert.equal(nextTask(db, c.id, hour).task!.id, 2);
  assert.deepEqual(nextTask(db, c.id, hour).progress, { done: 0, open: 1 });
  // b's reservation on prompt 1 lapses: with a 0 ms reservation a fourth labeler may take it.
  const d = await addUser(db, 'd', 'labeler', 'password1');
  assert.equal(nextTask(db, d.id, hour).task, null, 'prompt 1: a done + b reserved; prompt 2: a and c reserved');
  assert.equal(nextTask(db, d.id, 0).task!.id, 1, 'with b\'s reservation lapsed, d takes prompt 1');
  db.close();
});

test('submissions are checked against the task: every response once, known flags, a task given to you', async () => {
  const db = openLabelDb(':memory:');
  const a = await addUser(db, 'a', 'labeler', 'password1');
  const b = await addUser(db, 'b', 'labeler', 'password1');
  addTasks(db, 1, TASKS.slice(0, 1));
  const ids = nextTask(db, a.id, 60_000).task!.responses.map((r) => r.id).sort((x, y) => x - y);
  const bad = (groups: number[][], flags: Record<string, string[]> = {}, user = a.id, task = 1) => {
    try {
      submitRanking(db, user, task, { groups, flags });
    } catch (e) {
      assert.ok(e instanceof SubmitError);
      return `${e.status} ${e.message}`;
    }
    return 'stored';
  };
  assert.equal(bad([[ids[0]], [ids[1]], [ids[2]]]), '400 rank all 4 responses (got 3)');
  assert.equal(bad([[ids[0], ids[1]], [ids[1]], [ids[2], ids[3]]]), `400 response ${ids[1]} is ranked twice`);
  assert.equal(bad([[ids[0], 999], [ids[1]], [ids[2], ids[3]]]), '400 response 999 is not one of this task\'s responses');
  assert.equal(bad([[ids[0]], [], [ids[1], ids[2], ids[3]]]), '400 group 1 is empty');
  assert.equal(bad([[...ids]], { [ids[0]]: ['rude'] }), '400 unknown flag "rude" (known: untruthful, harmful, off-task)');
  assert.equal(bad([[...ids]], { 999: ['harmful'] }), '400 flags for response 999, which is not one of this task\'s responses');
  assert.equal(bad([[...ids]], {}, b.id), '409 task 1 was not given to you (ask for a task first)');
  assert.equal(bad([[...ids]], {}, a.id, 7), '404 no task 7');
  assert.deepEqual(db.prepare('SELECT COUNT(*) AS n FROM submissions').get(), { n: 0 }, 'nothing stored by a refused submission');
  assert.deepEqual(db.prepare('SELECT COUNT(*) AS n FROM ranks').get(), { n: 0 });
  db.close();
});

test('ranking from places: best first, tied responses grouped in index order, no ties field when strict', () => {
  // Places per response: 0 and 3 share place 1, 2 is best, 1 is last.
  assert.deepEqual(rankingFromPlaces([1, 2, 0, 1]), { ranking: [2, 0, 3, 1], ties: [[0, 3]] });
  assert.deepEqual(rankingFromPlaces([0, 1, 2]), { ranking: [0, 1, 2] });
  assert.deepEqual(rankingFromPlaces([0, 0, 1, 1]), { ranking: [0, 1, 2, 3], ties: [[0, 1], [2, 3]] });
});

test('export: one ranking record per labeler, ties kept, flags by response; the reward loader reads it', async () => {
  const t = tempDir();
  const db = openLabelDb(':memory:');
  try {
    const a = await addUser(db, 'a', 'labeler', 'password1');
    const b = await addUser(db, 'b', 'labeler', 'password1');
    addTasks(db, 2, TASKS.slice(0, 1));
    const byIdx = (user: number) => {
      const rs = nextTask(db, user, 60_000).task!.responses;
      const id = (content: string) => rs.find((r) => r.content === content)!.id;
      return TASKS[0].responses.map((c) => id(c as string));
    };
    const ia = byIdx(a.id), ib = byIdx(b.id);
    // a: "17 + 25 = 42." and "42" level at the top, then "forty-something", then "41" (flagged).
    submitRanking(db, a.id, 1, { groups: [[ia[2], ia[0]], [ia[3]], [ia[1]]], flags: { [ia[1]]: ['untruthful', 'harmful'] } });
    // b: a strict order.
    submitRanking(db, b.id, 1, { groups: [[ib[0]], [ib[2]], [ib[3]], [ib[1]]], flags: {} });
    const records = rankingRecords(db);
    assert.deepEqual(records.map((r) => [r.labeler, r.ranking, r.ties, r.flags]), [
      ['a', [0, 2, 3, 1], [[0, 2]], [[], ['harmful', 'untruthful'], [], []]],
      ['b', [0, 2, 3, 1], undefined, [[], [], [], []]],
    ]);
    assert.equal(records[0].prompt, 'What is 17 + 25?');
    assert.deepEqual(records[0].responses, TASKS[0].responses);
    assert.throws(() => rankingRecords(db, 'nope'), /no task set named "nope"/);
    const file = join(t.dir, 'rankings.jsonl');
    writeFileSync(file, toJsonl(records));
    const back = await loadDataset(file);
    assert.equal(back.format, 'ranking');
    assert.deepEqual(back.records, JSON.parse(JSON.stringify(records)), 'valid ranking records, every field kept');
    // a's tie makes no pair: (0,3), (0,1), (2,3), (2,1), (3,1) are 5 of C(4,2) = 6; b gives all 6.
    const pairs = tiedRankingPairs(records.map((r) => ({ ranking: r.ranking, ties: r.ties ?? [] })));
    assert.equal(pairs.winners.length, 5 + 6);
  } finally {
    db.close();
    t.done();
  }
});

test('chat thumbs: one label per user and reply, changed or taken back, exported in the KTO form', async () => {
  const db = openLabelDb(':memory:');
  const a = await addUser(db, 'a', 'labeler', 'password1');
  const prompt = [{ role: 'user' as const, content: 'Hi' }];
  setChatLabel(db, a.id, { key: 'r1', model: 'm', prompt, completion: 'Hello!', label: true });
  setChatLabel(db, a.id, { key: 'r2', model: 'm', prompt, completion: 'Go away.', label: true });
  setChatLabel(db, a.id, { key: 'r2', model: 'm', prompt, completion: 'Go away.', label: false });
  setChatLabel(db, a.id, { key: 'r3', model: 'm', prompt, completion: 'Hmm', label: true });
  setChatLabel(db, a.id, { key: 'r3', model: 'm', prompt, completion: 'Hmm', label: null });
  const t = tempDir();
  try {
    const file = join(t.dir, 'kto.jsonl');
    writeFileSync(file, toJsonl(ktoRecords(db)));
    assert.equal((await loadDataset(file)).format, 'unpaired', 'the format rlhf kto reads');
  } finally {
    t.done();
  }
  assert.deepEqual(ktoRecords(db), [
    { prompt, completion: [{ role: 'assistant', content: 'Hello!' }], label: true },
    { prompt, completion: [{ role: 'assistant', content: 'Go away.' }], label: false },
  ]);
  db.close();
});

test('app settings: defaults, overrides, and a bad value named', () => {
  assert.deepEqual(labelConfig({ loginMax: 3, sessionDays: undefined }), { ...LABEL_DEFAULTS, loginMax: 3 });
  assert.throws(() => labelConfig({ loginMax: 0 }), /labeling app: loginMax must be an integer ≥ 1, got 0/);
  assert.throws(() => labelConfig({ sessionDays: -1 }), /sessionDays must be positive, got -1/);
});
