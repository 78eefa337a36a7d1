// SFT: targets only on the assistant's tokens (prompt tokens receive no gradient), padding that
// changes nothing, resumable shuffled batches, and a whole `sft` run with exact-match accuracy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../../src/engine/tensor.js';
import { crossEntropy, reshape } from '../../src/engine/ops/index.js';
import { CausalLM, modelConfig } from '../../src/models/index.js';
import { CHATML_SPECIAL_TOKENS, DEFAULT_CHAT_TEMPLATE, saveTokenizer, trainBpe, type Tokenizer } from '../../src/tokenizer/index.js';
import { IGNORE, batchLoss, countTargets, targetWeight } from '../../src/train/lm.js';
import { collate, encodeExample, epochBatches, sftStream } from '../../src/train/sft-data.js';
import { exactMatch } from '../../src/train/accuracy.js';
import { SFT_DEFAULTS } from '../../src/train/config.js';
import { sft } from '../../src/train/sft.js';
import { tmp } from './helpers.js';

const CONVERSATIONS = [
  [{ role: 'user' as const, content: 'What is 2 + 3?' }, { role: 'assistant' as const, content: '5' }],
  [{ role: 'system' as const, content: 'Answer briefly.' }, { role: 'user' as const, content: 'Reverse: cat dog' }, { role: 'assistant' as const, content: 'dog cat' }],
  [{ role: 'user' as const, content: 'Uppercase: sun' }, { role: 'assistant' as const, content: 'SUN' }, { role: 'user' as const, content: 'And moon?' }, { role: 'assistant' as const, content: 'MOON' }],
];

function chatTokenizer(): Tokenizer {
  const texts = CONVERSATIONS.flat().map((m) => m.content).concat(['the cat sat on the mat', 'what is the answer']);
  return trainBpe(texts, { vocabSize: 300, specialTokens: ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS], config: { eosToken: '<|endoftext|>', chatTemplate: DEFAULT_CHAT_TEMPLATE } });
}

test('targets are the assistant tokens and the end-of-turn token; everything else is ignored', () => {
  const tok = chatTokenizer();
  const e = encodeExample(tok, CONVERSATIONS[2], 256)!;
  const trained = [...e.targets].filter((t) => t !== IGNORE);
  assert.equal(tok.decode(trained), 'SUN<|im_end|>MOON<|im_end|>');
  // targets[t] is ids[t + 1] wherever it is trained.
  e.targets.forEach((t, i) => { if (t !== IGNORE && i + 1 < e.ids.length) assert.equal(t, e.ids[i + 1]); });
  assert.equal(encodeExample(tok, CONVERSATIONS[0], 3), null, 'cut before the reply: nothing to learn');
});

test('prompt tokens receive no gradient', () => {
  const tok = chatTokenizer();
  const model = new CausalLM(modelConfig({ vocabSize: tok.vocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 24, maxPositions: 64 }));
  const batch = collate(CONVERSATIONS.map((c) => encodeExample(tok, c, 64)!), 0);
  const logits = model.forward(new Tensor(batch.ids, [batch.B, batch.T]), { attentionMask: batch.mask }).detach().requireGrad();
  const V = logits.shape[2];
  crossEntropy(reshape(logits, [batch.B * batch.T, V]), batch.targets, { ignoreIndex: IGNORE, reduction: 'sum' }).backward();
  const g = logits.grad!.f;
  for (let r = 0; r < batch.B * batch.T; r++) {
    const norm = g.subarray(r * V, (r + 1) * V).reduce((s, x) => s + Math.abs(x), 0);
    if (batch.targets[r] === IGNORE) assert.equal(norm, 0, `row ${r} (prompt or pad) got a gradient`);
    else assert.ok(norm > 0, `assistant row ${r} got no gradient`);
  }
});

test('right padding with an attention mask leaves every example\'s loss unchanged', () => {
  const tok = chatTokenizer();
  const model = new CausalLM(modelConfig({ vocabSize: tok.vocabSize, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 24, maxPositions: 64 }), { seed: 5 });
  const examples = CONVERSATIONS.map((c) => encodeExample(tok, c, 64)!);
  const batch = collate(examples, 7);
  assert.ok(batch.mask, 'ragged lengths need a mask');
  const together = batchLoss(model, batch).sum.item();
  const apart = examples.reduce((s, e) => s + batchLoss(model, collate([e], 7)).sum.item(), 0);
  assert.ok(Math.abs(together - apart) < 1e-4 * Math.abs(apart), `${together} vs ${apart}`);
});

test('conversation averaging: every conversation\'s mean loss counts once, however long its replies', () => {
  const tok = chatTokenizer();
  const model = new CausalLM(modelConfig({ vocabSize: tok.vocabSize, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 24, maxPositions: 64 }), { seed: 2 });
  const examples = CONVERSATIONS.map((c) => encodeExample(tok, c, 64)!);
  const batch = collate(examples, 0, 'conversation');
  assert.ok(Math.abs(targetWeight(batch) - 3) < 1e-6, 'weights sum to one per conversation');
  const perConversation = examples.map((e) => {
    const one = collate([e], 0);
    return batchLoss(model, one).sum.item() / targetWeight(one);
  });
  const mean = perConversation.reduce((a, b) => a + b, 0) / 3;
  assert.ok(Math.abs(batchLoss(model, batch).sum.item() / targetWeight(batch) - mean) < 1e-5);
  const tokenMean = batchLoss(model, batch, undefined, false).sum.item() / countTargets(batch);
  assert.ok(Math.abs(tokenMean - mean) > 1e-4, 'differs from the token mean');
});

