// GGUF export checked by llama.cpp itself: node-llama-cpp (prebuilt CPU binaries from npm, no
// download or build at run time) loads the exported tiny model and its greedy continuation equals
// ours token for token, for LLaMA (F32, F16, and Q8_0 against our int8 decoding), Qwen2, Mixtral,
// GPT-2 and LLaMA with linear, YaRN and llama3 RoPE scaling. The models first memorise a sequence
// for a few steps, so every greedy choice wins by a wide margin and F16's rounding of llama.cpp's
// activations cannot flip a near-tie. A scaled model's sequence is only recalled with its scaling
// (without it, our own greedy tokens differ), so llama.cpp's agreement shows it applies the same
// frequencies. Then a model as the pipeline makes one (its BPE tokenizer with single digits and
// ChatML) exported with its tokenizer: llama.cpp splits held-out Brown text into our ids and
// continues a text prompt as we do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { brownDocuments } from '../../src/data/brown.js';
import { CHATML_SPECIAL_TOKENS, DEFAULT_CHAT_TEMPLATE, DIGITS_PATTERN, saveTokenizer, trainBpe } from '../../src/tokenizer/index.js';
import { join } from 'node:path';
import { noGrad, Rng } from '../../src/engine/index.js';
import { AdamW } from '../../src/nn/index.js';
import { CausalLM, exportGguf, ggufUnsupported, nextTokenLoss, ropeScaling, type GgufDtype, type ModelConfig } from '../../src/models/index.js';
import { f16ToF32, f32ToF16 } from '../../src/models/dtypes.js';
import { tempDir, tinyConfig } from './helpers.js';

import type { Token } from 'node-llama-cpp';

type NodeLlama = typeof import('node-llama-cpp');
let nodeLlama: NodeLlama | null = null;
let skip: string | false = false;
try {
  nodeLlama = await import('node-llama-cpp');
} catch (e) {
  skip = `node-llama-cpp is not installed (a devDependency): ${(e as Error).message}`;
}

/** GPT-2's byte ↔ printable-character map, for a byte-level tokenizer.json. */
function byteTokens(): string[] {
  const printable = [...Array(256).keys()].filter((b) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174);
  let extra = 0;
  return [...Array(256).keys()].map((b) => String.fromCodePoint(printable.includes(b) ? b : 256 + extra++));
}

/** A byte-level BPE tokenizer.json with a few merges and two special tokens: 263 tokens. */
function tokenizerJson(): object {
  const vocab: Record<string, number> = {};
  byteTokens().forEach((t, b) => { vocab[t] = b; });
  const merges = ['Ġ t', 'h e', 'Ġt he', 'i n', 'a n'];
  merges.forEach((m, i) => { vocab[m.replace(' ', '')] = 256 + i; });
  return {
    version: '1.0', model: { type: 'BPE', vocab, merges },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    added_tokens: [{ id: 261, content: '<|bos|>', special: true }, { id: 262, content: '<|eos|>', special: true }],
  };
}

const shape = { vocabSize: 263, hiddenSize: 64, numHeads: 4, numKvHeads: 2, headDim: 16, intermediateSize: 96, maxPositions: 128, bosTokenId: 261, eosTokenId: 262 };
const sequence = [72, 101, 108, 108, 111, 44, 32, 256, 258, 7, 199, 34, 256, 12, 90, 91, 200, 3, 101, 77, 45, 260, 18, 118, 5];
const prompt = sequence.slice(0, 9);

/** A tiny model trained to continue `prompt` with the rest of `seq`. */
function memorised(cfg: ModelConfig, seq = sequence, steps = 120, lr = 1e-2): CausalLM {
  const model = new CausalLM(cfg, { seed: 3 });
  const opt = new AdamW(model.parameters(), { lr, weightDecay: 0 });
  for (let step = 0; step < steps; step++) {
    nextTokenLoss(model.forward([seq]), [seq]).backward();
    opt.update();
    model.zeroGrad();
  }
  return model.eval();
}

/** The smallest top-1/top-2 logit gap over the greedy steps of `tokens` after the prompt. */
function minMargin(model: CausalLM, tokens: number[], start = prompt): number {
  const seq = [...start, ...tokens], V = model.config.vocabSize;
  const logits = noGrad(() => model.forward([seq]));
  let min = Infinity;
  for (let i = start.length - 1; i < seq.length - 1; i++) {
    const row = [...logits.f.subarray(i * V, (i + 1) * V)].sort((a, b) => b - a);
    min = Math.min(min, row[0] - row[1]);
  }
  return min;
}

