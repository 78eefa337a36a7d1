// The data pipeline on the Brown corpus (500 documents, 6 MB). Keys:
//   minhash_docs_s                 MinHash signatures (128 permutations, 5-word shingles) + LSH
//                                  query/insert, documents per second
//   data_brown_process_s           normalise → clean → quality → dedup → near dedup → PII → decontam
//                                  → split → cross-split dedup, seconds
//   data_brown_pack_s              tokenize (8k byte-level BPE trained on the processed text; the
//                                  training is not timed) and pack into shards on worker threads
//   data_brown_pack_s_main_thread  the same on the calling thread only: the baseline for the workers
//   data_brown_pipeline_s          process + pack, seconds
//   data_brown_tokens              tokens written
//   data_pack_tok_s, data_pack_tok_s_main_thread
//                                  tokens per second packing the processed text eight times over
//                                  (11M tokens), with workers and without: where workers pay for
//                                  their start-up (each loads the tokenizer), unlike on Brown alone
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from './harness.js';
import { brownDocuments } from '../src/data/brown.js';
import { DATA_DEFAULTS } from '../src/data/config.js';
import { LshIndex, MinHasher } from '../src/data/minhash.js';
import { packDocuments, type EncoderSpec } from '../src/data/pack.js';
import { processDocs } from '../src/data/pipeline.js';
import { saveTokenizer, trainBpe } from '../src/tokenizer/index.js';

export const prefixes = ['data', 'minhash'];

export async function run(b: Bench): Promise<void> {
  const docs = [...brownDocuments()].map((d) => ({ id: d.id, text: d.text }));

  if (b.wants('minhash')) {
    const { numPerm, shingle, seed, threshold } = DATA_DEFAULTS.nearDup;
    const ms = b.time(() => {
      const hasher = new MinHasher(numPerm, shingle, seed);
      const index = new LshIndex(numPerm, threshold);
      for (const d of docs) {
        const sig = hasher.signature(d.text)!;
        if (index.query(sig) === null) index.insert(sig);
      }
    }, { warmup: 1, reps: 3 });
    b.record('minhash_docs_s', docs.length / (ms / 1000), `${docs.length} Brown documents, ${numPerm} permutations`);
  }

  if (b.wants('data')) {
    const processMs = b.time(() => void processDocs(docs), { warmup: 0, reps: 3 });
    const { train } = processDocs(docs);
    const dir = mkdtempSync(join(tmpdir(), 'bench-data-'));
    try {
      const tokDir = join(dir, 'tokenizer');
      saveTokenizer(trainBpe(train.map((d) => d.text), { vocabSize: 8192 }), tokDir);
      const spec: EncoderSpec = { module: new URL('../src/tokenizer/index.js', import.meta.url).href, exportName: 'loadTokenizer', args: [tokDir] };
      let tokens = 0;
      const pack = (workers: number, corpus = train) => async (): Promise<void> => {
        const r = await packDocuments(corpus, spec, { prefix: join(dir, `w${workers}`), vocabSize: 8192, eosId: 8191, shardTokens: 50_000_000, workers });
        tokens = r.tokens + r.documents;
      };
      const workers = Math.max(1, availableParallelism());
      const packMs = await b.timeAsync(pack(workers), { warmup: 1, reps: 3 });
      const mainMs = await b.timeAsync(pack(0), { warmup: 1, reps: 3 });
      const brownTokens = tokens;
      const eight = Array.from({ length: 8 }, () => train).flat();
      const bigMs = await b.timeAsync(pack(workers, eight), { warmup: 0, reps: 2 });
      const bigMainMs = await b.timeAsync(pack(0, eight), { warmup: 0, reps: 2 });
      b.record('data_brown_process_s', processMs / 1000, `${docs.length} → ${train.length} train documents`);
      b.record('data_brown_pack_s', packMs / 1000, `${workers} worker threads`);
      b.record('data_brown_pack_s_main_thread', mainMs / 1000, 'baseline: no workers');
      b.record('data_brown_pipeline_s', (processMs + packMs) / 1000, 'process + tokenize + pack');
      b.record('data_brown_tokens', brownTokens, '8k byte-level BPE, one end token per document');
      b.record('data_pack_tok_s', tokens / (bigMs / 1000), `${tokens} tokens, ${workers} worker threads`);
      b.record('data_pack_tok_s_main_thread', tokens / (bigMainMs / 1000), 'baseline: no workers');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
