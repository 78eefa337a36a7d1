// The Chinese-LLaMA flow: its instruction data, training only the new embedding rows, perplexity
// per token and per character, and the whole `rlhf chinese` run at toy sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad, Rng } from '../../src/engine/index.js';
import { CausalLM, nextTokenLoss } from '../../src/models/index.js';
import { fromTiktoken } from '../../src/tokenizer/index.js';
import { LOOP_DEFAULTS } from '../../src/train/config.js';
import { CHINESE_FLOW_DEFAULTS, validateChineseFlow } from '../../src/chinese/config.js';
import { textPerplexity } from '../../src/chinese/eval.js';
import { chineseFlow } from '../../src/chinese/flow.js';
import { NewRows, trainNewRows } from '../../src/chinese/new-rows.js';
import { chineseSftData, couplets, makeChineseTask } from '../../src/chinese/tasks.js';
import { tinyConfig } from '../models/helpers.js';
import { tmp } from '../train/helpers.js';

const POEMS = ['床前明月光，疑是地上霜。\n举头望明月，低头思故乡。', '白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。', '春眠不觉晓，处处闻啼鸟。'];

test('couplets and the instruction tasks built on them', () => {
  assert.deepEqual(couplets(POEMS).slice(0, 2), [['床前明月光', '疑是地上霜'], ['举头望明月', '低头思故乡']]);
  const pairs: [string, string][] = [['床前明月光', '疑是地上霜']];
  const rng = new Rng(1);
  const seen = new Map<string, string>();
  for (let i = 0; i < 200; i++) for (const task of ['next_line', 'prev_line', 'count_chars', 'reverse', 'nth_char', 'add'] as const) {
    const it = makeChineseTask(rng, task, pairs);
    seen.set(`${task}:${it.answer}`, it.prompt);
    if (task === 'add') {
      const [x, y] = it.key.split(':').slice(1).map(Number);
      assert.equal(it.answer, String(x + y));
    } else if (task === 'nth_char') assert.equal(it.answer, '床前明月光'[Number(it.key.split(':')[2])]);
  }
  for (const [k, prompt] of [['next_line:疑是地上霜', '床前明月光'], ['prev_line:床前明月光', '疑是地上霜'], ['count_chars:5', '床前明月光'], ['reverse:光月明前床', '床前明月光']]) {
    assert.ok(seen.get(k)?.includes(prompt), k);
  }
  const data = chineseSftData(POEMS, { examples: 300, valExamples: 20, evalPrompts: 30, continuationShare: 0.2, seed: 3 });
  assert.equal(data.train.length, 300);
  const trainPrompts = new Set(data.train.map((r) => r.messages[0].content));
  for (const e of data.eval) assert.ok(!trainPrompts.has(e.prompt[0].content), `held-out prompt ${e.prompt[0].content} is in the training data`);
  assert.ok(data.train.some((r) => r.messages[0].content.startsWith('续写这首诗：')), 'continuations');
});

for (const tied of [false, true]) {
  test(`only the new embedding rows train (${tied ? 'tied' : 'untied'} head), and the forward is unchanged`, () => {
    const model = new CausalLM(tinyConfig({ tieEmbeddings: tied }), { seed: 5 }).train();
    const ids = [[1, 50, 55, 60, 3, 58, 59, 2]];
    const before = new Map([...model.namedParameters()].map(([n, p]) => [n, Float32Array.from(p.f)]));
    const plain = noGrad(() => model.forward(ids)).f.slice();
    const rows = new NewRows(model, 50);
    assert.deepEqual([...noGrad(() => model.forward(ids)).f], [...plain], 'same logits through the new-row tables');
    assert.deepEqual([...rows.parameters().keys()], tied ? ['model.embed_tokens.weight[50:]'] : ['model.embed_tokens.weight[50:]', 'lm_head.weight[50:]']);
    for (let step = 0; step < 3; step++) {
      nextTokenLoss(model.forward(ids), ids).backward();
      for (const p of rows.parameters().values()) { for (let i = 0; i < p.size; i++) p.f[i] -= 0.5 * p.grad!.f[i]; p.grad = null; }
    }
    rows.detach();
    const C = model.config.hiddenSize;
    for (const [name, p] of model.namedParameters()) {
      const old = before.get(name)!;
      if (name === 'model.embed_tokens.weight' || name === 'lm_head.weight') {
        assert.deepEqual([...p.f.subarray(0, 50 * C)], [...old.subarray(0, 50 * C)], `${name}: old rows unchanged`);
        assert.notDeepEqual([...p.f.subarray(50 * C)], [...old.subarray(50 * C)], `${name}: new rows trained`);
      } else assert.deepEqual([...p.f], [...old], `${name} unchanged`);
      assert.ok(p.requiresGrad, `${name} trainable again`);
    }
    assert.notDeepEqual([...noGrad(() => model.forward(ids)).f], [...plain]);
  });
}

