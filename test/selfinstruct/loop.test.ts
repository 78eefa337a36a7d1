// The Self-Instruct loop with a scripted teacher: the outputs and their formats, the drop reasons,
// the novelty invariant (no two kept instructions at ROUGE-L ≥ 0.7), and resuming — an interrupted
// run continued on the same folder makes exactly what an uninterrupted one makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/formats.js';
import { SELF_INSTRUCT_DEFAULTS, type SelfInstructConfig } from '../../src/selfinstruct/config.js';
import { selfInstruct } from '../../src/selfinstruct/loop.js';
import { rougeLText } from '../../src/selfinstruct/rouge.js';
import type { SelfInstructStats } from '../../src/selfinstruct/stats.js';
import { tmp } from '../train/helpers.js';
import { ScriptedTeacher } from './fake-teacher.js';

const config = (out: string, o: Partial<SelfInstructConfig> = {}): SelfInstructConfig => ({ ...structuredClone(SELF_INSTRUCT_DEFAULTS), out, teacher: 'scripted', count: 30, maxRounds: 40, writeEvery: 2, ...o });
const lines = (file: string): unknown[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('the loop writes Alpaca tasks, SFT conversations, stats and the figure', async () => {
  const out = join(tmp('si'), 'run');
  const r = await selfInstruct(config(out), new ScriptedTeacher(), { quiet: true });
  assert.equal(r.kept, 30);
  const tasks = lines(join(out, 'tasks.jsonl')) as { instruction: string; input: string; output: string }[];
  assert.ok(tasks.length >= 30);
  for (const t of tasks) assert.deepEqual(Object.keys(t), ['instruction', 'input', 'output']);
  const sft = await loadDataset(join(out, 'sft.jsonl'));
  assert.equal(sft.format, 'messages');
  assert.equal(sft.records.length, tasks.length);
  const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8')) as SelfInstructStats;
  assert.equal(stats.kept, 30);
  const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
  assert.equal(stats.generated, stats.kept + dropped, 'every candidate is kept or dropped for a reason');
  assert.ok((stats.dropped.similar ?? 0) > 0 && (stats.dropped.blocklisted ?? 0) > 0, JSON.stringify(stats.dropped));
  assert.equal(stats.rougeHistogram.reduce((s, b) => s + b.count, 0), stats.generated - (stats.dropped.blocklisted ?? 0) - (stats.dropped.duplicate ?? 0) - (stats.dropped.too_short ?? 0));
  assert.ok(stats.shape.classificationShare > 0, 'Classify tasks got output-first instances');
  assert.ok(stats.diversity.verbs.length > 0);
  assert.match(readFileSync(join(out, 'diversity.svg'), 'utf8'), /^<svg[\s\S]*<\/svg>$/);
  // Novelty: no kept pair reaches the threshold.
  const kept = [...new Set(tasks.map((t) => t.instruction))];
  for (let i = 0; i < kept.length; i++) for (let j = 0; j < i; j++) assert.ok(rougeLText(kept[i], kept[j]) < 0.7, `${kept[i]} ~ ${kept[j]}`);
  // Classification tasks were given output-first instances: the output is a label.
  const cls = tasks.filter((t) => t.instruction.startsWith('Classify'));
  assert.ok(cls.length > 0 && cls.every((t) => t.output === 'positive' || t.output === 'negative'));
});

test('an interrupted run resumes to the same result; a cut-off journal line is dropped', async () => {
  const dir = tmp('si-resume');
  const whole = join(dir, 'whole'), parts = join(dir, 'parts');
  await selfInstruct(config(whole), new ScriptedTeacher(), { quiet: true });
  // The teacher fails in the 4th round's first call: three rounds are in the journal.
  await assert.rejects(selfInstruct(config(parts), new ScriptedTeacher(9), { quiet: true }), /teacher went away/);
  assert.equal(readFileSync(join(parts, 'rounds.jsonl'), 'utf8').trim().split('\n').length, 3);
  appendFileSync(join(parts, 'rounds.jsonl'), '{"round": 3, "candid');
  const r = await selfInstruct(config(parts), new ScriptedTeacher(), { quiet: true });
  assert.equal(r.resumedRounds, 3);
  assert.equal(readFileSync(join(parts, 'tasks.jsonl'), 'utf8'), readFileSync(join(whole, 'tasks.jsonl'), 'utf8'));
  assert.equal(readFileSync(join(parts, 'rounds.jsonl'), 'utf8'), readFileSync(join(whole, 'rounds.jsonl'), 'utf8'));
  // More can be asked of a finished run; other settings cannot change.
  const more = await selfInstruct(config(parts, { count: 35 }), new ScriptedTeacher(), { quiet: true });
  assert.equal(more.kept, 35);
  await assert.rejects(selfInstruct(config(parts, { seed: 9 }), new ScriptedTeacher(), { quiet: true }), /other settings \(seed\)/);
});

test('a teacher that writes nothing usable stops at maxRounds', async () => {
  const out = join(tmp('si-empty'), 'run');
  const silent = { name: 'silent', complete: async (reqs: unknown[]) => reqs.map(() => ({ text: '', truncated: false })) };
  const r = await selfInstruct(config(out, { maxRounds: 3 }), silent, { quiet: true });
  assert.equal(r.kept, 0);
  assert.equal(r.rounds, 3);
  assert.ok(existsSync(join(out, 'stats.json')));
  assert.equal(readFileSync(join(out, 'tasks.jsonl'), 'utf8'), '');
});
