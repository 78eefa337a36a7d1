// GGUF export checked by llama.cpp itself: node-llama-cpp (prebuilt CPU binaries from npm, no
// download or build at run time) loads the exported tiny model and its greedy continuation equals
// ours token for token, for LLaMA (F32, F16, and Q8_0 against our int8 decoding), Qwen2 and
// Mixtral. The models first memorise a sequence for a few steps, so every greedy choice wins by a
// wide margin and F16's rounding of llama.cpp's activations cannot flip a near-tie.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../../src/engine/index.js';
import { AdamW } from '../../src/nn/index.js';
import { CausalLM, exportGguf, ggufUnsupported, nextTokenLoss, type GgufDtype, type ModelConfig } from '../../src/models/index.js';
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
    added_tokens: [{ id: 261, content: '<|bos|>', special: true }, { id: 262, content: '<|eos|>', special: true }],
  };
}

const shape = { vocabSize: 263, hiddenSize: 64, numHeads: 4, numKvHeads: 2, headDim: 16, intermediateSize: 96, maxPositions: 128, bosTokenId: 261, eosTokenId: 262 };
const sequence = [72, 101, 108, 108, 111, 44, 32, 256, 258, 7, 199, 34, 256, 12, 90, 91, 200, 3, 101, 77, 45, 260, 18, 118, 5];
const prompt = sequence.slice(0, 9);

/** A tiny model trained to continue `prompt` with the rest of `sequence`. */
function memorised(cfg: ModelConfig): CausalLM {
  const model = new CausalLM(cfg, { seed: 3 });
  const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
  for (let step = 0; step < 120; step++) {
    nextTokenLoss(model.forward([sequence]), [sequence]).backward();
    opt.update();
    model.zeroGrad();
  }
  return model.eval();
}

/** The smallest top-1/top-2 logit gap over the greedy steps of `tokens` after the prompt. */
function minMargin(model: CausalLM, tokens: number[]): number {
  const seq = [...prompt, ...tokens], V = model.config.vocabSize;
  const logits = noGrad(() => model.forward([seq]));
  let min = Infinity;
  for (let i = prompt.length - 1; i < seq.length - 1; i++) {
    const row = [...logits.f.subarray(i * V, (i + 1) * V)].sort((a, b) => b - a);
    min = Math.min(min, row[0] - row[1]);
  }
  return min;
}

let llamaCpp: Awaited<ReturnType<NodeLlama['getLlama']>> | null = null;

async function llamaCppGreedy(path: string, n: number): Promise<number[]> {
  llamaCpp ??= await nodeLlama!.getLlama({ gpu: false, build: 'never', logLevel: nodeLlama!.LlamaLogLevel.error });
  const model = await llamaCpp.loadModel({ modelPath: path });
  // One thread: llama.cpp's spinning workers crawl when the machine's two cores are shared.
  const context = await model.createContext({ contextSize: 64, threads: 1 });
  const out: number[] = [];
  for await (const t of context.getSequence().evaluate(prompt as Token[], { temperature: 0 })) {
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

test('GGUF export names what llama.cpp cannot run', () => {
  assert.match(ggufUnsupported(tinyConfig({ positions: 'alibi' }))!, /alibi/);
  assert.match(ggufUnsupported(tinyConfig({ family: 'gpt2', numKvHeads: 4, norm: 'layer', ffn: 'gelu', positions: 'learned' }))!, /gpt2/);
  assert.match(ggufUnsupported(tinyConfig({ family: 'mistral', slidingWindow: 8 }))!, /sliding window/);
  assert.equal(ggufUnsupported(tinyConfig()), null);
});
