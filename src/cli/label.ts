// `rlhf label import|export|status|user`: the labeling database from the command line. The web
// app itself is mounted by `rlhf serve --db FILE`.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { formatHelp, parseArgs, UsageError, type CommandSpec, type Parsed } from './args.js';
import { addUser, listUsers, setPassword } from '../label/auth.js';
import { DEFAULT_PER_PROMPT, ROLES, SAMPLE_DEFAULTS, type UserRole } from '../label/config.js';
import { openLabelDb } from '../label/db.js';
import { ktoRecords, rankingRecords, toJsonl } from '../label/export.js';
import { labelReport } from '../label/report.js';
import { addTaskSet, checkTaskSetName } from '../label/tasks.js';

const DB = { type: 'string', help: 'the labeling database (SQLite file)' } as const;

const SPECS: Record<string, CommandSpec> = {
  import: {
    name: 'rlhf label import',
    summary: 'load a task set: K responses per prompt sampled from a model, or given in a file',
    usage: 'rlhf label import --db FILE (--prompts FILE --model DIR [--k 4] | --responses FILE) [flags]',
    flags: {
      db: DB,
      prompts: { type: 'string', help: 'prompt records ({"prompt": ...} per line) to sample responses for' },
      model: { type: 'string', help: 'model directory to sample from (with its tokenizer)' },
      responses: { type: 'string', help: 'records with their responses ({"prompt": ..., "responses": [...]} per line) instead of sampling' },
      k: { type: 'number', help: 'responses sampled per prompt', default: SAMPLE_DEFAULTS.k },
      temperature: { type: 'number', help: 'sampling temperature', default: SAMPLE_DEFAULTS.temperature },
      'top-p': { type: 'number', help: 'nucleus sampling mass (1 = off)', default: SAMPLE_DEFAULTS.topP },
      'max-new-tokens': { type: 'number', help: 'tokens per response at most', default: SAMPLE_DEFAULTS.maxNewTokens },
      seed: { type: 'number', help: 'sampling seed (prompt i uses seed + i)', default: SAMPLE_DEFAULTS.seed },
      limit: { type: 'number', help: 'use the first N prompts only (0 = all)', default: 0 },
      'per-prompt': { type: 'number', help: 'labelers who rank each prompt', default: DEFAULT_PER_PROMPT },
      name: { type: 'string', help: 'task set name (default: the input file name)' },
    },
  },
  export: {
    name: 'rlhf label export',
    summary: 'write the rankings (ranking format, ties kept) and the chat thumbs (KTO format)',
    usage: 'rlhf label export --db FILE [--out rankings.jsonl] [--kto kto.jsonl] [--set NAME]',
    flags: {
      db: DB,
      out: { type: 'string', help: 'rankings, one record per labeler and prompt, for `rlhf reward --data`' },
      kto: { type: 'string', help: 'chat thumbs as {prompt, completion, label} records' },
      set: { type: 'string', help: 'only this task set\'s rankings' },
    },
  },
  status: {
    name: 'rlhf label status',
    summary: 'progress per task set, agreement between labelers (Kendall tau-b), flags, chat ratings',
    usage: 'rlhf label status --db FILE [--json]',
    flags: { db: DB, json: { type: 'boolean', help: 'print the report as JSON', default: false } },
  },
  user: {
    name: 'rlhf label user',
    summary: 'accounts: add NAME --role admin|labeler, passwd NAME (passwords read from stdin), list',
    usage: 'rlhf label user add NAME --role admin|labeler --db FILE  |  user passwd NAME --db FILE  |  user list --db FILE',
    flags: { db: DB, role: { type: 'string', help: `one of ${ROLES.join(', ')}` } },
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(SPECS).map((c) => c.length)) + 2;
  return ['rlhf label: the labeling database (the web app runs in `rlhf serve --db FILE`)', '', 'usage: rlhf label <subcommand> [flags]', '', 'subcommands:',
    ...Object.entries(SPECS).map(([k, s]) => `  ${k.padEnd(width)}${s.summary}`)].join('\n');
}

