// Shared by the fuzz tests: mutations of seed files (bytes and JSON), the "clean error" rule, and
// the memory and time measurements each reader's bound is checked with.
//
// A reader passes when every input gives a value or an Error that names the input (its path, or
// the flag or key for CLI parsing) — never a TypeError from poking at a missing field, an internal
// RangeError ("Invalid typed array length", "Maximum call stack size exceeded"), a hang, or
// memory beyond the bound stated in docs/robustness.md. Runs are seeded (FUZZ_SEED, default 18)
// so a failure reproduces; FUZZ_RUNS scales the run counts for a longer hunt.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';

export const SEED = Number(process.env.FUZZ_SEED ?? 18);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);

/** fast-check parameters for `runs` runs (scaled by FUZZ_RUNS), seeded. */
export const params = (runs: number): fc.Parameters<unknown> => ({ numRuns: Math.max(1, Math.round(runs * SCALE)), seed: SEED, endOnFailure: true, includeErrorInReport: true });

export const CORPUS = 'test/fixtures/fuzz';
export const corpus = (path: string): Buffer => readFileSync(join(CORPUS, path));

export function scratch(prefix: string): { dir: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), `rlhf-fuzz-${prefix}-`));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Messages that mean the reader lost control, whatever error class carries them. */
const LOST_CONTROL = /Invalid (typed )?array length|Invalid string length|Maximum call stack|Array buffer allocation failed|Cannot (read|set) propert|is not a function|is not iterable|undefined \(reading|out of memory/i;

/** Fails unless `e` is a deliberate error naming one of `names`. */
export function assertClean(e: unknown, names: string[], input?: unknown): void {
  const shown = input === undefined ? '' : `\n  input: ${typeof input === 'string' ? JSON.stringify(input).slice(0, 300) : Buffer.isBuffer(input) || input instanceof Uint8Array ? Buffer.from(input).toString('hex').slice(0, 300) : JSON.stringify(input)?.slice(0, 300)}`;
  assert.ok(e instanceof Error, `threw a non-Error: ${String(e)}${shown}`);
  const err = e as Error;
  assert.ok(!(err instanceof TypeError) && !LOST_CONTROL.test(err.message), `lost control: ${err.stack}${shown}`);
  assert.ok(names.some((n) => err.message.includes(n)), `the error does not name ${names.join(' or ')}: ${err.message}${shown}`);
}

/** Runs `fn`; returns its value, or undefined after checking the error is clean. */
export function cleanly<T>(fn: () => T, names: string[], input?: unknown): T | undefined {
  try {
    return fn();
  } catch (e) {
    assertClean(e, names, input);
    return undefined;
  }
}

export async function cleanlyAsync<T>(fn: () => Promise<T>, names: string[], input?: unknown): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    assertClean(e, names, input);
    return undefined;
  }
}

/** What a fuzz run may cost: the growth of the process's peak RSS over the whole run (touched
 * memory, garbage included), the largest ArrayBuffer total seen right after any one call (typed
 * arrays a reader allocated, touched or not), and the slowest single call (a hang shows here or
 * as the test's timeout). */
export class Budget {
  private readonly rss0 = process.resourceUsage().maxRSS;
  private readonly buffers0 = process.memoryUsage().arrayBuffers;
  private slowest = 0;
  private buffers = 0;
  constructor(readonly label: string, readonly peakMb: number, readonly callMs: number) {}

  private note(t0: number): void {
    this.slowest = Math.max(this.slowest, performance.now() - t0);
    this.buffers = Math.max(this.buffers, process.memoryUsage().arrayBuffers - this.buffers0);
  }

  time<T>(fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.note(t0);
    }
  }

  async timeAsync<T>(fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.note(t0);
    }
  }

  check(): { peakMb: number; buffersMb: number; slowestMs: number } {
    const grown = (process.resourceUsage().maxRSS - this.rss0) / 1024, buffers = this.buffers / 2 ** 20;
    assert.ok(grown <= this.peakMb, `${this.label}: peak RSS grew by ${grown.toFixed(1)} MB (bound ${this.peakMb} MB)`);
    assert.ok(buffers <= this.peakMb, `${this.label}: ${buffers.toFixed(1)} MB of ArrayBuffers after one input (bound ${this.peakMb} MB)`);
    assert.ok(this.slowest <= this.callMs, `${this.label}: one input took ${this.slowest.toFixed(0)} ms (bound ${this.callMs} ms)`);
    if (process.env.FUZZ_REPORT) console.log(JSON.stringify({ reader: this.label, peakRssGrowthMb: +grown.toFixed(1), arrayBuffersMb: +buffers.toFixed(1), slowestMs: +this.slowest.toFixed(1) }));
    return { peakMb: grown, buffersMb: buffers, slowestMs: this.slowest };
  }
}