let llamaCpp: Awaited<ReturnType<NodeLlama['getLlama']>> | null = null;

async function loadLlamaCpp(path: string) {
  llamaCpp ??= await nodeLlama!.getLlama({ gpu: false, build: 'never', logLevel: nodeLlama!.LlamaLogLevel.error });
  return llamaCpp.loadModel({ modelPath: path });
}

/** llama.cpp's greedy continuation of `start` (token ids, or text it tokenizes itself). */
async function llamaCppGreedy(path: string, n: number, start: number[] | string = prompt): Promise<number[]> {
  const model = await loadLlamaCpp(path);
  // One thread: llama.cpp's spinning workers crawl when the machine's two cores are shared.
  const context = await model.createContext({ contextSize: 128, threads: 1 });
  const ids = typeof start === 'string' ? model.tokenize(start) : start;
  const out: number[] = [];
  for await (const t of context.getSequence().evaluate(ids as Token[], { temperature: 0 })) {
    out.push(t);
    if (out.length >= n) break;
  }
  await context.dispose();
  await model.dispose();
  return out;
}

const cases: [string, Partial<ModelConfig>, GgufDtype][] = [
  ['llama F32', {}, 'f32'],
  ['llama F16', {}, 'f16'],
  // Q8_0 holds our int8 weights exactly: llama.cpp's greedy tokens equal our --dtype int8 ones.
  ['llama Q8_0', {}, 'q8_0'],
  ['qwen2 F32', { family: 'qwen2', qkvBias: true, tieEmbeddings: true, ropeTheta: 1e6 }, 'f32'],
  ['mixtral F32', { family: 'mixtral', ffn: 'moe', numExperts: 4, expertsPerToken: 2 }, 'f32'],
  ['gpt2 F32', { family: 'gpt2', numKvHeads: 4, norm: 'layer', ffn: 'gelu', positions: 'learned', qkvBias: true, outBias: true, mlpBias: true, tieEmbeddings: true }, 'f32'],
  ['gpt2 F16, untied', { family: 'gpt2', numKvHeads: 4, norm: 'layer', ffn: 'gelu', positions: 'learned', qkvBias: true, outBias: true, mlpBias: true }, 'f16'],
];