test('the SFT stream is a seeded shuffle that resumes from its state, grouped by length or not', () => {
  const examples = Array.from({ length: 7 }, (_, i) => ({ ids: new Int32Array(1 + (i % 4)).fill(i), targets: new Int32Array(1 + (i % 4)).fill(IGNORE) }));
  for (const groupByLength of [false, true]) {
    const a = sftStream(examples, 3, -1, 11, { groupByLength });
    const epoch0 = Array.from({ length: 3 }, () => a.next());
    const state = a.state();
    const rest = Array.from({ length: 4 }, () => [...a.next().ids]);
    const b = sftStream(examples, 3, -1, 11, { groupByLength, state: JSON.parse(JSON.stringify(state)) });
    assert.deepEqual(Array.from({ length: 4 }, () => [...b.next().ids]), rest);
    const seen = epoch0.flatMap((batch) => Array.from({ length: batch.B }, (_, r) => batch.ids[r * batch.T]));
    assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4, 5, 6], 'an epoch visits every example once');
    assert.throws(() => sftStream(examples.slice(1), 3, 0, 11, { state }), /written for 7 examples/);
  }
});

test('grouping by length pads less than plain shuffling', () => {
  const lengths = Array.from({ length: 400 }, (_, i) => 5 + ((i * 37) % 60));
  const padding = (group: boolean): number => epochBatches(lengths, 8, 3, 0, group)
    .reduce((s, b) => s + b.length * Math.max(...[...b].map((i) => lengths[i])) - [...b].reduce((t, i) => t + lengths[i], 0), 0);
  assert.ok(padding(true) < padding(false) / 4, `${padding(true)} vs ${padding(false)}`);
});

test('exact match ignores surrounding space and a final full stop only', () => {
  assert.ok(exactMatch(' 42.\n', '42'));
  assert.ok(!exactMatch('42 apples', '42'));
  assert.ok(!exactMatch('sun', 'Sun'));
});

test('sft end to end: trains on conversations, saves the model with its tokenizer, scores accuracy', async () => {
  const dir = tmp('sft');
  const tok = chatTokenizer();
  const base = join(dir, 'base');
  const model = new CausalLM(modelConfig({ vocabSize: tok.vocabSize, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 48, maxPositions: 64, bosTokenId: null, eosTokenId: tok.tokenToId('<|endoftext|>')! }));
  model.save(base);
  saveTokenizer(tok, base);
  const lines = (xs: unknown[]): string => xs.map((x) => JSON.stringify(x)).join('\n') + '\n';
  writeFileSync(join(dir, 'sft.jsonl'), lines(Array.from({ length: 8 }, (_, i) => ({ messages: CONVERSATIONS[i % 3] }))));
  writeFileSync(join(dir, 'eval.jsonl'), lines([
    { prompt: [{ role: 'user', content: 'What is 2 + 3?' }], gold: { kind: 'instruction', task: 'add', answer: '5' } },
    { prompt: [{ role: 'user', content: 'Finish: the cat' }], gold: { kind: 'continuation' } },
  ]));
  const s = await sft({
    ...structuredClone(SFT_DEFAULTS), out: join(dir, 'run'), model: base,
    data: { train: join(dir, 'sft.jsonl'), val: join(dir, 'sft.jsonl'), maxLen: 64, groupByLength: true, averageLossBy: 'token' },
    train: { ...SFT_DEFAULTS.train, steps: 60, batchSize: 4, lr: 1e-2, warmupSteps: 0, evalEvery: 20, saveEvery: 30, logEvery: 5 },
    accuracy: { file: join(dir, 'eval.jsonl'), limit: 0, maxNewTokens: 4 },
  }, { quiet: true });
  assert.equal(s.examples, 8);
  assert.equal(s.baseAccuracy, 0);
  assert.equal(s.sftAccuracy, 1, 'memorises "5" for the trained prompt');
  assert.ok(s.eval!.loss < 0.4 * Math.log(tok.vocabSize), `held-out loss ${s.eval!.loss} (uniform: ${Math.log(tok.vocabSize)})`);
  const acc = JSON.parse(readFileSync(join(dir, 'run', 'accuracy.json'), 'utf8'));
  assert.equal(acc.sft.samples.length, 1, 'continuation prompts are not scored');
  const gen = JSON.parse(readFileSync(join(dir, 'run', 'model', 'generation_config.json'), 'utf8'));
  assert.ok(gen.eos_token_id.includes(tok.tokenToId('<|im_end|>')), 'generation stops at the end of a turn');
  assert.ok(readFileSync(join(dir, 'run', 'model', 'tokenizer.json')).length > 0);
});
