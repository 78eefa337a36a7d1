// Continuous batching: sequences that join mid-stream, leave on finish or cancellation, and share
// steps decode exactly the tokens generate() gives each alone (greedy and seeded sampling), for
// every attention variant the batched cache must get right (RoPE, ALiBi, sliding window, learned
// positions, prefix-LM, GQA/MQA, MoE); and the queue refuses work beyond its bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CausalLM } from '../../src/models/index.js';
import { QueueFullError, SAMPLING_DEFAULTS, Scheduler, type FinishReason, type SamplingParams, type SchedulerOptions } from '../../src/serve/scheduler.js';
import { COMBOS, sharpModel, tinyConfig } from '../models/helpers.js';

interface Run {
  tokens: number[][];
  reasons: FinishReason[];
  counts: number[];
  done: Promise<void>;
  cancel(): void;
}

/** Submits a request and collects what the scheduler reports; `onToken` sees each token first. */
function submit(s: Scheduler, prompt: number[], params: Partial<SamplingParams>, n = 1, onToken?: (choice: number, token: number) => boolean | void): Run {
  const run = { tokens: Array.from({ length: n }, () => [] as number[]), reasons: [] as FinishReason[], counts: [] as number[] };
  const h = s.submit({
    prompt, n, params: { ...SAMPLING_DEFAULTS, ...params },
    onToken: (c, t) => { run.tokens[c].push(t); return onToken?.(c, t); },
    onFinish: (c, reason, count) => { run.reasons[c] = reason; run.counts[c] = count; },
    onError: (e) => { throw e; },
  });
  return { ...run, done: h.done, cancel: h.cancel };
}

const alone = async (model: CausalLM, prompt: number[], maxNewTokens: number, temperature = 0, seed = 0): Promise<number[]> =>
  (await model.generate([prompt], { maxNewTokens, temperature, seed, stopTokenIds: [] })).tokens[0];

/** Resolves once `run` has at least k tokens in choice 0. */
async function until(run: Run, k: number): Promise<void> {
  while (run.tokens[0].length < k) await new Promise((r) => setImmediate(r));
}

const PROMPTS = [[5, 9, 2, 33, 7, 12, 40], [17, 3], [8, 8, 21, 60, 2], [4, 50, 6, 13, 29, 30, 31, 32, 2, 44, 11]];
const VARIANTS = COMBOS.filter(([name]) => !/^llama MHA|^qwen2|sinusoidal/.test(name));

for (const [name, options] of VARIANTS) {
  test(`staggered joins decode what generate() decodes alone: ${name}`, async () => {
    const model = sharpModel(tinyConfig(options), 7);
    // A 40-column context forces the rows to be shifted left while they run.
    const sched = new Scheduler(model, { maxSlots: 3, contextLength: 40 });
    const lens = [24, 9, 17, 27];
    const a = submit(sched, PROMPTS[0], { maxTokens: lens[0] });
    await until(a, 3);
    const b = submit(sched, PROMPTS[1], { maxTokens: lens[1] });
    const c = submit(sched, PROMPTS[2], { maxTokens: lens[2], temperature: 0.9, seed: 5 });
    await until(b, 2);
    const d = submit(sched, PROMPTS[3], { maxTokens: lens[3] }); // queued: all 3 rows busy
    await Promise.all([a.done, b.done, c.done, d.done]);
    const runs = [a, b, c, d];
    for (let i = 0; i < 4; i++) {
      const want = await alone(model, PROMPTS[i], lens[i], i === 2 ? 0.9 : 0, i === 2 ? 5 : 0);
      assert.deepEqual(runs[i].tokens[0], want, `request ${i}`);
      assert.equal(runs[i].reasons[0], 'length');
      assert.equal(runs[i].counts[0], lens[i]);
    }
    assert.ok(sched.stats().realigns > 0, 'the rows were shifted');
    assert.deepEqual({ ...sched.stats(), steps: 0, realigns: 0 }, { running: 0, queued: 0, slots: 3, steps: 0, realigns: 0 });
  });
}

test('a new request joins at the next step while others run, and a finished one frees its row at once', async () => {
  const model = sharpModel(tinyConfig(), 3);
  const sched = new Scheduler(model, { maxSlots: 4 });
  const seen: string[] = [];
  const long = submit(sched, PROMPTS[0], { maxTokens: 30 }, 1, () => { seen.push(`long ${sched.stats().running}`); });
  await until(long, 4);
  const joinedAt = long.tokens[0].length;
  const short = submit(sched, PROMPTS[1], { maxTokens: 3 }, 1, () => { seen.push('short'); });
  await long.done;
  assert.equal(short.reasons[0], 'length');
  // The short request's three tokens came within the next steps of the long one, not after it.
  const firstShort = seen.indexOf('short');
  assert.ok(firstShort >= joinedAt && firstShort <= joinedAt + 1, `short joined at ${firstShort}, long had ${joinedAt}`);
  const afterShort = seen.slice(seen.lastIndexOf('short') + 1);
  assert.ok(afterShort.length > 10 && afterShort.every((e) => e === 'long 1'), 'the finished row left before the next step');
  assert.deepEqual(long.tokens[0], await alone(model, PROMPTS[0], 30));
});

