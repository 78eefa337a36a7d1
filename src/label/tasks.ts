// The ranking task: a task set holds prompts with K responses each; every prompt goes to `per_prompt`
// labelers. A labeler asking for work gets the task they hold, else the first task they have not
// done whose slots (submissions plus live reservations by others) are not full, reserved for them
// for a while. A submission ranks every response (ties share a place), may flag some, and is stored
// once per labeler and prompt: the UNIQUE constraint makes a resend a no-op, and each write is one
// transaction, so concurrent submissions cannot lose or double a label.
import { createHash } from 'node:crypto';
import type { Turns } from '../data/formats.js';
import { FLAGS, type Flag } from './config.js';
import type { LabelDb } from './db.js';

export interface TaskInput {
  prompt: Turns;
  responses: Turns[];
}

export interface TaskSetInfo {
  id: number;
  name: string;
  tasks: number;
}

/** Refuses a name already in use (the CLI asks before the work of sampling a set under it). */
export function checkTaskSetName(db: LabelDb, name: string): void {
  if (db.prepare('SELECT 1 FROM task_sets WHERE name = ?').get(name)) throw new Error(`a task set named "${name}" already exists (choose another --name)`);
}

/** Stores a task set in one transaction (all of it or nothing). `config` records its provenance. */
export function addTaskSet(db: LabelDb, name: string, perPrompt: number, config: object, tasks: readonly TaskInput[]): TaskSetInfo {
  if (!Number.isInteger(perPrompt) || perPrompt < 1) throw new RangeError(`labelers per prompt must be a positive integer, got ${perPrompt}`);
  if (!tasks.length) throw new Error(`task set ${name}: no tasks`);
  return db.transaction(() => {
    checkTaskSetName(db, name);
    const now = Date.now();
    const setId = Number(db.prepare('INSERT INTO task_sets (name, per_prompt, config, created_at) VALUES (?, ?, ?, ?)').run(name, perPrompt, JSON.stringify(config), now).lastInsertRowid);
    const insTask = db.prepare('INSERT INTO tasks (set_id, prompt) VALUES (?, ?)');
    const insResp = db.prepare('INSERT INTO responses (task_id, idx, content) VALUES (?, ?, ?)');
    for (const t of tasks) {
      const taskId = insTask.run(setId, JSON.stringify(t.prompt)).lastInsertRowid;
      t.responses.forEach((r, i) => insResp.run(taskId, i, JSON.stringify(r)));
    }
    return { id: setId, name, tasks: tasks.length };
  }).immediate();
}

/** A task as a labeler sees it: responses in an order shuffled per labeler (position bias averages
 * out over labelers), each with its database id. */
export interface TaskView {
  id: number;
  set: string;
  prompt: Turns;
  responses: { id: number; content: Turns }[];
}

export interface LabelerProgress {
  done: number;
  /** Tasks this labeler could still be given (the current one included). */
  open: number;
}

const openClause = `
  NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id AND a.user_id = @user)
  AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.task_id = t.id AND s.user_id = @user)
  AND (SELECT COUNT(*) FROM submissions s WHERE s.task_id = t.id)
    + (SELECT COUNT(*) FROM assignments a WHERE a.task_id = t.id AND a.assigned_at > @cutoff
         AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.task_id = a.task_id AND s.user_id = a.user_id))
    < (SELECT per_prompt FROM task_sets ts WHERE ts.id = t.set_id)`;

/** The labeler's reserved task, else a newly reserved one, else null; and their progress. */
export function nextTask(db: LabelDb, userId: number, reserveMs: number): { task: TaskView | null; progress: LabelerProgress } {
  return db.transaction(() => {
    const now = Date.now(), cutoff = now - reserveMs;
    let taskId: number | undefined;
    const held = db.prepare(`SELECT a.task_id AS id, a.assigned_at AS at FROM assignments a
      WHERE a.user_id = ? AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.task_id = a.task_id AND s.user_id = a.user_id)
      ORDER BY a.assigned_at LIMIT 1`).get(userId) as { id: number; at: number } | undefined;
    if (held) {
      // An expired reservation is renewed only if nobody filled the slot meanwhile.
      const full = held.at <= cutoff && (db.prepare(`SELECT (SELECT COUNT(*) FROM submissions s WHERE s.task_id = t.id)
          + (SELECT COUNT(*) FROM assignments a WHERE a.task_id = t.id AND a.user_id != @user AND a.assigned_at > @cutoff
             AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.task_id = a.task_id AND s.user_id = a.user_id))
          >= (SELECT per_prompt FROM task_sets ts WHERE ts.id = t.set_id) AS full FROM tasks t WHERE t.id = @task`)
        .get({ user: userId, cutoff, task: held.id }) as { full: number }).full === 1;
      if (full) db.prepare('DELETE FROM assignments WHERE task_id = ? AND user_id = ?').run(held.id, userId);
      else {
        db.prepare('UPDATE assignments SET assigned_at = ? WHERE task_id = ? AND user_id = ?').run(now, held.id, userId);
        taskId = held.id;
      }
    }
    if (taskId === undefined) {
      const row = db.prepare(`SELECT t.id FROM tasks t WHERE ${openClause} ORDER BY t.id LIMIT 1`).get({ user: userId, cutoff }) as { id: number } | undefined;
      if (row) {
        db.prepare('INSERT INTO assignments (task_id, user_id, assigned_at) VALUES (?, ?, ?)').run(row.id, userId, now);
        taskId = row.id;
      }
    }
    const done = (db.prepare('SELECT COUNT(*) AS n FROM submissions WHERE user_id = ?').get(userId) as { n: number }).n;
    const others = (db.prepare(`SELECT COUNT(*) AS n FROM tasks t WHERE ${openClause}`).get({ user: userId, cutoff }) as { n: number }).n;
    return { task: taskId === undefined ? null : taskView(db, taskId, userId), progress: { done, open: others + (taskId === undefined ? 0 : 1) } };
  }).immediate();
}

