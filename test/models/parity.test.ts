// Parity with PyTorch: for every reference checkpoint, logits, loss, the listed gradients and
// the greedy continuation match reference.safetensors within the fixture README's tolerances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPretrained, nextTokenLoss, SafetensorsFile, toCheckpointTensors } from '../../src/models/index.js';

export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/ref-models', import.meta.url));

function relL2(got: Float32Array, want: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) { num += (got[i] - want[i]) ** 2; den += want[i] ** 2; }
  return Math.sqrt(num / den);
}

for (const name of readdirSync(FIXTURES).filter((d) => !d.includes('.'))) {
  test(`parity with PyTorch: ${name}`, async () => {
    const dir = join(FIXTURES, name);
    const ref = new SafetensorsFile(join(dir, 'reference.safetensors'));
    const [B, T] = ref.info('input_ids').shape;
    const flat = ref.readInts('input_ids');
    const ids = Array.from({ length: B }, (_, b) => flat.slice(b * T, (b + 1) * T));
    const model = await loadPretrained(dir);
    for (const p of model.parameters()) p.requireGrad();

    const logits = model.forward(ids);
    const want = ref.readFloat('logits');
    assert.deepEqual(logits.shape, ref.info('logits').shape);
    let maxErr = 0, maxRef = 0;
    for (let i = 0; i < want.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(logits.data[i] - want[i]));
      maxRef = Math.max(maxRef, Math.abs(want[i]));
    }
    assert.ok(maxErr <= 1e-4 * maxRef, `${name}: logits max error ${maxErr} vs max |logit| ${maxRef}`);

    const loss = nextTokenLoss(logits, ids);
    const wantLoss = ref.readFloat('loss')[0];
    assert.ok(Math.abs(loss.item() - wantLoss) <= 1e-5 * Math.abs(wantLoss), `${name}: loss ${loss.item()} vs ${wantLoss}`);

    loss.backward();
    const grads = new Map([...model.namedParameters()].map(([n, p]) => [n, { shape: p.shape, data: p.grad!.f }]));
    const inFileLayout = new Map(toCheckpointTensors(model.config, grads).map((t) => [t.name, t]));
    const listed = [...ref.tensors.keys()].filter((k) => k.startsWith('grad.'));
    assert.ok(listed.length > 0);
    for (const key of listed) {
      const ours = inFileLayout.get(key.slice(5));
      assert.ok(ours, `${name}: no gradient for ${key}`);
      assert.deepEqual(ours.shape, ref.info(key).shape, `${name}: ${key} shape`);
      const err = relL2(ours.data, ref.readFloat(key));
      assert.ok(err <= 1e-4, `${name}: ${key} relative L2 error ${err}`);
    }

    const prompt = ref.readInts('greedy_prompt');
    const expected = ref.readInts('greedy_output');
    const out = await model.generate([prompt], { maxNewTokens: expected.length - prompt.length, temperature: 0, stopTokenIds: [] });
    assert.deepEqual([...prompt, ...out.tokens[0]], expected, `${name}: greedy continuation`);
    ref.close();
  });
}
