// Binary token shards. One file holds many documents' tokens back to back, then an index:
//
//   offset  size              field
//   0       8                 magic "RLHFTOK1"
//   8       4  u32            version (1)
//   12      4  u32            bytes per token: 2 (uint16, vocabulary ≤ 65536) or 4 (uint32)
//   16      4  u32            vocabulary size
//   20      4  u32            end-of-document token id appended to each document, 0xffffffff if none
//   24      8  u64            number of tokens N
//   32      8  u64            number of documents D
//   40      8  u64            byte offset of the index
//   48      16                zero
//   64      N × bytes         tokens, little-endian
//   index   (D + 1) × 8 u64   token offset where each document starts, then N
//
// The writer streams tokens to disk and writes the index at the end; the reader keeps only the
// header and index in memory and reads token ranges with positioned reads, so a shard may be far
// larger than memory.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

export const SHARD_MAGIC = 'RLHFTOK1';
export const SHARD_HEADER_BYTES = 64;
export const NO_EOS = 0xffffffff;

export interface ShardHeader {
  bytesPerToken: 2 | 4;
  vocabSize: number;
  /** Token appended after every document, or NO_EOS. */
  eosId: number;
  numTokens: number;
  numDocs: number;
}

/** uint16 when every id fits, else uint32. */
export function bytesPerTokenFor(vocabSize: number): 2 | 4 {
  return vocabSize <= 65536 ? 2 : 4;
}

export class ShardWriter {
  private readonly fd: number;
  private readonly buf: Uint16Array | Uint32Array;
  private bufUsed = 0;
  private readonly offsets: number[] = [0];
  private numTokens = 0;
  private closed = false;

  constructor(readonly path: string, readonly vocabSize: number, readonly eosId = NO_EOS, bufferTokens = 1 << 18) {
    if (eosId !== NO_EOS && (eosId < 0 || eosId >= vocabSize)) throw new RangeError(`ShardWriter: eosId ${eosId} outside vocabulary of ${vocabSize}`);
    this.buf = bytesPerTokenFor(vocabSize) === 2 ? new Uint16Array(bufferTokens) : new Uint32Array(bufferTokens);
    this.fd = openSync(path, 'w');
    writeSync(this.fd, Buffer.alloc(SHARD_HEADER_BYTES)); // patched in close()
  }

  get bytesPerToken(): 2 | 4 {
    return bytesPerTokenFor(this.vocabSize);
  }

  get tokens(): number {
    return this.numTokens;
  }

  get documents(): number {
    return this.offsets.length - 1;
  }

  /** Appends one document (and the end-of-document token, if set). */
  addDocument(tokens: ArrayLike<number>): void {
    if (this.closed) throw new Error(`ShardWriter: ${this.path} is closed`);
    for (let i = 0; i < tokens.length; i++) {
      const id = tokens[i];
      if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize)) {
        throw new RangeError(`ShardWriter: token ${id} at position ${i} of document ${this.documents} is outside the vocabulary of ${this.vocabSize}`);
      }
    }
    // Validated above, so the copy runs without per-token checks, in runs that fit the buffer.
    for (let at = 0; at < tokens.length; ) {
      if (this.bufUsed === this.buf.length) this.flush();
      const n = Math.min(tokens.length - at, this.buf.length - this.bufUsed);
      for (let i = 0; i < n; i++) this.buf[this.bufUsed + i] = tokens[at + i];
      this.bufUsed += n;
      at += n;
    }
    this.numTokens += tokens.length;
    if (this.eosId !== NO_EOS) {
      if (this.bufUsed === this.buf.length) this.flush();
      this.buf[this.bufUsed++] = this.eosId;
      this.numTokens++;
    }
    this.offsets.push(this.numTokens);
  }

  // Typed arrays are host-endian; every platform Node supports here is little-endian, as the
  // format is.
  private flush(): void {
    if (this.bufUsed > 0) writeSync(this.fd, this.buf.subarray(0, this.bufUsed));
    this.bufUsed = 0;
  }

  /** Writes the index and the header; returns the header. */
  close(): ShardHeader {
    this.flush();
    const indexOffset = SHARD_HEADER_BYTES + this.numTokens * this.bytesPerToken;
    const index = Buffer.alloc(this.offsets.length * 8);
    this.offsets.forEach((o, i) => index.writeBigUInt64LE(BigInt(o), i * 8));
    writeSync(this.fd, index, 0, index.length, indexOffset);
    const header: ShardHeader = { bytesPerToken: this.bytesPerToken, vocabSize: this.vocabSize, eosId: this.eosId, numTokens: this.numTokens, numDocs: this.documents };
    writeSync(this.fd, encodeHeader(header, indexOffset), 0, SHARD_HEADER_BYTES, 0);
    closeSync(this.fd);
    this.closed = true;
    return header;
  }
}

function encodeHeader(h: ShardHeader, indexOffset: number): Buffer {
  const b = Buffer.alloc(SHARD_HEADER_BYTES);
  b.write(SHARD_MAGIC, 0, 'latin1');
  b.writeUInt32LE(1, 8);
  b.writeUInt32LE(h.bytesPerToken, 12);
  b.writeUInt32LE(h.vocabSize, 16);
  b.writeUInt32LE(h.eosId, 20);
  b.writeBigUInt64LE(BigInt(h.numTokens), 24);
  b.writeBigUInt64LE(BigInt(h.numDocs), 32);
  b.writeBigUInt64LE(BigInt(indexOffset), 40);
  return b;
}

