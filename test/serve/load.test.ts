// Load: 64 concurrent streamed chat clients on loopback against 16 slots (the default), every one
// answered in full while the scheduler batches them, and the server healthy and idle afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve, tinyChatModel } from './helpers.js';

test('64 concurrent streamed chat clients are all answered; the server is healthy after', async () => {
  const fx = tinyChatModel(5);
  const srv = await serve({ tiny: fx.dir });
  try {
    const clients = Array.from({ length: 64 }, async (_, i) => {
      const stream = await srv.client.chat.completions.create({
        model: 'tiny', messages: [{ role: 'user', content: `hello ${i}` }], max_tokens: 12, temperature: 0.7, seed: i,
        stream: true, stream_options: { include_usage: true },
      });
      let text = '', finish: string | null = null, tokens = 0;
      for await (const c of stream) {
        text += c.choices[0]?.delta.content ?? '';
        finish = c.choices[0]?.finish_reason ?? finish;
        if (c.usage) tokens = c.usage.completion_tokens;
      }
      return { text, finish, tokens };
    });
    const results = await Promise.all(clients);
    assert.equal(results.length, 64);
    for (const r of results) {
      assert.ok(r.finish === 'stop' || r.finish === 'length', `finished: ${r.finish}`);
      assert.ok(r.tokens >= 1 && r.tokens <= 12);
    }
    assert.ok(results.filter((r) => r.text.length > 0).length > 48, 'replies carry text');
    const health = (await (await fetch(`${srv.base}/health`)).json()) as { status: string; models: { running: number; queued: number; steps: number }[] };
    assert.equal(health.status, 'ok');
    assert.deepEqual([health.models[0].running, health.models[0].queued], [0, 0]);
    // Batched: far fewer decode steps than tokens produced.
    const produced = results.reduce((s, r) => s + r.tokens, 0);
    assert.ok(health.models[0].steps * 4 < produced, `${health.models[0].steps} steps for ${produced} tokens`);
    const after = await srv.client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'still there?' }], max_tokens: 4 });
    assert.equal(after.choices.length, 1);
  } finally {
    await srv.close();
    fx.done();
  }
});
