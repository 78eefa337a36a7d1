// Atomic file writes: write a temporary file beside the target, flush it to disk, then rename
// over the target, so a crash leaves either the old file or the new one, never half of one. Also
// folders made and file-system errors told with the path in the way, not Node's bare EEXIST.
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
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new Error(`${path}: cannot create this folder: ${fileInTheWay(path) ?? path} is a file`);
    throw e;
  }
}

/** The file in the way of `path` (itself or a parent that is a file, not a folder), or null. */
function fileInTheWay(path: string): string | null {
  let blocker: string | null = null;
  for (let p = path; p !== dirname(p); p = dirname(p)) {
    try {
      if (statSync(p).isFile()) blocker = p;
    } catch {
      // Missing, or below the file in the way (ENOTDIR): keep walking up.
    }
  }
  return blocker;
}

/** A message naming the path for a file-system error that escaped to the command line (Node's own
 * reads "EEXIST: file already exists, mkdir 'x'"), or null for any other error. */
export function fsErrorMessage(e: unknown): string | null {
  const { code, path } = e as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof path !== 'string') return null;
  switch (code) {
    case 'EEXIST': case 'ENOTDIR': {
      const blocker = fileInTheWay(path);
      return blocker ? `${path}: ${blocker} is a file, where a folder is needed` : null;
    }
    case 'EISDIR': return `${path} is a folder, where a file is needed`;
    case 'ENOENT': return `${path}: no such file or folder`;
    case 'EACCES': case 'EPERM': return `${path}: permission denied`;
    case 'ENOSPC': return `${path}: no space left on the device`;
    default: return null;
  }
}