for (const [name, options, dtype] of cases) {
  test(`GGUF export runs in llama.cpp with our greedy tokens: ${name}`, { skip }, async () => {
    const model = memorised(tinyConfig({ ...shape, ...options }));
    const tmp = tempDir();
    try {
      model.save(tmp.dir);
      writeFileSync(join(tmp.dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
      const path = join(tmp.dir, 'model.gguf');
      await exportGguf(tmp.dir, path, { dtype });
      // llama.cpp runs the F16 file's rounded matrices: compare with ours rounded the same way.
      if (dtype === 'f16') for (const p of model.parameters()) if (p.ndim === 2) p.f.set(f16ToF32(f32ToF16(p.f)));
      const ours = await model.generate([prompt], { maxNewTokens: 16, temperature: 0, stopTokenIds: [], dtype: dtype === 'q8_0' ? 'int8' : 'f32' });
      assert.deepEqual(ours.tokens[0], sequence.slice(prompt.length), 'the model memorised its sequence');
      assert.ok(minMargin(model, ours.tokens[0]) > 0.5, 'greedy choices win by a wide margin');
      assert.deepEqual(await llamaCppGreedy(path, 16), ours.tokens[0]);
    } finally {
      tmp.done();
    }
  });
}

/** Past the original context of 6, where a factor-4 scaling moves the low frequencies: a random
 * string over three letters, which only the positions of earlier tokens continue. */
const letters = new Rng(5);
const longSequence = [261, ...Array.from({ length: 39 }, () => [5, 9, 12][letters.int(3)])];

for (const type of ['linear', 'yarn', 'llama3'] as const) {
  test(`GGUF export of RoPE scaling runs in llama.cpp with our greedy tokens: ${type}`, { skip }, async () => {
    const scaling = ropeScaling(type, 4, 6);
    const model = memorised(tinyConfig({ ...shape, ropeScaling: scaling }), longSequence, 300, 3e-3);
    const start = longSequence.slice(0, 16), n = longSequence.length - start.length;
    const ours = await model.generate([start], { maxNewTokens: n, temperature: 0, stopTokenIds: [] });
    assert.deepEqual(ours.tokens[0], longSequence.slice(start.length), 'the model memorised its sequence');
    assert.ok(minMargin(model, ours.tokens[0], start) > 0.5, 'greedy choices win by a wide margin');
    const plain = new CausalLM({ ...model.config, ropeScaling: null });
    const weights = model.namedParameters();
    for (const [name, w] of plain.namedParameters()) w.f.set(weights.get(name)!.f);
    const unscaled = await plain.eval().generate([start], { maxNewTokens: n, temperature: 0, stopTokenIds: [] });
    assert.notDeepEqual(unscaled.tokens[0], ours.tokens[0], 'without the scaling the sequence is not recalled');
    const tmp = tempDir();
    try {
      model.save(tmp.dir);
      writeFileSync(join(tmp.dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
      const path = join(tmp.dir, 'model.gguf');
      await exportGguf(tmp.dir, path);
      assert.deepEqual(await llamaCppGreedy(path, n, start), ours.tokens[0]);
    } finally {
      tmp.done();
    }
  });
}

test('a model as the pipeline makes one: llama.cpp tokenizes held-out text into our ids and continues a text prompt as we do', { skip }, async () => {
  const docs = [...brownDocuments()];
  const tok = trainBpe(docs.filter((_, i) => i % 10 === 0).map((d) => d.text), {
    vocabSize: 1024, pattern: DIGITS_PATTERN, specialTokens: ['<|endoftext|>', ...CHATML_SPECIAL_TOKENS],
    config: { eosToken: '<|endoftext|>', padToken: '<|endoftext|>', chatTemplate: DEFAULT_CHAT_TEMPLATE },
  });
  const text = 'The jury said it did find that 1,234 of the 56 votes in the election were cast in 1962.';
  const ids = tok.encode(text);
  const cut = tok.encode('The jury said it did find').length;
  const model = memorised(tinyConfig({ ...shape, vocabSize: tok.vocabSize, bosTokenId: null, eosTokenId: tok.tokenToId('<|endoftext|>')! }), ids);
  const tmp = tempDir();
  try {
    model.save(tmp.dir);
    saveTokenizer(tok, tmp.dir);
    const path = join(tmp.dir, 'model.gguf');
    await exportGguf(tmp.dir, path);
    const cpp = await loadLlamaCpp(path);
    for (const doc of docs.filter((_, i) => i % 50 === 7)) assert.deepEqual([...cpp.tokenize(doc.text)], tok.encode(doc.text), `${doc.id} tokenized as we do`);
    assert.deepEqual([...cpp.tokenize('<|im_start|>user', true)], tok.encode('<|im_start|>user', { allowedSpecial: 'all' }), 'special tokens');
    const ours = await model.generate([ids.slice(0, cut)], { maxNewTokens: 12, temperature: 0, stopTokenIds: [] });
    assert.deepEqual(ours.tokens[0], ids.slice(cut, cut + 12), 'the model memorised its sentence');
    assert.deepEqual(await llamaCppGreedy(path, 12, 'The jury said it did find'), ours.tokens[0]);
  } finally {
    tmp.done();
  }
});

test('GGUF export names what llama.cpp cannot run', () => {
  assert.match(ggufUnsupported(tinyConfig({ positions: 'alibi' }))!, /alibi/);
  assert.match(ggufUnsupported(tinyConfig({ family: 'gpt2', numKvHeads: 4, norm: 'layer', ffn: 'gelu', positions: 'learned', qkvBias: false }))!, /biases/);
  assert.match(ggufUnsupported(tinyConfig({ ropeScaling: ropeScaling('dynamic', 2, 8) }))!, /dynamic NTK/);
  assert.match(ggufUnsupported(tinyConfig({ ropeScaling: { ...ropeScaling('yarn', 2, 8), betaFast: 16 } as ModelConfig['ropeScaling'] }))!, /YaRN/);
  assert.match(ggufUnsupported(tinyConfig({ family: 'mistral', slidingWindow: 8 }))!, /sliding window/);
  assert.equal(ggufUnsupported(tinyConfig()), null);
});
