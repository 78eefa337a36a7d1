// `rlhf self-instruct` with the real `rlhf serve` as its teacher, on loopback: the command is
// started as a user would, and the loop talks to it through both API shapes. The served model is a
// tiny random one, so what it writes is noise the filters drop; what is checked is the round trip:
// every request answered, every round journaled, the outputs written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SELF_INSTRUCT_DEFAULTS } from '../../src/selfinstruct/config.js';
import { HttpTeacher } from '../../src/selfinstruct/http-teacher.js';
import { selfInstruct } from '../../src/selfinstruct/loop.js';
import { tmp } from '../train/helpers.js';
import { tinyChatModel } from '../eval/tiny-model.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('self-instruct against rlhf serve on loopback (completions and chat)', async () => {
  const dir = tmp('si-serve');
  const model = tinyChatModel(5, join(dir, 'teacher'), 2048);
  const child = spawn(process.execPath, [CLI, 'serve', '--model', `teacher=${model}`, '--port', '0', '--slots', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let stdout = '';
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /serving at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(stdout);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`rlhf serve exited with ${code}: ${stdout}`)));
    });
    for (const format of ['completion', 'chat'] as const) {
      const teacher = await HttpTeacher.connect({ baseUrl: base, model: '', format, apiKey: '', concurrency: 4, retries: 2, requestsPerMinute: 0, timeoutS: 60, backoffMs: 50 });
      assert.equal(teacher.name, `${base} (teacher)`);
      const out = join(dir, format);
      const cfg = { ...structuredClone(SELF_INSTRUCT_DEFAULTS), out, teacher: base, teacherFormat: format, count: 3, maxRounds: 2, requestsPerRound: 4,
        generation: { maxTokens: 24, temperature: 0.7, topP: 0.5 }, instances: { maxTokens: 16, temperature: 0, topP: 1 } };
      const r = await selfInstruct(cfg, teacher, { quiet: true, teacherCounts: () => teacher.counts });
      assert.equal(r.rounds, 2);
      const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8')) as { teacher: { requests: number; retries: number }; generated: number };
      assert.ok(stats.teacher.requests >= 8, `${stats.teacher.requests} requests`);
      assert.equal(stats.teacher.retries, 0);
      assert.equal(readFileSync(join(out, 'rounds.jsonl'), 'utf8').trim().split('\n').length, 2);
    }
  } finally {
    child.kill();
  }
});
