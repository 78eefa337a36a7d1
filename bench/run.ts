// `npm run bench -- [--json FILE] [--only PREFIX[,PREFIX]]`: runs every benchmark module, prints a
// table, and writes one flat JSON object of named numbers.
import { writeFileSync } from 'node:fs';
import { Bench, type BenchModule } from './harness.js';
import { kernels } from '../src/engine/backend.js';

// One module per hot path; each records its own keys (see harness.ts).
const MODULES = ['gemm', 'attention', 'models', 'quant', 'data', 'tokenizer', 'train', 'rlhf', 'serve', 'selfinstruct', 'longctx', 'moe', 'distributed'];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let json: string | undefined;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') json = argv[++i];
    else if (argv[i] === '--only') only.push(...argv[++i].split(','));
    else if (argv[i] === '--help') {
      console.log('usage: npm run bench -- [--json FILE] [--only PREFIX[,PREFIX...]]');
      return;
    } else throw new Error(`bench: unknown argument ${argv[i]} (try --help)`);
  }
  const bench = new Bench(only);
  const k = kernels();
  bench.record('threads', k.threads, `${k.name} backend, ${k.isa}`);
  bench.record('isa', k.isa);
  for (const name of MODULES) {
    const mod = (await import(`./${name}.js`)) as BenchModule;
    if (mod.prefixes.some((p) => bench.wants(p))) await mod.run(bench);
  }
  if (json) {
    writeFileSync(json, JSON.stringify(bench.results, null, 2) + '\n');
    console.log(`wrote ${json}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
