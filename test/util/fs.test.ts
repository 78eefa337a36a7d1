// Folders made where a file stands, and file-system errors that reach the command line, name the
// path in the way (issue 18, case 6: `--out` that is a file gave a raw EEXIST; one below a file
// crashed the message itself with ENOTDIR).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDir, fsErrorMessage } from '../../src/util/fs.js';

/** What `fn` threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}

test('ensureDir names the file in the way, at the path or above it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-fs-'));
  try {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    assert.throws(() => ensureDir(file), { message: `${file}: cannot create this folder: ${file} is a file` });
    assert.throws(() => ensureDir(join(file, 'sub', 'deeper')), { message: `${join(file, 'sub', 'deeper')}: cannot create this folder: ${file} is a file` });
    ensureDir(join(dir, 'new', 'nested'));
    ensureDir(join(dir, 'new', 'nested'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fsErrorMessage turns Node\'s errno errors into messages naming the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlhf-fs-'));
  try {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const below = join(file, 'x.json');
    assert.equal(fsErrorMessage(thrown(() => writeFileSync(below, '{}'))), `${below}: ${file} is a file, where a folder is needed`);
    assert.equal(fsErrorMessage(thrown(() => mkdirSync(file))), `${file}: ${file} is a file, where a folder is needed`);
    assert.equal(fsErrorMessage(thrown(() => readFileSync(dir))), null, 'EISDIR from a read has no path: the message stays Node\'s');
    assert.equal(fsErrorMessage(thrown(() => openSync(dir, 'w'))), `${dir} is a folder, where a file is needed`);
    assert.equal(fsErrorMessage(thrown(() => readFileSync(join(dir, 'nope')))), `${join(dir, 'nope')}: no such file or folder`);
    assert.equal(fsErrorMessage(new Error('not a file-system error')), null);
    assert.equal(fsErrorMessage('a string'), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
