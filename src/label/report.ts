// What the admin page (and `rlhf label status`) shows: each task set's progress, each labeler's
// work and agreement with the others, flag counts, and the chat thumbs.
import { agreement, type AgreementReport } from './agreement.js';
import { FLAGS, type Flag, type UserRole } from './config.js';
import type { LabelDb } from './db.js';
import { labeledRankings } from './export.js';

export interface SetProgress {
  name: string;
  perPrompt: number;
  prompts: number;
  /** Rankings stored, and rankings wanted (prompts × labelers per prompt). */
  submissions: number;
  wanted: number;
  /** Prompts ranked by all their labelers. */
  complete: number;
  /** Where the prompts and responses came from (import's config). */
  config: unknown;
}

export interface LabelReport {
  sets: SetProgress[];
  labelers: { name: string; role: UserRole; submissions: number; comparisons: number; tau: number | null }[];
  agreement: AgreementReport;
  flags: Record<Flag, number>;
  chat: { up: number; down: number };
}

export function labelReport(db: LabelDb): LabelReport {
  const sets = (db.prepare(`SELECT ts.name, ts.per_prompt AS perPrompt, ts.config,
      (SELECT COUNT(*) FROM tasks t WHERE t.set_id = ts.id) AS prompts,
      (SELECT COUNT(*) FROM submissions s JOIN tasks t ON t.id = s.task_id WHERE t.set_id = ts.id) AS submissions,
      (SELECT COUNT(*) FROM tasks t WHERE t.set_id = ts.id AND (SELECT COUNT(*) FROM submissions s WHERE s.task_id = t.id) >= ts.per_prompt) AS complete
    FROM task_sets ts ORDER BY ts.id`).all() as (Omit<SetProgress, 'wanted' | 'config'> & { config: string })[])
    .map((s) => ({ ...s, wanted: s.prompts * s.perPrompt, config: JSON.parse(s.config) as unknown }));
  const agree = agreement(labeledRankings(db));
  const byName = new Map(agree.byLabeler.map((l) => [l.labeler, l]));
  const users = db.prepare(`SELECT u.name, u.role, (SELECT COUNT(*) FROM submissions s WHERE s.user_id = u.id) AS submissions
    FROM users u ORDER BY u.name`).all() as { name: string; role: UserRole; submissions: number }[];
  const flags = Object.fromEntries(FLAGS.map((f) => [f, 0])) as Record<Flag, number>;
  for (const r of db.prepare('SELECT flag, COUNT(*) AS n FROM flags GROUP BY flag').all() as { flag: Flag; n: number }[]) flags[r.flag] = r.n;
  const chat = db.prepare('SELECT COALESCE(SUM(label), 0) AS up, COALESCE(SUM(1 - label), 0) AS down FROM chat_labels').get() as { up: number; down: number };
  return {
    sets,
    labelers: users.map((u) => ({ ...u, comparisons: byName.get(u.name)?.comparisons ?? 0, tau: byName.get(u.name)?.tau ?? null })),
    agreement: agree,
    flags,
    chat,
  };
}
