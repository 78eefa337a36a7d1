// Reading a GGUF file's header back (version 2 or 3): metadata key-values and tensor descriptors,
// each length and count checked against the bytes left in the file before anything is allocated,
// so a hostile or truncated file fails naming the field instead of allocating what it promises.
// Tensor data is not read; its extent is checked against the file's size. `rlhf export gguf`
// reads its own output back with this, and the fuzz tests feed it mutated files.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  /** Row-major, outermost first (the file lists dimensions innermost first). */
  shape: number[];
  /** ggml type: 0 F32, 1 F16, 8 Q8_0, 30 BF16. */
  type: number;
  /** Byte offset within the data section. */
  offset: number;
  bytes: number;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
  /** Where the data section starts (aligned). */
  dataStart: number;
  fileBytes: number;
}

export class GgufError extends Error {}

/** [elements, bytes] of a block of the ggml types this reader sizes (Q8_0: 32 int8 and a float16 scale). */
const TYPE_BLOCK: Record<number, [number, number]> = { 0: [1, 4], 1: [1, 2], 8: [32, 34], 30: [1, 2] };
/** Fixed sizes of the scalar metadata types, by GGUF value type. */
const SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8, ARRAY = 9;
/** Arrays of arrays deeper than this are not GGUF any tool writes. */
const MAX_DEPTH = 4;
const CHUNK = 1 << 20;

/** Positioned reads through a 1 MiB window; every read is checked against the file's end. */
class Cursor {
  pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  constructor(private readonly fd: number, readonly size: number, private readonly fail: (msg: string) => never) {}

  left(): number { return this.size - this.pos; }

  private take(n: number, what: string): Buffer {
    if (n > this.left()) this.fail(`${what} at byte ${this.pos} needs ${n} bytes, only ${this.left()} are left`);
    if (this.pos < this.bufStart || this.pos + n > this.bufStart + this.buf.length) {
      this.buf = Buffer.alloc(Math.min(Math.max(n, CHUNK), this.left()));
      this.bufStart = this.pos;
      for (let done = 0; done < this.buf.length;) {
        const got = readSync(this.fd, this.buf, done, this.buf.length - done, this.pos + done);
        if (got <= 0) this.fail(`file ended early at byte ${this.pos + done}`);
        done += got;
      }
    }
    const at = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(at, at + n);
  }

  u32(what: string): number { return this.take(4, what).readUInt32LE(0); }
  u64(what: string): number {
    const v = this.take(8, what).readBigUInt64LE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${v} is beyond any file`);
    return Number(v);
  }
  bytes(n: number, what: string): Buffer { return this.take(n, what); }
  str(what: string): string {
    const n = this.u64(`${what}'s length`);
    const b = this.take(n, what);
    return b.toString('utf8');
  }
}

function readValue(c: Cursor, type: number, key: string, depth: number, fail: (msg: string) => never): GgufValue {
  if (type === STRING) return c.str(`string "${key}"`);
  if (type === ARRAY) {
    if (depth >= MAX_DEPTH) fail(`"${key}": arrays nested deeper than ${MAX_DEPTH}`);
    const of = c.u32(`"${key}"'s element type`);
    const n = c.u64(`"${key}"'s length`);
    // Every element takes at least one byte (a string at least its 8-byte length), so a count
    // the rest of the file cannot hold is refused before the array is made.
    const least = of === STRING ? 8 : of === ARRAY ? 12 : SCALAR_BYTES[of];
    if (least === undefined) fail(`"${key}": unknown array element type ${of}`);
    if (n * least > c.left()) fail(`"${key}": ${n} elements cannot fit in the ${c.left()} bytes left`);
    const out: GgufValue[] = [];
    for (let i = 0; i < n; i++) out.push(readValue(c, of, key, depth + 1, fail));
    return out;
  }
  const size = SCALAR_BYTES[type];
  if (size === undefined) fail(`"${key}": unknown value type ${type}`);
  const b = c.bytes(size, `"${key}"`);
  switch (type) {
    case 0: return b.readUInt8(0);
    case 1: return b.readInt8(0);
    case 2: return b.readUInt16LE(0);
    case 3: return b.readInt16LE(0);
    case 4: return b.readUInt32LE(0);
    case 5: return b.readInt32LE(0);
    case 6: return b.readFloatLE(0);
    case 7: {
      if (b[0] > 1) fail(`"${key}": bool byte ${b[0]}`);
      return b[0] === 1;
    }
    case 10: return b.readBigUInt64LE(0);
    case 11: return b.readBigInt64LE(0);
    default: return b.readDoubleLE(0);
  }
}