test('cancelling (a closed connection) frees the rows before the next step; the others are unaffected', async () => {
  const model = sharpModel(tinyConfig({ positions: 'alibi' }), 5);
  const sched = new Scheduler(model, { maxSlots: 4 });
  const keep = submit(sched, PROMPTS[2], { maxTokens: 25 });
  const drop = submit(sched, PROMPTS[3], { maxTokens: 25, temperature: 1, seed: 1 }, 2);
  await until(drop, 5);
  assert.equal(sched.stats().running, 3);
  drop.cancel();
  const at = keep.tokens[0].length;
  await until(keep, at + 1);
  assert.equal(sched.stats().running, 1);
  await Promise.all([keep.done, drop.done]);
  assert.deepEqual(drop.reasons, ['cancelled', 'cancelled']);
  assert.ok(drop.tokens[0].length < 25);
  assert.deepEqual(keep.tokens[0], await alone(model, PROMPTS[2], 25));
  // Cancelling a queued request ends it without running it.
  const sched1 = new Scheduler(model, { maxSlots: 1 });
  const first = submit(sched1, PROMPTS[0], { maxTokens: 10 });
  const queued = submit(sched1, PROMPTS[1], { maxTokens: 10 });
  queued.cancel();
  await Promise.all([first.done, queued.done]);
  assert.deepEqual([queued.reasons, queued.tokens[0]], [['cancelled'], []]);
});

test('n choices share one prefill; choice i samples with seed + i; stop ids and onToken stops end a choice', async () => {
  const model = sharpModel(tinyConfig(), 8);
  const sched = new Scheduler(model, { maxSlots: 4 });
  const r = submit(sched, PROMPTS[0], { maxTokens: 12, temperature: 0.8, seed: 40 }, 3);
  await r.done;
  for (let c = 0; c < 3; c++) assert.deepEqual(r.tokens[c], await alone(model, PROMPTS[0], 12, 0.8, 40 + c), `choice ${c}`);
  assert.notDeepEqual(r.tokens[0], r.tokens[1]);

  const free = await alone(model, PROMPTS[1], 10);
  const stopId = free[4];
  const byId = submit(sched, PROMPTS[1], { maxTokens: 10, stopTokenIds: [stopId] });
  const byText = submit(sched, PROMPTS[1], { maxTokens: 10 }, 1, (_c, t) => t === free[2]);
  const firstHit = free.indexOf(free[2]);
  await Promise.all([byId.done, byText.done]);
  const k = free.indexOf(stopId);
  assert.deepEqual(byId.tokens[0], free.slice(0, k), 'the stop id is not passed on');
  assert.deepEqual([byId.reasons[0], byId.counts[0]], ['stop', k + 1]);
  assert.deepEqual([byText.tokens[0], byText.reasons[0]], [free.slice(0, firstHit + 1), 'stop']);
});

test('logit bias and penalties steer sampling', async () => {
  const model = sharpModel(tinyConfig(), 8);
  const sched = new Scheduler(model, { maxSlots: 2 });
  const forced = submit(sched, PROMPTS[0], { maxTokens: 6, logitBias: new Map([[42, 100]]) });
  const varied = submit(sched, PROMPTS[0], { maxTokens: 12, frequencyPenalty: 100 });
  await Promise.all([forced.done, varied.done]);
  assert.deepEqual(forced.tokens[0], [42, 42, 42, 42, 42, 42]);
  assert.equal(new Set(varied.tokens[0]).size, 12, 'a huge frequency penalty never repeats a token');
});

test('the queue is bounded; impossible requests are refused up front', async () => {
  const model = sharpModel(tinyConfig(), 2);
  const opts: Partial<SchedulerOptions> = { maxSlots: 1, maxQueue: 1 };
  const sched = new Scheduler(model, opts);
  const a = submit(sched, PROMPTS[0], { maxTokens: 8 }); // starts
  const b = submit(sched, PROMPTS[1], { maxTokens: 8 }); // waits
  assert.throws(() => submit(sched, PROMPTS[2], { maxTokens: 8 }), QueueFullError);
  assert.throws(() => submit(sched, PROMPTS[2], { maxTokens: 8 }, 2), /n must be an integer in \[1, 1\]/);
  assert.throws(() => submit(sched, PROMPTS[2], { maxTokens: 60 }), /past the context length 64/);
  assert.throws(() => submit(sched, [], { maxTokens: 1 }), /no tokens/);
  await Promise.all([a.done, b.done]);
  assert.equal(b.tokens[0].length, 8);
  // A burst that fits the free rows is not refused while it waits for the loop to start it.
  const wide = new Scheduler(model, { maxSlots: 4, maxQueue: 0 });
  const burst = [0, 1, 2, 3].map((i) => submit(wide, PROMPTS[i], { maxTokens: 2 }));
  assert.throws(() => submit(wide, PROMPTS[0], { maxTokens: 2 }), QueueFullError);
  await Promise.all(burst.map((r) => r.done));
});

test('a failing consumer ends only its own request', async () => {
  const model = sharpModel(tinyConfig(), 2);
  const sched = new Scheduler(model, { maxSlots: 2 });
  let error: Error | null = null;
  const h = sched.submit({
    prompt: PROMPTS[0], n: 1, params: { ...SAMPLING_DEFAULTS, maxTokens: 20 },
    onToken: (_c, _t) => { throw new Error('socket gone'); },
    onFinish: () => assert.fail('no finish after an error'),
    onError: (e) => { error = e; },
  });
  const ok = submit(sched, PROMPTS[1], { maxTokens: 15 });
  await Promise.all([h.done, ok.done]);
  assert.match(String(error), /socket gone/);
  assert.deepEqual(ok.tokens[0], await alone(model, PROMPTS[1], 15));
  assert.equal(sched.stats().running, 0);
});
