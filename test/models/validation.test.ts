// config.json is held against the weights' headers before anything is allocated (issue 18, case 1):
// each config of the seed corpus (test/fixtures/fuzz/config/) beside llama-tiny's weights fails in
// well under a second and a few MB, naming the field and the file, for loading and for GGUF export;
// special ids outside the vocabulary are refused; a 10^12-position config loads and generates,
// since rotary tables grow with the positions used, but is refused by GGUF export (a uint32 field).
// A checkpoint folder loaded as a model is checked against its manifest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportGguf, loadPretrained, loadScalarModel, parameterShapes, CausalLM, ScalarHeadModel } from '../../src/models/index.js';
import { writeManifest } from '../../src/util/checkpoint-manifest.js';
import { COMBOS, tempDir, tinyConfig } from './helpers.js';

const CORPUS = 'test/fixtures/fuzz';
const WEIGHTS = 'test/fixtures/ref-models/llama-tiny/model.safetensors';

/** A model folder with llama-tiny's weights, the corpus config `name` and the corpus tokenizer. */
function folder(dir: string, name: string): string {
  copyFileSync(WEIGHTS, join(dir, 'model.safetensors'));
  copyFileSync(join(CORPUS, 'config', `${name}.json`), join(dir, 'config.json'));
  copyFileSync(join(CORPUS, 'tokenizer', 'tokenizer.json'), join(dir, 'tokenizer.json'));
  return dir;
}

/** Runs `fn`, returning its error with the seconds and the peak-RSS growth it took. */
async function measured(fn: () => Promise<unknown>): Promise<{ error: Error | null; seconds: number; peakMb: number }> {
  const rss0 = process.resourceUsage().maxRSS, t0 = performance.now();
  let error: Error | null = null;
  try {
    await fn();
  } catch (e) {
    error = e as Error;
  }
  return { error, seconds: (performance.now() - t0) / 1000, peakMb: (process.resourceUsage().maxRSS - rss0) / 1024 };
}

const CASES: [string, RegExp][] = [
  ['layers-1000', /num_hidden_layers is 1000 in config\.json, but the weights \(model\.safetensors\) hold 2 layers$/],
  ['layers-100000', /num_hidden_layers is 100000 in config\.json, but the weights \(model\.safetensors\) hold 2 layers$/],
  ['layers-1e9', /num_hidden_layers is 1000000000 in config\.json/],
  ['intermediate-1e7', /intermediate_size 10000000 in config\.json, but "model\.layers\.0\.mlp\.gate_proj\.weight" in model\.safetensors is \[172, 64\]/],
  ['vocab-1e7', /vocab_size 10000000 in config\.json, but "model\.embed_tokens\.weight" in model\.safetensors is \[256, 64\]/],
  ['vocab-1e12', /vocab_size 1000000000000 in config\.json/],
  ['hidden-1e9', /hidden_size 1000000000 in config\.json, but "model\.embed_tokens\.weight" in model\.safetensors is \[256, 64\]/],
  ['heads-8', /num_key_value_heads × head_dim = 2 × 8 in config\.json/],
  ['experts-on-dense', /num_local_experts is 1000000000 in config\.json, but the weights \(model\.safetensors\) hold 0 experts/],
  ['eos-outside-vocab', /config\.json: eos_token_id 70000 is outside the vocabulary \(vocab_size 256/],
  ['not-json', /config\.json:4:3: not valid JSON/],
];

test('configs that promise more than the weights hold are refused before allocating, naming field and file', async () => {
  for (const [name, want] of CASES) {
    const tmp = tempDir();
    try {
      const dir = folder(tmp.dir, name);
      for (const [what, run] of [['load', () => loadPretrained(dir)], ['export gguf', () => exportGguf(dir, join(tmp.dir, 'out.gguf'))]] as const) {
        const r = await measured(run);
        assert.ok(r.error, `${name}: ${what} should fail`);
        assert.match(r.error.message, want, `${name}: ${what}`);
        assert.ok(r.error.message.includes(tmp.dir), `${name}: ${what} names the folder: ${r.error.message}`);
        assert.ok(r.error.message.split('\n').length <= 14, `${name}: ${what} prints a bounded message`);
        // The issue measured 1.4–3.4 GB and a minute or more for these.
        assert.ok(r.seconds < 2, `${name}: ${what} took ${r.seconds.toFixed(2)} s`);
        assert.ok(r.peakMb < 64, `${name}: ${what} grew the peak RSS by ${r.peakMb.toFixed(0)} MB`);
      }
    } finally {
      tmp.done();
    }
  }
});

test('a 10^12-position config loads and generates: position tables cover the positions used', async () => {
  const tmp = tempDir();
  try {
    const r = await measured(async () => {
      const model = await loadPretrained(folder(tmp.dir, 'positions-1e12'));
      const out = await model.generate([[1, 2, 3]], { maxNewTokens: 4, stopTokenIds: [] });
      assert.equal(out.tokens[0].length, 4);
    });
    assert.equal(r.error, null);
    assert.ok(r.peakMb < 64, `peak RSS grew by ${r.peakMb.toFixed(0)} MB`);
  } finally {
    tmp.done();
  }
});

test('GGUF export of a 10^12-position config names the field GGUF cannot hold, before loading', async () => {
  const tmp = tempDir();
  try {
    const dir = folder(tmp.dir, 'positions-1e12');
    const r = await measured(() => exportGguf(dir, join(tmp.dir, 'out.gguf')));
    // Before the check, Node's own "The value of "value" is out of range" escaped from the writer.
    assert.match(r.error?.message ?? '', new RegExp(`^${tmp.dir}/config\\.json: max_position_embeddings is 1000000000000, more than GGUF can store \\(a 32-bit context length, at most 4294967295\\)`));
    assert.ok(r.peakMb < 64, `peak RSS grew by ${r.peakMb.toFixed(0)} MB`);
  } finally {
    tmp.done();
  }
});

test('a checkpoint folder with a manifest is verified when loaded as a model: a flipped byte is refused', async () => {
  const tmp = tempDir();
  try {
    new CausalLM(tinyConfig({ vocabSize: 64 }), { seed: 3 }).save(tmp.dir);
    writeManifest(tmp.dir);
    await loadPretrained(tmp.dir);
    const weights = join(tmp.dir, 'model.safetensors');
    const bytes = readFileSync(weights);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(weights, bytes);
    // Before, `generate --model run/checkpoints/step-N` on such a folder ran on the damaged weights.
    const damaged = new RegExp(`${tmp.dir}: checkpoint is damaged \\(model\\.safetensors does not match its SHA-256 in manifest\\.json\\)`);
    await assert.rejects(loadPretrained(tmp.dir), damaged);
    await assert.rejects(loadScalarModel(tmp.dir), damaged);
  } finally {
    tmp.done();
  }
});

test('special ids outside the vocabulary are refused in config.json and generation_config.json', async () => {
  const tmp = tempDir();
  try {
    const dir = folder(tmp.dir, 'positions-1e12');
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [1, 256] }));
    await assert.rejects(loadPretrained(dir), /generation_config\.json: eos_token_id \[1,256\] is outside the vocabulary \(vocab_size 256/);
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ pad_token_id: -1 }));
    await assert.rejects(loadPretrained(dir), /pad_token_id -1 is outside/);
    assert.throws(() => tinyConfig({ bosTokenId: 61 }), /bosTokenId 61 is outside the vocabulary \[0, 61\)/);
  } finally {
    tmp.done();
  }
});

