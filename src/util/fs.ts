// Atomic file writes: write a temporary file beside the target, flush it to disk, then rename
// over the target, so a crash leaves either the old file or the new one, never half of one.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  ensureDir(dirname(path));
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const chunk of Array.isArray(data) ? data : [data]) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** mkdir -p that names the path when a file stands where a folder must be (Node's own error is a
 * bare EEXIST or ENOTDIR). */
export function ensureDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      let blocker = path;
      for (let p = path; p !== dirname(p); p = dirname(p)) if (statSync(p, { throwIfNoEntry: false })?.isFile()) blocker = p;
      throw new Error(`${path}: cannot create this folder: ${blocker} is a file`);
    }
    throw e;
  }
}