function need(a: Parsed, spec: CommandSpec, key: string): string {
  const v = a.flags[key];
  if (typeof v !== 'string' || !v) throw new UsageError(`${spec.name}: --${key} is required (see --help)`);
  return v;
}

async function importCmd(a: Parsed, spec: CommandSpec): Promise<void> {
  const f = a.flags;
  const db = openLabelDb(need(a, spec, 'db'));
  try {
    const perPrompt = Number(f['per-prompt']);
    if (!Number.isInteger(perPrompt) || perPrompt < 1) throw new UsageError(`${spec.name}: --per-prompt must be a positive integer, got ${perPrompt}`);
    // Loaded here only: the model code is not needed by the other subcommands.
    const { readPrompts, readResponses, sampleResponses } = await import('../label/sources.js');
    if (f.responses !== undefined) {
      if (f.prompts !== undefined || f.model !== undefined) throw new UsageError(`${spec.name}: give --responses, or --prompts with --model, not both`);
      const file = String(f.responses);
      let tasks = await readResponses(file);
      if (Number(f.limit) > 0) tasks = tasks.slice(0, Number(f.limit));
      const set = addTaskSet(db, String(f.name ?? basename(file, '.jsonl')), perPrompt, { responses: file, limit: f.limit }, tasks);
      console.log(`task set ${set.name}: ${set.tasks} prompts from ${file}, ${perPrompt} labeler(s) each`);
      return;
    }
    const promptsFile = need(a, spec, 'prompts'), model = need(a, spec, 'model');
    const name = String(f.name ?? basename(promptsFile, '.jsonl'));
    checkTaskSetName(db, name);
    let prompts = await readPrompts(promptsFile);
    if (Number(f.limit) > 0) prompts = prompts.slice(0, Number(f.limit));
    const cfg = { k: Number(f.k), temperature: Number(f.temperature), topP: Number(f['top-p']), maxNewTokens: Number(f['max-new-tokens']), seed: Number(f.seed) };
    const started = Date.now();
    const { tasks, skipped } = await sampleResponses(model, prompts, cfg, (n) => {
      if (process.stderr.isTTY) process.stderr.write(`\rsampling: ${n}/${prompts.length} prompts`);
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    const set = addTaskSet(db, name, perPrompt, { prompts: promptsFile, model, ...cfg, limit: f.limit }, tasks);
    console.log(`task set ${set.name}: ${set.tasks} prompts × ${cfg.k} responses sampled from ${model} in ${((Date.now() - started) / 1000).toFixed(1)} s, ${perPrompt} labeler(s) each` +
      (skipped ? ` (${skipped} prompts left out: too long for the model, or only empty responses)` : ''));
  } finally {
    db.close();
  }
}

async function exportCmd(a: Parsed, spec: CommandSpec): Promise<void> {
  const f = a.flags;
  if (f.out === undefined && f.kto === undefined) throw new UsageError(`${spec.name}: give --out FILE (rankings) and/or --kto FILE (chat thumbs)`);
  const db = openLabelDb(need(a, spec, 'db'), { create: false });
  try {
    if (f.out !== undefined) {
      const records = rankingRecords(db, f.set === undefined ? undefined : String(f.set));
      writeFileSync(String(f.out), toJsonl(records));
      const ties = records.filter((r) => r.ties).length;
      console.log(`${f.out}: ${records.length} rankings (${ties} with ties)`);
    }
    if (f.kto !== undefined) {
      const records = ktoRecords(db);
      writeFileSync(String(f.kto), toJsonl(records));
      console.log(`${f.kto}: ${records.length} chat ratings (${records.filter((r) => r.label).length} good, ${records.filter((r) => !r.label).length} bad)`);
    }
  } finally {
    db.close();
  }
}

async function statusCmd(a: Parsed, spec: CommandSpec): Promise<void> {
  const db = openLabelDb(need(a, spec, 'db'), { create: false });
  try {
    const r = labelReport(db);
    if (a.flags.json) return void console.log(JSON.stringify(r, null, 2));
    const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(3));
    for (const s of r.sets) console.log(`task set ${s.name}: ${s.submissions}/${s.wanted} rankings, ${s.complete}/${s.prompts} prompts complete (${s.perPrompt} labeler(s) each)`);
    if (!r.sets.length) console.log('no task set yet (rlhf label import)');
    const ag = r.agreement;
    console.log(ag.comparisons ? `agreement: mean Kendall tau-b ${fmt(ag.tau)} over ${ag.comparisons} comparisons; ${((ag.pairAgreement ?? 0) * 100).toFixed(1)}% of response pairs ordered alike` : 'agreement: no prompt ranked by two labelers yet');
    for (const l of r.labelers) console.log(`  ${l.name.padEnd(16)} ${l.role.padEnd(8)} ${String(l.submissions).padStart(5)} rankings   tau-b with others ${fmt(l.tau)} (${l.comparisons} comparisons)`);
    console.log(`flags: ${Object.entries(r.flags).map(([k, v]) => `${k} ${v}`).join(', ')}; chat ratings: ${r.chat.up} up, ${r.chat.down} down`);
  } finally {
    db.close();
  }
}

/** A password from stdin: typed without echo (asked twice) on a terminal, else the first line. */
async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) text += chunk;
    return text.split(/\r?\n/)[0];
  }
  const ask = (q: string) => new Promise<string>((resolve, reject) => {
    process.stderr.write(q);
    let typed = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') { finish(); return resolve(typed); }
        if (ch === '\u0003') { finish(); return reject(new Error('cancelled')); }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    const finish = () => { stdin.off('data', onData); stdin.setRawMode(false); stdin.pause(); process.stderr.write('\n'); };
    stdin.on('data', onData);
  });
  const first = await ask(prompt);
  if ((await ask('again: ')) !== first) throw new Error('the passwords differ');
  return first;
}

