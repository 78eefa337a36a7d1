// Builds the native backend with node-gyp at install time. A failed build must not fail the
// install: the plain-TypeScript reference backend runs instead, and we say so in one line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

if (process.env.RLHF_SKIP_NATIVE === '1') {
  console.warn('rlhf-ts: RLHF_SKIP_NATIVE=1, using the TypeScript reference backend');
  process.exit(0);
}

// npm runs install scripts with npm_config_node_gyp pointing at its own node-gyp; run by hand,
// look for the copy bundled with the npm next to this node.
const gyp = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')]
  .find((p) => p && existsSync(p));
// Build against this node's own headers (never download them): npm passes npm_config_nodedir.
const nodedir = process.env.npm_config_nodedir ?? dirname(dirname(process.execPath));
const gypArgs = ['rebuild', ...(existsSync(join(nodedir, 'include/node/node_api.h')) ? [`--nodedir=${nodedir}`] : [])];
const [cmd, args] = gyp ? [process.execPath, [gyp, ...gypArgs]] : ['node-gyp', gypArgs];
const verbose = process.env.RLHF_NATIVE_VERBOSE === '1';
const result = spawnSync(cmd, args, { stdio: verbose ? 'inherit' : 'pipe', encoding: 'utf8' });
if (result.status !== 0) {
  const why = result.error ? result.error.message : (result.stderr || '').trim().split('\n').filter((l) => /error/i.test(l))[0] ?? `exit ${result.status}`;
  console.warn(`rlhf-ts: native backend not built (${why}); using the TypeScript reference backend (slower). RLHF_NATIVE_VERBOSE=1 npm rebuild shows the full log.`);
}
