// `rlhf self-instruct`: grow an instruction dataset from seed tasks with a teacher model (a model
// directory or an OpenAI-compatible URL); config keys in src/selfinstruct/config.ts.
import { HttpTeacher } from '../selfinstruct/http-teacher.js';
import { selfInstruct } from '../selfinstruct/loop.js';
import { isUrl, SELF_INSTRUCT_DEFAULTS, validateSelfInstruct } from '../selfinstruct/config.js';
import { LocalTeacher, type Teacher } from '../selfinstruct/teacher.js';
import type { CommandSpec } from './args.js';
import { parseConfigCommand } from './config-args.js';

const spec: CommandSpec = {
  name: 'rlhf self-instruct',
  summary: 'generate instruction data from seed tasks with a teacher model (Self-Instruct: ROUGE-L novelty filter, classification-aware instances)',
  usage: 'rlhf self-instruct --teacher DIR|URL --count N --out DIR [--seed-tasks FILE] [--teacherFormat chat] [--<key> VALUE ...]   (run again with the same --out to resume)',
  flags: {
    config: { type: 'string', help: 'YAML/JSON file of config keys (flags override it)' },
    quiet: { type: 'boolean', help: 'no per-round lines, only the summary' },
  },
};

export async function run(argv: string[]): Promise<void> {
  // --seed-tasks is the documented spelling; config keys are camelCase.
  const parsed = parseConfigCommand(spec, SELF_INSTRUCT_DEFAULTS, argv.map((a) => a.replace(/^--seed-tasks(?==|$)/, '--seedTasks')), validateSelfInstruct);
  if (!parsed) return;
  const cfg = parsed.config;
  let teacher: Teacher;
  let counts: (() => { requests: number; retries: number }) | undefined;
  if (isUrl(cfg.teacher)) {
    const http = await HttpTeacher.connect({
      baseUrl: cfg.teacher, model: cfg.teacherModel, format: cfg.teacherFormat, apiKey: process.env[cfg.http.apiKeyEnv] ?? '',
      concurrency: cfg.http.concurrency, retries: cfg.http.retries, requestsPerMinute: cfg.http.requestsPerMinute, timeoutS: cfg.http.timeoutS, backoffMs: cfg.http.backoffMs,
    });
    teacher = http;
    counts = () => http.counts;
  } else teacher = await LocalTeacher.load(cfg.teacher, cfg.teacherFormat, cfg.requestsPerRound);
  const r = await selfInstruct(cfg, teacher, { quiet: Boolean(parsed.flags.quiet), teacherCounts: counts });
  const s = r.stats;
  const drops = Object.entries(s.dropped).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  console.log([
    '',
    `self-instruct → ${r.out}  (${r.rounds} rounds${r.resumedRounds ? `, ${r.resumedRounds} of them from an earlier run` : ''}, ${s.seconds.toFixed(0)} s)`,
    `  generated ${s.generated}, kept ${s.kept} instructions (${s.instances} instances), dropped: ${drops}`,
    `  ROUGE-L of kept instructions with the closest seed task: mean ${s.meanRougeSeeds.toFixed(3)}; ${s.diversity.distinctVerbs} distinct root verbs`,
    `  files: tasks.jsonl (Alpaca), sft.jsonl (for rlhf sft --data.train), stats.json, diversity.svg, rounds.jsonl (journal)`,
  ].join('\n'));
}