export class ShardReader {
  readonly header: ShardHeader;
  /** Token offset of each document's start, then numTokens: [numDocs + 1]. */
  readonly offsets: Float64Array;
  private fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    const h = Buffer.alloc(SHARD_HEADER_BYTES);
    const got = readSync(this.fd, h, 0, SHARD_HEADER_BYTES, 0);
    const fail = (what: string): never => {
      closeSync(this.fd);
      throw new Error(`${path}: ${what}`);
    };
    if (got < SHARD_HEADER_BYTES || h.toString('latin1', 0, 8) !== SHARD_MAGIC) fail(`not a token shard (expected magic ${SHARD_MAGIC}); rebuild it with \`rlhf data pack\``);
    const version = h.readUInt32LE(8);
    if (version !== 1) fail(`shard version ${version}, this reader knows 1`);
    const bpt = h.readUInt32LE(12);
    if (bpt !== 2 && bpt !== 4) fail(`bytes per token ${bpt}, expected 2 or 4`);
    const u64 = (at: number, what: string): number => {
      const v = h.readBigUInt64LE(at);
      return v > BigInt(Number.MAX_SAFE_INTEGER) ? fail(`${what} ${v} is beyond any file`) : Number(v);
    };
    this.header = {
      bytesPerToken: bpt as 2 | 4,
      vocabSize: h.readUInt32LE(16),
      eosId: h.readUInt32LE(20),
      numTokens: u64(24, 'token count'),
      numDocs: u64(32, 'document count'),
    };
    const { vocabSize, eosId, numTokens, numDocs } = this.header;
    if (vocabSize === 0 || (bpt === 2 && vocabSize > 65536)) fail(`vocabulary size ${vocabSize} does not fit ${bpt}-byte tokens`);
    if (eosId !== NO_EOS && eosId >= vocabSize) fail(`end-of-document id ${eosId} is outside the vocabulary of ${vocabSize}`);
    const indexOffset = u64(40, 'index offset');
    if (indexOffset !== SHARD_HEADER_BYTES + numTokens * bpt) fail(`index offset ${indexOffset} does not follow ${numTokens} tokens of ${bpt} bytes (truncated file?)`);
    // The index must be in the file before it is allocated: a header may promise 10^15 documents.
    const size = fstatSync(this.fd).size;
    if (indexOffset + (numDocs + 1) * 8 !== size) fail(`${size} bytes, but the header promises ${numTokens} tokens and an index of ${numDocs} documents (${indexOffset + (numDocs + 1) * 8} bytes); truncated or not a shard`);
    const index = Buffer.alloc((numDocs + 1) * 8);
    if (readSync(this.fd, index, 0, index.length, indexOffset) !== index.length) fail(`index of ${numDocs} documents is truncated`);
    this.offsets = new Float64Array(numDocs + 1);
    for (let i = 0; i <= numDocs; i++) {
      this.offsets[i] = Number(index.readBigUInt64LE(i * 8));
      if (i ? this.offsets[i] < this.offsets[i - 1] : this.offsets[0] !== 0) fail(`index entry ${i} (${this.offsets[i]}) is out of order`);
    }
    if (this.offsets[numDocs] !== numTokens) fail('index does not end at the token count');
  }

  get numTokens(): number {
    return this.header.numTokens;
  }

  get numDocs(): number {
    return this.header.numDocs;
  }

  /** Tokens [start, start + count) into out (allocated if not given); an id outside the
   * vocabulary is an error naming its position. */
  read(start: number, count: number, out: Int32Array = new Int32Array(count)): Int32Array {
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= this.numTokens)) {
      throw new RangeError(`${this.path}: tokens [${start}, ${start + count}) outside [0, ${this.numTokens})`);
    }
    const bpt = this.header.bytesPerToken;
    const raw = bpt === 2 ? new Uint16Array(count) : new Uint32Array(count);
    const view = new Uint8Array(raw.buffer);
    if (readSync(this.fd, view, 0, view.length, SHARD_HEADER_BYTES + start * bpt) !== view.length) throw new Error(`${this.path}: tokens [${start}, ${start + count}) are cut off (truncated file?)`);
    const V = this.header.vocabSize;
    for (let i = 0; i < count; i++) if (raw[i] >= V) throw new Error(`${this.path}: token ${start + i} is ${raw[i]}, outside the vocabulary of ${V}`);
    out.set(raw);
    return out;
  }

  /** Document i's tokens, including its end-of-document token if the shard has one. */
  document(i: number): Int32Array {
    if (!(i >= 0 && i < this.numDocs)) throw new RangeError(`${this.path}: document ${i} outside [0, ${this.numDocs})`);
    return this.read(this.offsets[i], this.offsets[i + 1] - this.offsets[i]);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Writes documents into numbered shards `prefix-00000.bin`, … of at most maxTokens tokens each
 * (a document is never split; a longer one gets a shard of its own). */
export class ShardSetWriter {
  private current: ShardWriter | null = null;
  readonly written: { path: string; header: ShardHeader }[] = [];

  constructor(private readonly prefix: string, private readonly vocabSize: number, private readonly eosId: number, private readonly maxTokens: number) {}

  addDocument(tokens: ArrayLike<number>): void {
    const len = tokens.length + (this.eosId === NO_EOS ? 0 : 1);
    if (this.current && this.current.tokens > 0 && this.current.tokens + len > this.maxTokens) this.finishShard();
    if (!this.current) this.current = new ShardWriter(`${this.prefix}-${String(this.written.length).padStart(5, '0')}.bin`, this.vocabSize, this.eosId);
    this.current.addDocument(tokens);
  }

  private finishShard(): void {
    if (!this.current) return;
    this.written.push({ path: this.current.path, header: this.current.close() });
    this.current = null;
  }

  close(): { path: string; header: ShardHeader }[] {
    this.finishShard();
    return this.written;
  }
}
