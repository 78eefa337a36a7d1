// Strict text input: the UTF-8 locator agrees with the WHATWG decoder on random bytes, the JSON
// locator agrees with JSON.parse on mutated JSON, and readLines splits lines exactly as a whole-file
// split does whatever the chunking, with errors naming file:line:column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { firstInvalidUtf8, jsonSyntaxError, parseJson, readLines } from '../../src/util/text.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
const valid = (b: Uint8Array): boolean => { try { fatal.decode(b); return true; } catch { return false; } };

test('firstInvalidUtf8 finds a fault exactly when the WHATWG decoder refuses, and the prefix before it is valid', () => {
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 12 }).map((s) => new TextEncoder().encode(s)),
    fc.tuple(fc.string({ unit: 'binary', maxLength: 6 }), fc.uint8Array({ maxLength: 4 })).map(([s, b]) => Uint8Array.from([...new TextEncoder().encode(s), ...b])));
  fc.assert(fc.property(bytes, (b) => {
    const at = firstInvalidUtf8(b);
    assert.equal(at < 0, valid(b));
    if (at >= 0) assert.ok(valid(b.subarray(0, at)), 'everything before the fault decodes');
  }), { numRuns: 3000, seed: 18 });
});

test('jsonSyntaxError is null exactly when JSON.parse accepts, and names line and column', () => {
  const text = fc.oneof(fc.json({ maxDepth: 3 }), fc.tuple(fc.json({ maxDepth: 3 }), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', ':', '\\', 'x', '\n', '\u0001')).map(([j, at, c]) => {
    const i = at % (j.length + 1);
    return j.slice(0, i) + c + j.slice(i + (c ? 0 : 1));
  }));
  fc.assert(fc.property(text, (t) => {
    let ok = true;
    try { JSON.parse(t); } catch { ok = false; }
    assert.equal(jsonSyntaxError(t) === null, ok, t);
  }), { numRuns: 3000, seed: 18 });
  assert.throws(() => parseJson('{\n  "a": 1,\n  "b": tru\n}', 'c.json'), /^TextInputError: c\.json:3:8: not valid JSON: expected a value, found "t"$/);
  assert.throws(() => parseJson('[1, 2', 'c.json'), /c\.json:1:6: not valid JSON: expected "," or a closing bracket, found the end of the file/);
});

test('readLines splits like a whole-file split under any chunking; CRLF and a BOM are dropped', async () => {
  const collect = async (chunks: Uint8Array[]): Promise<string[]> => {
    const out: string[] = [];
    for await (const { line, text } of readLines(Readable.from(chunks.map((c) => Buffer.from(c))), { name: 'in' })) {
      assert.equal(line, out.length + 1);
      out.push(text);
    }
    return out;
  };
  await fc.assert(fc.asyncProperty(fc.array(fc.string({ unit: 'binary', maxLength: 8 }), { maxLength: 6 }), fc.array(fc.nat({ max: 5 }), { maxLength: 8 }), async (lines, cuts) => {
    const whole = new TextEncoder().encode(lines.join('\n'));
    const chunks: Uint8Array[] = [];
    let at = 0;
    for (const c of cuts) { chunks.push(whole.subarray(at, at + c)); at += c; }
    chunks.push(whole.subarray(at));
    const expect = lines.join('\n') === '' ? [] : lines.join('\n').split('\n');
    // A last empty line (text ending in "\n") is not a line.
    if (expect.length && expect[expect.length - 1] === '' && lines.join('\n').endsWith('\n')) expect.pop();
    assert.deepEqual(await collect(chunks), expect.map((l, i) => (i === 0 ? l.replace(/^\uFEFF/, '') : l).replace(/\r$/, '')));
  }), { numRuns: 500, seed: 18 });
  assert.deepEqual(await collect([Buffer.from('\uFEFFa\r\nb\n')]), ['a', 'b']);
  await assert.rejects(collect([Buffer.from('ok\nbad '), Uint8Array.from([0xe2, 0x28, 0xa1])]), /^TextInputError: in:2:5: invalid UTF-8 \(byte 0xe2\)/);
  const long = readLines(Readable.from([Buffer.alloc(100, 0x61)]), { name: 'in', maxLineBytes: 64 });
  await assert.rejects(long.next(), /in:1: line longer than 64 bytes/);
});