/** Byte values that make lengths, counts and offsets absurd. */
const EDGE_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xc0, 0xff, 0xfe, 0x22, 0x5b, 0x7b, 0x0a];

type Edit = { at: number; kind: number; n: number; byte: number; word: number };

/** `seed` with a few random edits: byte flips, edge bytes, inserted or deleted runs, a cut, and
 * 8-byte little-endian words of edge values (lengths and offsets). */
export function mutatedBytes(seed: Uint8Array, maxEdits = 6): fc.Arbitrary<Buffer> {
  const edit = fc.record({
    at: fc.nat(), kind: fc.nat({ max: 6 }), n: fc.integer({ min: 1, max: 64 }),
    byte: fc.oneof(fc.constantFrom(...EDGE_BYTES), fc.nat({ max: 255 })), word: fc.nat({ max: 5 }),
  });
  return fc.array(edit, { minLength: 1, maxLength: maxEdits }).map((edits: Edit[]) => {
    let b = Buffer.from(seed);
    for (const e of edits) {
      const at = b.length ? e.at % (b.length + 1) : 0;
      switch (e.kind) {
        case 0: if (at < b.length) b[at] ^= 1 << (e.byte & 7); break;
        case 1: if (at < b.length) b[at] = e.byte; break;
        case 2: b = Buffer.concat([b.subarray(0, at), Buffer.alloc(e.n, e.byte), b.subarray(at)]); break;
        case 3: b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.n)]); break;
        case 4: b = b.subarray(0, at); break;
        case 5: {
          const words = [0n, 1n, 0xffffffffn, 0x7fffffffffffffffn, 0xffffffffffffffffn, BigInt(b.length) * 1000n];
          if (at + 8 <= b.length) { b = Buffer.from(b); b.writeBigUInt64LE(words[e.word], at); }
          break;
        }
        default: if (at < b.length) b = Buffer.concat([b, b.subarray(at, at + e.n)]);
      }
    }
    return b;
  });
}

/** JSON values that break naive readers: wrong types, edge numbers, long and odd strings. */
export const edgeJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -1, 1, 0.5, 2 ** 31, 2 ** 32, 2 ** 53, 1e9, 1e12, 1e308, -1e308, '', 'x'.repeat(5000), '\u0000', '../x', '__proto__', null, true, false, [], {}),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Paths (key lists) to every value inside `v`, itself included. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) v.slice(0, 50).forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

/** `seed` (a parsed JSON value) with a few values replaced, keys deleted or keys added. */
export function mutatedJson(seed: unknown, maxEdits = 4): fc.Arbitrary<unknown> {
  const all = paths(seed);
  const edit = fc.record({ path: fc.nat({ max: all.length - 1 }), kind: fc.nat({ max: 2 }), value: edgeJson, key: fc.constantFrom('extra', '__proto__', 'constructor', 'model', 'vocab', 'type') });
  return fc.array(edit, { minLength: 1, maxLength: maxEdits }).map((edits) => {
    const v = structuredClone(seed) as Record<string | number, unknown>;
    let root: unknown = v;
    for (const edit of edits) {
      // constantFrom hands out one shared {} or []: a copy per edit, or edits could build a cycle.
      const e = { ...edit, value: structuredClone(edit.value) };
      const path = all[e.path];
      if (!path.length) { if (e.kind === 0) root = e.value; continue; }
      let parent: unknown = root;
      for (const k of path.slice(0, -1)) parent = parent && typeof parent === 'object' ? (parent as Record<string | number, unknown>)[k] : undefined;
      if (!parent || typeof parent !== 'object') continue;
      const obj = parent as Record<string | number, unknown>, last = path[path.length - 1];
      if (e.kind === 0) obj[last] = e.value;
      else if (e.kind === 1) { if (Array.isArray(obj)) obj.splice(Number(last), 1); else delete obj[last]; }
      else if (!Array.isArray(obj)) Object.defineProperty(obj, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
    }
    return root;
  });
}
