// The reward model reads responses in the form PPO scores them: a finished response ends with the
// end-of-turn token, one cut off at the token limit does not. Sampled rankings record which were
// cut off; the ranking format checks the flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CausalLM, modelConfig } from '../../src/models/index.js';
import { loadDataset } from '../../src/data/formats.js';
import { CHATML_SPECIAL_TOKENS, DEFAULT_CHAT_TEMPLATE, trainBpe } from '../../src/tokenizer/index.js';
import { encodePrompt, endOfTurnId } from '../../src/rlhf/core/prompts.js';
import { loadRankings } from '../../src/rlhf/reward/data.js';
import { rankPolicySamples } from '../../src/rlhf/reward/sampled.js';

const tok = trainBpe(['the cat sat on the mat', 'a good day and a happy dog', 'what is the answer'], {
  vocabSize: 290, specialTokens: ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS], config: { eosToken: '<|endoftext|>', chatTemplate: DEFAULT_CHAT_TEMPLATE },
});

function jsonl(lines: unknown[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rlhf-reward-data-')), 'rankings.jsonl');
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

test('a truncated response is encoded without the end-of-turn token, a finished one with it', async () => {
  const file = jsonl([{ prompt: 'the cat', responses: ['sat on the mat', 'sat on'], ranking: [0, 1], truncated: [false, true] }]);
  const { examples } = await loadRankings(file, tok, 256);
  const eot = endOfTurnId(tok);
  assert.deepEqual(examples[0].responses[0], [...tok.encode('sat on the mat'), eot]);
  assert.deepEqual(examples[0].responses[1], tok.encode('sat on'));
  // Without flags every response is finished.
  const plain = await loadRankings(jsonl([{ prompt: 'the cat', responses: ['a', 'b'], ranking: [1, 0] }]), tok, 256);
  assert.ok(plain.examples[0].responses.every((r) => r[r.length - 1] === eot));
});

test('the ranking format checks the truncated flags', async () => {
  const file = jsonl([{ prompt: 'p', responses: ['a', 'b'], ranking: [0, 1], truncated: [true] }]);
  await assert.rejects(loadDataset(file), /rankings\.jsonl:1: truncated must be a list of 2 booleans \(one per response\), got \[true\]/);
});

test('sampled rankings mark the responses that hit the token limit', async () => {
  const V = tok.vocabSize;
  const policy = new CausalLM(modelConfig({ vocabSize: V, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 64 }), { seed: 3 });
  const prompts = ['the cat', 'a good day', 'what is'].map((t) => ({ ids: encodePrompt(tok, t), messages: [{ role: 'user' as const, content: t }], text: t, gold: { kind: 'continuation' as const } }));
  // A random policy over ~290 tokens almost never emits <|im_end|> within 3 tokens.
  const records = await rankPolicySamples(policy, tok, prompts, { k: 4, maxNewTokens: 3, temperature: 1, seed: 5 });
  assert.ok(records.length > 0);
  for (const r of records) {
    assert.equal(r.truncated?.length, r.responses.length);
    assert.ok(r.truncated!.every((t) => t), 'every 3-token sample was cut off');
  }
  const back = await loadRankings(jsonl(records), tok, 256);
  const eot = endOfTurnId(tok);
  for (const e of back.examples) assert.ok(e.responses.every((x) => x[x.length - 1] !== eot));
});
