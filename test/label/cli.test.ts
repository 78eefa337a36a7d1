// `rlhf label` as a user runs it: accounts with the password on stdin, a task set sampled from a
// model (reproducible from its seed) or imported from a file, status, and exports that `rlhf reward`
// and `rlhf kto` train on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkLogin, nextTask, openLabelDb, SAMPLE_DEFAULTS, sampleResponses, setChatLabel, submitRanking } from '../../src/label/index.js';
import { tempDir } from './helpers.js';
import { tinyChatModel } from './model.js';

function rlhf(args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], { input, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('rlhf label: users, import by sampling and from a file, status, export, then rlhf reward on the export', async () => {
  const t = tempDir();
  try {
    const db = join(t.dir, 'labels.db');
    const model = tinyChatModel(join(t.dir, 'model'));
    const add = rlhf(['label', 'user', 'add', 'ann', '--role', 'admin', '--db', db], 'correct horse\n');
    assert.equal(add.code, 0, add.err);
    assert.match(add.out, /added admin ann/);
    assert.equal(rlhf(['label', 'user', 'add', 'bob', '--role', 'labeler', '--db', db], 'battery staple\n').code, 0);
    assert.match(rlhf(['label', 'user', 'add', 'cy', '--role', 'labeler', '--db', db], 'short\n').err, /at least 8 characters/);
    assert.match(rlhf(['label', 'user', 'list', '--db', db]).out, /ann\s+admin[\s\S]*bob\s+labeler/);

    const prompts = join(t.dir, 'prompts.jsonl');
    const promptList = ['What is 2 + 3?', [{ role: 'user' as const, content: 'Say hello to the labelers' }]];
    writeFileSync(prompts, promptList.map((prompt) => JSON.stringify({ prompt })).join('\n') + '\n');
    const sample = (name: string, seed: number) => rlhf(['label', 'import', '--db', db, '--prompts', prompts, '--model', model, '--k', '3', '--max-new-tokens', '6', '--seed', String(seed), '--per-prompt', '2', '--name', name]);
    const imported = sample('first', 5);
    assert.equal(imported.code, 0, imported.err);
    assert.match(imported.out, /task set first: 2 prompts × 3 responses sampled from .* 2 labeler\(s\) each/);
    const taken = sample('first', 5);
    assert.match(taken.err, /a task set named "first" already exists/);
    assert.doesNotMatch(taken.out + taken.err, /sampl/, 'refused before sampling');

    const store = openLabelDb(db);
    const responses = (set: string) => (store.prepare(`SELECT r.content FROM responses r JOIN tasks t ON t.id = r.task_id JOIN task_sets s ON s.id = t.set_id
      WHERE s.name = ? ORDER BY r.id`).all(set) as { content: string }[]).map((r) => JSON.parse(r.content) as string);
    assert.equal(responses('first').length, 6);
    assert.ok(responses('first').every((r) => typeof r === 'string' && r.trim().length > 0), 'no empty response');
    const again = async (seed: number) => (await sampleResponses(model, promptList, { ...SAMPLE_DEFAULTS, k: 3, maxNewTokens: 6, seed })).tasks.flatMap((x) => x.responses);
    assert.deepEqual(await again(5), responses('first'), 'the same seed samples the same responses');
    assert.notDeepEqual(await again(6), responses('first'), 'another seed samples others');
    const config = JSON.parse((store.prepare("SELECT config FROM task_sets WHERE name = 'first'").get() as { config: string }).config);
    assert.deepEqual(config, { prompts, model, k: 3, temperature: 1, topP: 1, maxNewTokens: 6, seed: 5, limit: 0 });

    const given = join(t.dir, 'given.jsonl');
    writeFileSync(given, JSON.stringify({ prompt: 'Pick one', responses: ['this', 'that'], ranking: [1, 0] }) + '\n' + JSON.stringify({ prompt: 'Bad', responses: ['only one'] }) + '\n');
    assert.match(rlhf(['label', 'import', '--db', db, '--responses', given]).err, /given\.jsonl:2: responses must be a list of at least 2/);
    writeFileSync(given, JSON.stringify({ prompt: 'Pick one', responses: ['this', 'that'], ranking: [1, 0] }) + '\n');
    assert.match(rlhf(['label', 'import', '--db', db, '--responses', given]).out, /task set given: 1 prompts from/);

    // Two labelers rank the first set; bob ties two responses; ann rates a chat reply.
    const ann = (await checkLogin(store, 'ann', 'correct horse'))!, bob = (await checkLogin(store, 'bob', 'battery staple'))!;
    for (const u of [ann, bob]) {
      for (;;) {
        const task = nextTask(store, u.id, 60_000).task;
        if (!task || task.set !== 'first') break;
        const ids = task.responses.map((r) => r.id).sort((a, b) => a - b);
        const groups = u === bob ? [[ids[0], ids[1]], [ids[2]]] : [[ids[2]], [ids[0]], [ids[1]]];
        assert.equal(submitRanking(store, u.id, task.id, { groups, flags: {} }), 'stored');
      }
    }
    setChatLabel(store, ann.id, { key: 'k1', model: 'tiny', prompt: [{ role: 'user', content: 'Hi' }], completion: 'Hello', label: true });
    setChatLabel(store, bob.id, { key: 'k2', model: 'tiny', prompt: [{ role: 'user', content: 'Hi' }], completion: 'Go away.', label: false });
    store.close();

    const status = rlhf(['label', 'status', '--db', db]);
    assert.match(status.out, /task set first: 4\/4 rankings, 2\/2 prompts complete/);
    // ann [2, 0, 1] against bob [[0, 1], 2] on each prompt: pairs (0,1) tied by bob, (0,2) and (1,2)
    // discordant: τ_b = −2 / √(3 · 2).
    assert.match(status.out, new RegExp(`mean Kendall tau-b ${(-2 / Math.sqrt(6)).toFixed(3)} over 2 comparisons`));

    const out = join(t.dir, 'rankings.jsonl'), kto = join(t.dir, 'kto.jsonl');
    const exported = rlhf(['label', 'export', '--db', db, '--out', out, '--kto', kto, '--set', 'first']);
    assert.equal(exported.code, 0, exported.err);
    assert.match(exported.out, /rankings\.jsonl: 4 rankings \(2 with ties\)/);
    assert.match(exported.out, /kto\.jsonl: 2 chat ratings \(1 good, 1 bad\)/);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.labeler, l.ranking, l.ties]), [['ann', [2, 0, 1], undefined], ['bob', [0, 1, 2], [[0, 1]]], ['ann', [2, 0, 1], undefined], ['bob', [0, 1, 2], [[0, 1]]]]);
    assert.deepEqual(JSON.parse(readFileSync(kto, 'utf8').split('\n')[0]), { prompt: [{ role: 'user', content: 'Hi' }], completion: [{ role: 'assistant', content: 'Hello' }], label: true });
    assert.match(rlhf(['label', 'export', '--db', db]).err, /give --out FILE/);

    const rm = join(t.dir, 'rm');
    const reward = rlhf(['reward', '--model', model, '--data.train', out, '--train.steps', '2', '--train.batchSize', '2', '--train.warmupSteps', '0', '--out', rm, '--quiet']);
    assert.equal(reward.code, 0, reward.err);
    assert.ok(existsSync(join(rm, 'model', 'config.json')), 'a reward model was saved');
    const ktoRun = join(t.dir, 'kto');
    const trained = rlhf(['kto', '--model', model, '--data.train', kto, '--train.steps', '2', '--train.batchSize', '2', '--out', ktoRun, '--quiet']);
    assert.equal(trained.code, 0, trained.err);
    assert.match(trained.out, /desirable \/ undesirable \(dropped\)\s+1 \/ 1 \(0\)/);
  } finally {
    t.done();
  }
});
