// The stage runner: done stages with the same config hash are skipped, an interrupted stage is
// resumed, a changed config reruns that stage and every stage that reads from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStages, type Stage } from '../../src/pipeline/stage.js';

interface P { a: number; b: number; failB: boolean }

function stages(calls: string[]): Stage<P>[] {
  return [
    {
      name: 'first', summary: 'writes a', inputs: [], config: (p) => ({ a: p.a }),
      run: async (ctx, p) => { calls.push(`first${ctx.resume ? ' resumed' : ''}`); writeFileSync(join(ctx.dir, 'a.txt'), String(p.a)); return { a: p.a }; },
    },
    {
      name: 'second', summary: 'reads a', inputs: ['first'], config: (p) => ({ b: p.b }),
      run: async (ctx, p) => {
        calls.push(`second${ctx.resume ? ' resumed' : ''}`);
        writeFileSync(join(ctx.dir, 'partial.txt'), 'x');
        if (p.failB) throw new Error('interrupted');
        const a = Number(readFileSync(join(ctx.dirs.first, 'a.txt'), 'utf8'));
        return { sum: a + p.b, sawFirst: ctx.results.first.a };
      },
    },
  ];
}

test('skip when done with the same hash, resume when interrupted, rerun downstream of a change', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-stages-'));
  const calls: string[] = [];
  const run = (p: P) => runStages(stages(calls), ['first', 'second'], p, dir, { quiet: true });

  await assert.rejects(run({ a: 1, b: 2, failB: true }), /interrupted/);
  assert.deepEqual(calls.splice(0), ['first', 'second']);
  assert.equal(JSON.parse(readFileSync(join(dir, 'second', 'stage.json'), 'utf8')).status, 'running');

  // failB is not part of second's config: the same hash, so it resumes (its folder kept).
  const out = await run({ a: 1, b: 2, failB: false });
  assert.deepEqual(calls.splice(0), ['second resumed']);
  assert.deepEqual(out.map((o) => o.status), ['skipped', 'resumed']);
  assert.deepEqual(out[1].result, { sum: 3, sawFirst: 1 });

  await run({ a: 1, b: 2, failB: false });
  assert.deepEqual(calls.splice(0), [], 'everything done: nothing runs');

  writeFileSync(join(dir, 'second', 'stale.txt'), 'from b = 2');
  await run({ a: 1, b: 5, failB: false });
  assert.deepEqual(calls.splice(0), ['second'], 'only the changed stage');
  assert.ok(!existsSync(join(dir, 'second', 'stale.txt')), 'a rerun starts from an empty folder');

  const again = await run({ a: 7, b: 5, failB: false });
  assert.deepEqual(calls.splice(0), ['first', 'second'], 'a changed input reruns its readers');
  assert.deepEqual(again[1].result, { sum: 12, sawFirst: 7 });
});

test('unknown stages and stages listed before their inputs are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-stages-'));
  const p = { a: 1, b: 1, failB: false };
  await assert.rejects(runStages(stages([]), ['first', 'third'], p, dir, { quiet: true }), /unknown stage "third" \(known: first, second\)/);
  await assert.rejects(runStages(stages([]), ['second'], p, dir, { quiet: true }), /reads first, which must run before it/);
});