function taskView(db: LabelDb, taskId: number, userId: number): TaskView {
  const t = db.prepare('SELECT t.id, t.prompt, ts.name AS setName FROM tasks t JOIN task_sets ts ON ts.id = t.set_id WHERE t.id = ?').get(taskId) as { id: number; prompt: string; setName: string };
  const rs = db.prepare('SELECT id, content FROM responses WHERE task_id = ? ORDER BY idx').all(taskId) as { id: number; content: string }[];
  const order = (id: number) => createHash('sha256').update(`${taskId}:${userId}:${id}`).digest('hex');
  rs.sort((a, b) => (order(a.id) < order(b.id) ? -1 : 1));
  return { id: t.id, set: t.setName, prompt: JSON.parse(t.prompt) as Turns, responses: rs.map((r) => ({ id: r.id, content: JSON.parse(r.content) as Turns })) };
}

/** What a labeler sends: response ids grouped best first (a group of several is a tie), and flags. */
export interface Submission {
  groups: number[][];
  flags: Record<string, string[]>;
}

export class SubmitError extends Error {
  constructor(readonly status: 400 | 404 | 409, message: string) {
    super(message);
  }
}

/** Checks a submission against the task's responses: the groups must hold each response exactly
 * once, flags only known names on the task's responses. Returns the place of each response id. */
function placesOf(sub: Submission, responseIds: number[]): { places: Map<number, number>; flags: [number, Flag][] } {
  const known = new Set(responseIds);
  const places = new Map<number, number>();
  sub.groups.forEach((g, place) => {
    if (!g.length) throw new SubmitError(400, `group ${place} is empty`);
    for (const id of g) {
      if (!known.has(id)) throw new SubmitError(400, `response ${id} is not one of this task's responses`);
      if (places.has(id)) throw new SubmitError(400, `response ${id} is ranked twice`);
      places.set(id, place);
    }
  });
  if (places.size !== known.size) throw new SubmitError(400, `rank all ${known.size} responses (got ${places.size})`);
  const flags: [number, Flag][] = [];
  for (const [key, names] of Object.entries(sub.flags)) {
    const id = Number(key);
    if (!known.has(id)) throw new SubmitError(400, `flags for response ${key}, which is not one of this task's responses`);
    for (const f of new Set(names)) {
      if (!FLAGS.includes(f as Flag)) throw new SubmitError(400, `unknown flag "${f}" (known: ${FLAGS.join(', ')})`);
      flags.push([id, f as Flag]);
    }
  }
  return { places, flags };
}

/** Stores a ranking; 'duplicate' when this labeler already ranked the task (the first one stands). */
export function submitRanking(db: LabelDb, userId: number, taskId: number, sub: Submission): 'stored' | 'duplicate' {
  return db.transaction(() => {
    if (!db.prepare('SELECT 1 FROM tasks WHERE id = ?').get(taskId)) throw new SubmitError(404, `no task ${taskId}`);
    if (!db.prepare('SELECT 1 FROM assignments WHERE task_id = ? AND user_id = ?').get(taskId, userId)) {
      throw new SubmitError(409, `task ${taskId} was not given to you (ask for a task first)`);
    }
    const responseIds = (db.prepare('SELECT id FROM responses WHERE task_id = ?').all(taskId) as { id: number }[]).map((r) => r.id);
    const { places, flags } = placesOf(sub, responseIds);
    const ins = db.prepare('INSERT INTO submissions (task_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (task_id, user_id) DO NOTHING').run(taskId, userId, Date.now());
    if (ins.changes === 0) return 'duplicate';
    const subId = ins.lastInsertRowid;
    const insRank = db.prepare('INSERT INTO ranks (submission_id, response_id, rank) VALUES (?, ?, ?)');
    for (const [id, place] of places) insRank.run(subId, id, place);
    const insFlag = db.prepare('INSERT INTO flags (submission_id, response_id, flag) VALUES (?, ?, ?)');
    for (const [id, f] of flags) insFlag.run(subId, id, f);
    return 'stored';
  }).immediate();
}
