// safetensors I/O: every dtype reads back, and lying headers are rejected — before any large
// allocation — with a message naming the problem and the tensor; checkpoint loading reports
// unknown, missing and mis-shaped tensors by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsFile, writeSafetensors, loadPretrained, CausalLM } from '../../src/models/index.js';
import { f16ToF32, f32ToF16, f32ToBf16, bf16ToF32 } from '../../src/models/dtypes.js';
import { tempDir, tinyConfig } from './helpers.js';

/** A file with the given header object and `dataBytes` zero bytes of data. */
function rawFile(path: string, header: unknown, dataBytes: number, headerText = JSON.stringify(header)): void {
  const h = Buffer.from(headerText, 'utf8'), len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  writeFileSync(path, Buffer.concat([len, h, Buffer.alloc(dataBytes)]));
}

test('F32, F16 and BF16 tensors round-trip', () => {
  const tmp = tempDir();
  try {
    const data = Float32Array.from([0, 1, -2.5, 3.140625, 65504, 1e-7, -0.0009765625]);
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const path = join(tmp.dir, `${dtype}.safetensors`);
      writeSafetensors(path, [{ name: 'x', shape: [7], data }, { name: 'y', shape: [1, 2], data: Float32Array.from([5, 6]) }], dtype);
      const f = new SafetensorsFile(path);
      assert.equal(f.info('x').dtype, dtype);
      const expect = dtype === 'F32' ? data : dtype === 'F16' ? f16ToF32(f32ToF16(data)) : bf16ToF32(f32ToBf16(data));
      assert.deepEqual(f.readFloat('x'), expect);
      assert.deepEqual([...f.readFloat('y')], [5, 6]);
      assert.equal(f.metadata.format, 'pt');
      f.close();
    }
  } finally {
    tmp.done();
  }
});

test('float16 and bfloat16 conversions round half to even', () => {
  assert.deepEqual([...f32ToF16(Float32Array.from([1, 65504, 70000, 2 ** -24, 2 ** -26, 1 + 2 ** -11, 1 + 3 * 2 ** -11]))],
    [0x3c00, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x3c00, 0x3c02]);
  assert.deepEqual([...f32ToBf16(Float32Array.from([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8]))], [0x3f80, 0x3f80, 0x3f82]);
  assert.deepEqual([...f16ToF32(Uint16Array.from([0x3c00, 0xc000, 0x0001, 0x7c00]))], [1, -2, 2 ** -24, Infinity]);
});

test('lying headers are rejected with the tensor named', () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, 'bad.safetensors');
    const cases: [unknown, number, RegExp, string?][] = [
      [{ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8, /"w".*past the end/],
      [{ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, 16, /"a" and "b" overlap/],
      [{ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, 16, /"w".*needs 12 bytes/],
      [{ w: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 16] } }, 16, /"w".*absurdly large/],
      [{ w: { dtype: 'Q4', shape: [4], data_offsets: [0, 16] } }, 16, /"w".*unsupported dtype/],
      [{ w: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, 16, /"w".*shape/],
      [{ w: { dtype: 'F32', shape: [4], data_offsets: [16, 0] } }, 16, /"w".*data_offsets/],
      [null, 16, /not valid JSON/, '{"w": {"dtype": "F32",'],
      [[1, 2], 16, /not a JSON object/],
    ];
    for (const [header, bytes, re, text] of cases) {
      rawFile(path, header, bytes, text);
      assert.throws(() => new SafetensorsFile(path), re);
    }
    // A header length past the end of the file (and an absurd one) fails before allocating it.
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(1n << 60n);
    writeFileSync(path, Buffer.concat([len, Buffer.from('{}')]));
    assert.throws(() => new SafetensorsFile(path), /header length \d+ runs past the end/);
    writeFileSync(path, Buffer.alloc(4));
    assert.throws(() => new SafetensorsFile(path), /too short/);
  } finally {
    tmp.done();
  }
});

test('checkpoint loading names unknown, missing and mis-shaped tensors', async () => {
  const tmp = tempDir();
  try {
    const model = new CausalLM(tinyConfig());
    model.save(tmp.dir);
    const params = [...model.namedParameters()].map(([name, p]) => ({ name, shape: p.shape, data: p.f }));
    const edited = params
      .filter((t) => t.name !== 'model.layers.1.mlp.up_proj.weight')
      .map((t) => (t.name === 'model.norm.weight' ? { ...t, shape: [2, 16] } : t));
    edited.push({ name: 'model.layers.0.self_attn.extra.weight', shape: [2], data: new Float32Array(2) });
    writeSafetensors(join(tmp.dir, 'model.safetensors'), edited);
    await assert.rejects(loadPretrained(tmp.dir), (e: Error) => {
      assert.match(e.message, /unexpected tensor "model\.layers\.0\.self_attn\.extra\.weight"/);
      assert.match(e.message, /missing tensor "model\.layers\.1\.mlp\.up_proj\.weight"/);
      assert.match(e.message, /"model\.norm\.weight" has shape \[2, 16\], expected \[32\]/);
      return true;
    });
  } finally {
    tmp.done();
  }
});

test('config.json problems are clear', async () => {
  const tmp = tempDir();
  try {
    writeFileSync(join(tmp.dir, 'config.json'), JSON.stringify({ architectures: ['BertModel'] }));
    await assert.rejects(loadPretrained(tmp.dir), /unsupported architecture BertModel/);
    writeFileSync(join(tmp.dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], hidden_size: 64, rope_scaling: { type: 'longrope' } }));
    await assert.rejects(loadPretrained(tmp.dir), /rope_scaling/);
    writeFileSync(join(tmp.dir, 'config.json'), '{oops');
    await assert.rejects(loadPretrained(tmp.dir), /config\.json/);
  } finally {
    tmp.done();
  }
});