test('GGUF export names the tokenizer file that is not JSON, with line and column', async () => {
  const tmp = tempDir();
  try {
    const model = new CausalLM(tinyConfig({ vocabSize: 270, eosTokenId: 1 }));
    model.save(tmp.dir);
    copyFileSync(join(CORPUS, 'tokenizer', 'not-json.tokenizer.json'), join(tmp.dir, 'tokenizer.json'));
    await assert.rejects(exportGguf(tmp.dir, join(tmp.dir, 'm.gguf')), new RegExp(`${tmp.dir}/tokenizer\\.json:1:62: not valid JSON`));
    copyFileSync(join(CORPUS, 'tokenizer', 'tokenizer.json'), join(tmp.dir, 'tokenizer.json'));
    copyFileSync(join(CORPUS, 'tokenizer', 'not-json.tokenizer_config.json'), join(tmp.dir, 'tokenizer_config.json'));
    await assert.rejects(exportGguf(tmp.dir, join(tmp.dir, 'm.gguf')), new RegExp(`${tmp.dir}/tokenizer_config\\.json:3:20: not valid JSON`));
    copyFileSync(join(CORPUS, 'tokenizer', 'tokenizer_config.json'), join(tmp.dir, 'tokenizer_config.json'));
    const tok = JSON.parse(readFileSync(join(CORPUS, 'tokenizer', 'tokenizer.json'), 'utf8'));
    tok.model.vocab.x = 1e12;
    writeFileSync(join(tmp.dir, 'tokenizer.json'), JSON.stringify(tok));
    await assert.rejects(exportGguf(tmp.dir, join(tmp.dir, 'm.gguf')), /tokenizer\.json: model\.vocab token "x" has id 1000000000000, outside the model's vocabulary \[0, 270\)/);
  } finally {
    tmp.done();
  }
});

test('the parameter table computed from a config is the built model\'s, for every family and option', () => {
  for (const [name, o] of COMBOS) {
    const cfg = tinyConfig(o);
    for (const [head, model] of [['lm', new CausalLM(cfg)], ['scalar', new ScalarHeadModel(cfg)]] as const) {
      const built = [...model.namedParameters()].map(([n, p]) => `${n} [${p.shape.join(', ')}]`);
      const table = parameterShapes(cfg, head).map((p) => `${p.name} [${p.dims.map((d) => d.size).join(', ')}]`);
      assert.deepEqual(table, built, `${name} (${head} head)`);
    }
  }
});
