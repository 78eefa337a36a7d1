// A checkpoint's manifest.json: the size and SHA-256 of every file in the checkpoint folder, written
// last before the folder is renamed into place. Verifying it catches what atomic renames cannot: a
// file damaged after it was written (a flipped byte that would resume at loss 2,469 instead of 8,
// a truncated copy). Hashes are streamed 1 MiB at a time, and a verified folder is remembered by
// its files' sizes and modification times, so the fallback search and the load that follows it
// read the files once.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { writeJsonAtomic } from './fs.js';
import { parseJson, readTextFile } from './text.js';

const MANIFEST = 'manifest.json';
const FORMAT = 'rlhf-ts checkpoint manifest';
const CHUNK = 1 << 20;
/** One read buffer for every hash (hashing is synchronous). */
const chunk = Buffer.alloc(CHUNK);

export interface ManifestEntry { bytes: number; sha256: string }
export interface Manifest { format: typeof FORMAT; version: 1; files: Record<string, ManifestEntry> }

/** SHA-256 of a file, read in chunks. */
function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, chunk, 0, CHUNK, null); n > 0; n = readSync(fd, chunk, 0, CHUNK, null)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Files under `dir`, as '/'-separated paths relative to it, sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, name.name);
      if (name.isDirectory()) walk(p);
      else if (name.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.filter((f) => f !== MANIFEST).sort();
}

/** Hashes every file in `dir` into dir/manifest.json. */
export function writeManifest(dir: string): Manifest {
  const files: Record<string, ManifestEntry> = {};
  for (const f of filesUnder(dir)) files[f] = { bytes: statSync(join(dir, f)).size, sha256: sha256File(join(dir, f)) };
  const manifest: Manifest = { format: FORMAT, version: 1, files };
  writeJsonAtomic(join(dir, MANIFEST), manifest);
  return manifest;
}

/** Parses and checks a manifest's text; `file` names it in errors. */
export function parseManifest(text: string, file: string): Manifest {
  const fail = (msg: string): never => { throw new Error(`${file}: ${msg}`); };
  const m = parseJson(text, file) as Partial<Manifest> | null;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return fail('expected a JSON object');
  if (m.format !== FORMAT || m.version !== 1) fail(`not a version-1 checkpoint manifest (format ${JSON.stringify(m.format)}, version ${JSON.stringify(m.version)})`);
  const files = m.files;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) return fail('"files" must map file names to {bytes, sha256}');
  for (const [name, e] of Object.entries(files)) {
    // Names stay inside the checkpoint folder: no absolute paths, no "..", no empty parts.
    if (name === '' || name.startsWith('/') || name.split('/').some((part) => part === '' || part === '.' || part === '..') || name.includes('\\')) fail(`file name ${JSON.stringify(name)} leaves the checkpoint folder`);
    const entry = e as Partial<ManifestEntry> | null;
    if (typeof entry !== 'object' || entry === null) fail(`"${name}": expected {bytes, sha256}`);
    if (!(Number.isSafeInteger(entry!.bytes) && entry!.bytes! >= 0)) fail(`"${name}": bytes must be a non-negative integer, got ${JSON.stringify(entry!.bytes)}`);
    if (typeof entry!.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry!.sha256)) fail(`"${name}": sha256 must be 64 lowercase hex digits`);
  }
  return m as Manifest;
}

/** Folders verified intact, keyed by their files' names, sizes and modification times. */
const verified = new Map<string, string>();

/** What is wrong with the checkpoint in `dir`, or null when every file matches its manifest. A
 * checkpoint from before manifests were written (none present) is taken as it is. */
export function verifyCheckpoint(dir: string): string | null {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return null;
  let manifest: Manifest;
  try {
    manifest = parseManifest(readTextFile(path, 'error'), path);
  } catch (e) {
    return (e as Error).message;
  }
  const names = Object.keys(manifest.files).sort();
  const stats = new Map<string, { size: number; mtimeMs: number }>();
  for (const name of names) {
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    if (!st?.isFile()) return `${name} is missing`;
    if (st.size !== manifest.files[name].bytes) return `${name} has ${st.size} bytes, the manifest says ${manifest.files[name].bytes}`;
    stats.set(name, st);
  }
  const key = JSON.stringify(names.map((n) => [n, stats.get(n)!.size, stats.get(n)!.mtimeMs, manifest.files[n].sha256]));
  if (verified.get(dir) === key) return null;
  for (const name of names) {
    if (sha256File(join(dir, name)) !== manifest.files[name].sha256) return `${name} does not match its SHA-256 in ${MANIFEST}`;
  }
  verified.set(dir, key);
  return null;
}