test('trainNewRows runs the shared loop and leaves a checkpoint of the whole model', async () => {
  const model = new CausalLM(tinyConfig(), { seed: 5 });
  const rng = new Rng(2);
  const batch = () => ({ ids: Int32Array.from({ length: 32 }, () => rng.int(61)), targets: Int32Array.from({ length: 32 }, () => 40 + rng.int(21)), mask: null, B: 2, T: 16 });
  const dir = tmp('newrows');
  const r = await trainNewRows(model, 40, { runDir: dir, openStream: () => ({ next: batch, state: () => null }), evalBatches: [batch()], config: { ...LOOP_DEFAULTS, steps: 4, batchSize: 2, warmupSteps: 1, evalEvery: 0, saveEvery: 0, logEvery: 2 } }, true);
  assert.equal(r.steps, 4);
  assert.ok(existsSync(join(dir, 'checkpoints')) && r.checkpoint !== '');
});

test('perplexity per token and per character', () => {
  const tok = fromTiktoken('gpt2');
  const model = new CausalLM(tinyConfig({ vocabSize: tok.vocabSize, maxPositions: 128 }), { seed: 1 });
  const text = 'Hello there, general Kenobi.';
  const ids = [50256, ...tok.encode(text)];
  const want = noGrad(() => nextTokenLoss(model.forward([ids]), [ids])).item();
  const r = textPerplexity(model, tok, [text], { seqLen: 64, startId: 50256 });
  assert.equal(r.tokens, ids.length - 1);
  assert.equal(r.chars, text.length);
  assert.ok(Math.abs(r.loss - want) < 1e-5);
  assert.ok(Math.abs(Math.log(r.pplChar) - (want * r.tokens) / r.chars) < 1e-5);
  // Windows of 4 targets score the same tokens.
  assert.equal(textPerplexity(model, tok, [text], { seqLen: 4, startId: 50256 }).tokens, r.tokens);
});

test('rlhf chinese end to end at toy sizes: every stage, and the report card', async () => {
  const out = join(tmp('chinese'), 'run');
  const d = CHINESE_FLOW_DEFAULTS;
  const cfg = {
    ...structuredClone(d), out, seqLen: 32,
    english: { ...d.english, vocabSize: 300, hiddenSize: 32, numHeads: 2, intermediateSize: 64, steps: 4, batchSize: 4 },
    merge: { vocabSize: 400, trainFiles: 1, heldOutFiles: 1 },
    embed: { steps: 3, batchSize: 4, lr: 3e-3 }, continued: { steps: 3, batchSize: 4, lr: 1e-3, englishShare: 0.3 },
    sft: { ...d.sft, examples: 40, valExamples: 8, evalPrompts: 6, steps: 3, batchSize: 4, maxLen: 48 },
    eval: { poems: 8, englishDocs: 1 },
  };
  validateChineseFlow(cfg);
  const r = await chineseFlow(cfg, { quiet: true });
  assert.ok(r.vocabulary.merged > r.vocabulary.base && r.vocabulary.tokensPerHanAfter < r.vocabulary.tokensPerHanBefore);
  for (const k of ['base', 'embed', 'continued', 'sft']) assert.ok(Number.isFinite(r.stages[k].chinese.pplChar) && Number.isFinite(r.stages[k].english.pplToken), k);
  assert.ok(r.stages.embed.chinese.tokensPerChar < r.stages.base.chinese.tokensPerChar, 'the merged tokenizer is used after the merge');
  assert.equal(r.accuracy.after.total, 6);
  for (const f of ['report/report.md', 'report/report.json', 'flow_config.json', 'sft/model/config.json', 'data/eval.jsonl', 'data/zh-en-train.bin', 'tokenizer/tokenizer.json']) assert.ok(existsSync(join(out, f)), f);
  assert.match(readFileSync(join(out, 'report/report.md'), 'utf8'), /Tokens per Chinese character/);
  await assert.rejects(chineseFlow(cfg, { quiet: true }), /not empty/);
});
