// Labels out of the database, in the formats the trainers read (src/data/formats.ts):
//   rankings  one ranking record per labeler and prompt, ties kept (`ties`: groups of equally good
//             responses, adjacent in `ranking`), flags beside them (`rlhf reward` trains on it)
//   kto       the chat thumbs as TRL's conversational unpaired-preference records:
//             {"prompt": [messages], "completion": [{"role": "assistant", ...}], "label": true|false}
import type { Message, RankingRecord, Turns } from '../data/formats.js';
import type { Flag } from './config.js';
import type { LabelDb } from './db.js';
import type { LabeledRanking } from './agreement.js';

/** The ranking record's `ranking` (best first) and `ties` (groups sharing a place, in index order)
 * for places[i], response i's place (0 best; equal places are ties). */
export function rankingFromPlaces(places: readonly number[]): Pick<RankingRecord, 'ranking' | 'ties'> {
  const byPlace = new Map<number, number[]>();
  places.forEach((p, i) => (byPlace.get(p) ?? byPlace.set(p, []).get(p)!).push(i));
  const groups = [...byPlace.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
  const ties = groups.filter((g) => g.length > 1);
  return { ranking: groups.flat(), ...(ties.length ? { ties } : {}) };
}

export interface ExportedRanking extends RankingRecord {
  /** Flags per response (same order as responses). */
  flags: Flag[][];
  labeler: string;
  set: string;
  task: number;
}

interface SubmissionRow { sub: number; task: number; labeler: string; setName: string; prompt: string }

function submissions(db: LabelDb, set?: string): SubmissionRow[] {
  if (set !== undefined && !db.prepare('SELECT 1 FROM task_sets WHERE name = ?').get(set)) throw new Error(`no task set named "${set}"`);
  return db.prepare(`SELECT s.id AS sub, s.task_id AS task, u.name AS labeler, ts.name AS setName, t.prompt
    FROM submissions s JOIN users u ON u.id = s.user_id JOIN tasks t ON t.id = s.task_id JOIN task_sets ts ON ts.id = t.set_id
    WHERE (@set IS NULL OR ts.name = @set) ORDER BY s.task_id, s.id`).all({ set: set ?? null }) as SubmissionRow[];
}

/** Each submission's places, by the response's index in its task (place 0 is best). */
function placesBySubmission(db: LabelDb): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const rows = db.prepare('SELECT r.submission_id AS sub, resp.idx, r.rank FROM ranks r JOIN responses resp ON resp.id = r.response_id').all() as { sub: number; idx: number; rank: number }[];
  for (const r of rows) {
    const places = out.get(r.sub) ?? out.set(r.sub, []).get(r.sub)!;
    places[r.idx] = r.rank;
  }
  return out;
}

/** Every submitted ranking as places per response, for the agreement report. */
export function labeledRankings(db: LabelDb, set?: string): LabeledRanking[] {
  const places = placesBySubmission(db);
  return submissions(db, set).map((s) => ({ task: s.task, labeler: s.labeler, ranks: places.get(s.sub)! }));
}

export function rankingRecords(db: LabelDb, set?: string): ExportedRanking[] {
  const places = placesBySubmission(db);
  const responses = new Map<number, Turns[]>();
  for (const r of db.prepare('SELECT task_id AS task, idx, content FROM responses ORDER BY task_id, idx').all() as { task: number; idx: number; content: string }[]) {
    (responses.get(r.task) ?? responses.set(r.task, []).get(r.task)!)[r.idx] = JSON.parse(r.content) as Turns;
  }
  const flags = new Map<number, { idx: number; flag: Flag }[]>();
  for (const f of db.prepare('SELECT f.submission_id AS sub, resp.idx, f.flag FROM flags f JOIN responses resp ON resp.id = f.response_id ORDER BY f.flag').all() as { sub: number; idx: number; flag: Flag }[]) {
    (flags.get(f.sub) ?? flags.set(f.sub, []).get(f.sub)!).push(f);
  }
  return submissions(db, set).map((s) => {
    const rs = responses.get(s.task)!;
    const perResponse: Flag[][] = rs.map(() => []);
    for (const f of flags.get(s.sub) ?? []) perResponse[f.idx].push(f.flag);
    return {
      prompt: JSON.parse(s.prompt) as Turns,
      responses: rs,
      ...rankingFromPlaces(places.get(s.sub)!),
      flags: perResponse,
      labeler: s.labeler,
      set: s.setName,
      task: s.task,
    };
  });
}

export interface KtoRecord {
  prompt: Message[];
  completion: Message[];
  label: boolean;
}

export function ktoRecords(db: LabelDb): KtoRecord[] {
  const rows = db.prepare('SELECT prompt, completion, label FROM chat_labels ORDER BY id').all() as { prompt: string; completion: string; label: number }[];
  return rows.map((r) => ({ prompt: JSON.parse(r.prompt) as Message[], completion: [{ role: 'assistant', content: r.completion }], label: r.label === 1 }));
}

export const toJsonl = (records: readonly object[]): string => records.map((r) => JSON.stringify(r) + '\n').join('');