async function userCmd(a: Parsed, spec: CommandSpec): Promise<void> {
  const [action, name] = a.positional;
  const dbFile = need(a, spec, 'db');
  if (action === 'list') {
    const db = openLabelDb(dbFile, { create: false });
    try {
      for (const u of listUsers(db)) console.log(`${u.name.padEnd(20)} ${u.role.padEnd(8)} ${u.submissions} rankings`);
    } finally {
      db.close();
    }
    return;
  }
  if ((action !== 'add' && action !== 'passwd') || !name) throw new UsageError(`${spec.name}: ${spec.usage}`);
  const role = a.flags.role;
  if (action === 'add' && !ROLES.includes(role as UserRole)) throw new UsageError(`${spec.name}: --role must be one of ${ROLES.join(', ')}`);
  const password = await readPassword(`password for ${name}: `);
  const db = openLabelDb(dbFile, { create: action === 'add' });
  try {
    if (action === 'add') {
      await addUser(db, name, role as UserRole, password);
      console.log(`added ${role} ${name} to ${dbFile}`);
    } else {
      await setPassword(db, name, password);
      console.log(`new password for ${name}; their sessions are ended`);
    }
  } finally {
    db.close();
  }
}

export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') return void console.log(usage());
  const spec = SPECS[sub];
  if (!spec) throw new UsageError(`rlhf label: unknown subcommand "${sub}"\n\n${usage()}`);
  const args = parseArgs(spec, rest);
  if (args.help) return void console.log(formatHelp(spec));
  const handlers: Record<string, (a: Parsed, s: CommandSpec) => Promise<void>> = { import: importCmd, export: exportCmd, status: statusCmd, user: userCmd };
  await handlers[sub](args, spec);
}
