// Worker for packDocuments: builds the encoder named in workerData once, then turns batches of
// texts into one flat token array plus per-text lengths, transferred back without copying.
import { parentPort, workerData } from 'node:worker_threads';
import { loadEncoder, type EncoderSpec } from './pack.js';

const encoder = await loadEncoder(workerData as EncoderSpec);
parentPort!.on('message', (msg: { id: number; texts: string[] }) => {
  const parts = msg.texts.map((t) => encoder.encode(t));
  const lengths = Uint32Array.from(parts, (p) => p.length);
  const tokens = new Uint32Array(lengths.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const p of parts) {
    tokens.set(p, at);
    at += p.length;
  }
  parentPort!.postMessage({ id: msg.id, tokens, lengths }, [tokens.buffer, lengths.buffer]);
});
