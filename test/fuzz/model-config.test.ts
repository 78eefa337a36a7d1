// config.json and generation_config.json under fuzzing, beside llama-tiny's weights: mutated
// copies of its config and of the seed configs (test/fixtures/fuzz/config/) load into a
// model that generates, or fail naming the file or folder, before anything the config promises is
// allocated (the bound of docs/robustness.md holds whatever sizes the config claims).
import { test } from 'node:test';
import { copyFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadPretrained, loadScalarModel } from '../../src/models/index.js';
import { Budget, CORPUS, cleanlyAsync, corpus, mutatedBytes, mutatedJson, params, scratch } from './harness.js';

const REF = 'test/fixtures/ref-models/llama-tiny';
const CONFIGS = [JSON.parse(corpus('../ref-models/llama-tiny/config.json').toString()), ...readdirSync(join(CORPUS, 'config'))
  .filter((f) => f !== 'not-json.json').map((f) => JSON.parse(corpus(`config/${f}`).toString()))];
const GENERATION = { bos_token_id: 0, eos_token_id: [1, 2], pad_token_id: null, do_sample: true, temperature: 0.7, top_k: 5, top_p: 0.9, max_new_tokens: 3 };

test('fuzz: config.json and generation_config.json load a working model, or fail naming the file', async () => {
  const tmp = scratch('model-config');
  copyFileSync(join(REF, 'model.safetensors'), join(tmp.dir, 'model.safetensors'));
  const configPath = join(tmp.dir, 'config.json'), genPath = join(tmp.dir, 'generation_config.json');
  const budget = new Budget('config.json', 128, 2000);
  const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v) ?? 'null');
  const config = fc.oneof({ weight: 5, arbitrary: fc.oneof(...CONFIGS.map((c) => mutatedJson(c, 2))).map(json) }, { weight: 1, arbitrary: mutatedBytes(json(CONFIGS[0]), 3) }, { weight: 1, arbitrary: fc.constant(corpus('config/not-json.json')) });
  const generation = fc.option(fc.oneof(fc.constant(json(GENERATION)), mutatedJson(GENERATION, 2).map(json)), { nil: null });
  try {
    await fc.assert(fc.asyncProperty(config, generation, fc.boolean(), async (c, g, scalar) => {
      writeFileSync(configPath, c);
      if (g) writeFileSync(genPath, g);
      else rmSync(genPath, { force: true });
      await budget.timeAsync(() => cleanlyAsync(async () => {
        if (scalar) return (await loadScalarModel(tmp.dir)).rewards([[1, 2, 3]]);
        const model = await loadPretrained(tmp.dir);
        return model.generate([[1, 2, 3]], { maxNewTokens: 2 });
      }, [tmp.dir], { config: c.toString(), generation: g?.toString() }));
    }), params(150));
  } finally {
    tmp.done();
  }
  budget.check();
});