/** Reads and checks the header of the GGUF file at `path`. */
export function readGgufHeader(path: string): GgufHeader {
  const fail = (msg: string): never => { throw new GgufError(`${path}: ${msg}`); };
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const c = new Cursor(fd, size, fail);
    if (size < 24 || c.bytes(4, 'magic').toString('latin1') !== 'GGUF') fail('not a GGUF file (no "GGUF" magic)');
    const version = c.u32('version');
    if (version !== 2 && version !== 3) fail(`GGUF version ${version}, this reader knows 2 and 3`);
    const nTensors = c.u64('tensor count'), nKv = c.u64('metadata count');
    // Each key-value takes at least 8 + 1 + 4 bytes, each tensor descriptor 8 + 1 + 4 + 4 + 8.
    if (nKv * 13 + nTensors * 25 > c.left()) fail(`${nTensors} tensors and ${nKv} metadata entries cannot fit in ${size} bytes`);
    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < nKv; i++) {
      const key = c.str(`metadata key ${i}`);
      if (metadata.has(key)) fail(`metadata key "${key}" appears twice`);
      metadata.set(key, readValue(c, c.u32(`"${key}"'s type`), key, 0, fail));
    }
    const align = metadata.get('general.alignment') ?? 32;
    if (typeof align !== 'number' || !Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0) fail(`general.alignment ${String(align)} is not a power of two`);
    const alignment = align as number;
    const tensors: GgufTensorInfo[] = [];
    const names = new Set<string>();
    for (let i = 0; i < nTensors; i++) {
      const name = c.str(`tensor ${i}'s name`);
      if (names.has(name)) fail(`tensor "${name}" appears twice`);
      names.add(name);
      const nd = c.u32(`"${name}"'s dimension count`);
      if (nd < 1 || nd > 4) fail(`tensor "${name}" has ${nd} dimensions (ggml allows 1 to 4)`);
      const dims: number[] = [];
      for (let d = 0; d < nd; d++) dims.push(c.u64(`"${name}"'s dimension ${d}`));
      const type = c.u32(`"${name}"'s type`);
      const offset = c.u64(`"${name}"'s offset`);
      const block = TYPE_BLOCK[type];
      if (block === undefined) fail(`tensor "${name}" has ggml type ${type} (this reader sizes F32, F16, Q8_0 and BF16)`);
      const [per, bytesPer] = block;
      if (dims[0] % per) fail(`tensor "${name}" has rows of ${dims[0]} values, not a multiple of its type's block of ${per}`);
      let count = 1;
      for (const d of dims) {
        count *= d;
        if ((count / per) * bytesPer > size) fail(`tensor "${name}" [${[...dims].reverse().join(', ')}] is larger than the file`);
      }
      if (offset % alignment) fail(`tensor "${name}" offset ${offset} is not ${alignment}-byte aligned`);
      tensors.push({ name, shape: [...dims].reverse(), type, offset, bytes: (count / per) * bytesPer });
    }
    const dataStart = Math.ceil(c.pos / alignment) * alignment;
    const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
    sorted.forEach((t, i) => {
      if (dataStart + t.offset + t.bytes > size) fail(`tensor "${t.name}" runs past the end of the file (${size} bytes)`);
      if (i && t.offset < sorted[i - 1].offset + sorted[i - 1].bytes) fail(`tensors "${sorted[i - 1].name}" and "${t.name}" overlap`);
    });
    return { version, metadata, tensors, dataStart, fileBytes: size };
  } finally {
    closeSync(fd);
  }
}
