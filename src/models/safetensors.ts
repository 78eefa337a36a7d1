// The safetensors format: an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw little-endian data. The header is checked in
// full (lengths, offsets, overlaps, sizes) before any tensor is read, so a corrupt or hostile file
// fails with a message naming the tensor instead of allocating gigabytes.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './dtypes.js';

export type SafeDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const BYTES: Record<SafeDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** Headers past this are not model files (the largest real ones are a few MB). */
const MAX_HEADER = 100 * 1024 * 1024;
/** One readSync call moves at most this much (Node's per-call limit is 2 GiB). */
const CHUNK = 1 << 30;

export interface TensorInfo {
  name: string;
  dtype: SafeDType;
  shape: number[];
  /** Byte range within the data section (after the header). */
  begin: number;
  end: number;
}

export class SafetensorsError extends Error {}

/** Parses and validates a header (the JSON text) for a data section of `dataBytes` bytes. */
export function parseHeader(json: string, dataBytes: number, file: string): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  const fail = (msg: string): never => { throw new SafetensorsError(`${file}: ${msg}`); };
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail('header is not a JSON object');
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!entry || typeof entry !== 'object' || Object.values(entry).some((v) => typeof v !== 'string')) fail('__metadata__ must map strings to strings');
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object') fail(`tensor "${name}": entry is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in BYTES)) fail(`tensor "${name}": unsupported dtype ${JSON.stringify(e.dtype)}`);
    const dtype = e.dtype as SafeDType;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}": shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
    const shape = e.shape as number[];
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[0] > offs[1]) {
      fail(`tensor "${name}": data_offsets ${JSON.stringify(offs)} must be [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [b, en] = offs as [number, number];
    if (en > dataBytes) fail(`tensor "${name}": data_offsets [${b}, ${en}] run past the end of the data (${dataBytes} bytes)`);
    let count = 1;
    for (const d of shape) {
      count *= d;
      if (count > Number.MAX_SAFE_INTEGER / 8) fail(`tensor "${name}": shape [${shape.join(', ')}] is absurdly large`);
    }
    if (count * BYTES[dtype] !== en - b) fail(`tensor "${name}": ${dtype} [${shape.join(', ')}] needs ${count * BYTES[dtype]} bytes but data_offsets span ${en - b}`);
    tensors.set(name, { name, dtype, shape, begin: b, end: en });
  }
  const sorted = [...tensors.values()].sort((x, y) => x.begin - y.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) fail(`tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap`);
  }
  return { tensors, metadata };
}

/** An open safetensors file: the validated header, tensors read one at a time on request. */
export class SafetensorsFile {
  readonly tensors: Map<string, TensorInfo>;
  readonly metadata: Record<string, string>;
  private readonly fd: number;
  private readonly dataStart: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      const size = fstatSync(this.fd).size;
      if (size < 8) throw new SafetensorsError(`${path}: ${size} bytes is too short for a safetensors file`);
      const lenBuf = Buffer.alloc(8);
      readSync(this.fd, lenBuf, 0, 8, 0);
      const n = lenBuf.readBigUInt64LE(0);
      if (n > BigInt(size - 8)) throw new SafetensorsError(`${path}: header length ${n} runs past the end of the ${size}-byte file`);
      if (n > BigInt(MAX_HEADER)) throw new SafetensorsError(`${path}: header length ${n} is absurd (limit ${MAX_HEADER})`);
      const header = Buffer.alloc(Number(n));
      readSync(this.fd, header, 0, header.length, 8);
      this.dataStart = 8 + header.length;
      ({ tensors: this.tensors, metadata: this.metadata } = parseHeader(header.toString('utf8'), size - this.dataStart, path));
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new SafetensorsError(`${this.path}: no tensor "${name}"`);
    return t;
  }

  /** The tensor's raw bytes, in a fresh 8-byte-aligned buffer. */
  private bytes(t: TensorInfo): Uint8Array {
    const out = new Uint8Array(t.end - t.begin);
    for (let done = 0; done < out.length;) {
      const n = readSync(this.fd, out, done, Math.min(CHUNK, out.length - done), this.dataStart + t.begin + done);
      if (n <= 0) throw new SafetensorsError(`${this.path}: tensor "${t.name}" ends early`);
      done += n;
    }
    return out;
  }

  /** A float tensor (F32/F16/BF16/F64) as float32, written into `out` when given. */
  readFloat(name: string, out?: Float32Array): Float32Array {
    const t = this.info(name), raw = this.bytes(t), n = raw.length / BYTES[t.dtype];
    const dst = out ?? new Float32Array(n);
    if (dst.length !== n) throw new SafetensorsError(`${this.path}: tensor "${name}" has ${n} elements, the destination ${dst.length}`);
    switch (t.dtype) {
      case 'F32': dst.set(new Float32Array(raw.buffer, 0, n)); break;
      case 'BF16': bf16ToF32(new Uint16Array(raw.buffer, 0, n), dst); break;
      case 'F16': f16ToF32(new Uint16Array(raw.buffer, 0, n), dst); break;
      case 'F64': dst.set(new Float64Array(raw.buffer, 0, n)); break;
      default: throw new SafetensorsError(`${this.path}: tensor "${name}" is ${t.dtype}, not a float type`);
    }
    return dst;
  }

  /** An integer tensor (I64/I32/I16/I8/U8/BOOL) as numbers; I64 values must fit a double exactly. */
  readInts(name: string): number[] {
    const t = this.info(name), raw = this.bytes(t), n = raw.length / BYTES[t.dtype];
    switch (t.dtype) {
      case 'I64': return Array.from(new BigInt64Array(raw.buffer, 0, n), (v) => {
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new SafetensorsError(`${this.path}: "${name}" holds ${v}, beyond exact doubles`);
        return Number(v);
      });
      case 'I32': return Array.from(new Int32Array(raw.buffer, 0, n));
      case 'I16': return Array.from(new Int16Array(raw.buffer, 0, n));
      case 'I8': return Array.from(new Int8Array(raw.buffer, 0, n));
      case 'U8': case 'BOOL': return Array.from(raw);
      default: throw new SafetensorsError(`${this.path}: tensor "${name}" is ${t.dtype}, not an integer type`);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface TensorToWrite { name: string; shape: readonly number[]; data: Float32Array }

/** Writes float32 tensors as F32, BF16 or F16, in the given order, with `__metadata__`. */
export function writeSafetensors(path: string, tensors: TensorToWrite[], dtype: 'F32' | 'BF16' | 'F16' = 'F32',
  metadata: Record<string, string> = { format: 'pt' }): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, d) => a * d, 1);
    if (n !== t.data.length) throw new SafetensorsError(`${path}: tensor "${t.name}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + n * BYTES[dtype]] };
    offset += n * BYTES[dtype];
  }
  // Pad the JSON with spaces so the data section starts 8-byte aligned, as the reference writer does.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const fd = openSync(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    writeSync(fd, len);
    writeSync(fd, Buffer.from(json, 'utf8'));
    for (const t of tensors) {
      const data = dtype === 'F32' ? t.data : dtype === 'BF16' ? f32ToBf16(t.data) : f32ToF16(t.data);
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, Math.min(CHUNK, bytes.length - done));
    }
  } finally {
    closeSync(fd);
  }
}
