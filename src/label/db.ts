// The labeling database: one SQLite file (better-sqlite3) in WAL mode, so the CLI can import or
// export while the server writes, with synchronous=FULL because a committed label is a person's
// work and must survive a crash. The schema is versioned by PRAGMA user_version; each migration
// runs in its own transaction, and a file made by a newer version is refused rather than guessed at.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

export type LabelDb = Database.Database;

/** Migration i brings the schema from version i to i + 1. Append only: never edit a shipped one. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'labeler')),
    password TEXT NOT NULL,            -- scrypt$N$r$p$salt$hash (auth.ts)
    created_at INTEGER NOT NULL
  );
  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,       -- sha256 of the cookie: a copy of the file opens no session
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE task_sets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    per_prompt INTEGER NOT NULL CHECK (per_prompt >= 1),
    config TEXT NOT NULL,              -- JSON: where the prompts and responses came from
    created_at INTEGER NOT NULL
  );
  CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    set_id INTEGER NOT NULL REFERENCES task_sets(id) ON DELETE CASCADE,
    prompt TEXT NOT NULL               -- JSON: a string or a list of messages
  );
  CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,              -- position in the imported record, the index export writes
    content TEXT NOT NULL,             -- JSON: a string or a list of messages
    UNIQUE (task_id, idx)
  );
  CREATE TABLE assignments (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (task_id, user_id)
  );
  CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    UNIQUE (task_id, user_id)          -- one ranking per labeler and prompt, however often sent
  );
  CREATE TABLE ranks (
    submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,             -- 0 = best; tied responses share a rank
    PRIMARY KEY (submission_id, response_id)
  );
  CREATE TABLE flags (
    submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    response_id INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    flag TEXT NOT NULL CHECK (flag IN ('untruthful', 'harmful', 'off-task')),
    PRIMARY KEY (submission_id, response_id, flag)
  );
  CREATE TABLE chat_labels (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    reply_key TEXT NOT NULL,           -- the page's id for one reply: a second click updates it
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,              -- JSON: the messages the reply answered
    completion TEXT NOT NULL,
    label INTEGER NOT NULL CHECK (label IN (0, 1)),
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, reply_key)
  );
  CREATE INDEX tasks_by_set ON tasks(set_id);
  CREATE INDEX submissions_by_user ON submissions(user_id);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens (creating if `create`) a labeling database and brings its schema up to date. */
export function openLabelDb(file: string, { create = true }: { create?: boolean } = {}): LabelDb {
  if (!create && file !== ':memory:' && !existsSync(file)) {
    throw new Error(`${file}: no such labeling database (make one with \`rlhf label user add NAME --role admin --db ${file}\`)`);
  }
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Another process (the CLI importing while the server runs) may hold the write lock briefly.
    db.pragma('busy_timeout = 5000');
    migrate(db, file);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

function migrate(db: LabelDb, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`${file}: labeling database schema version ${version} is newer than this rlhf-ts knows (${SCHEMA_VERSION}); upgrade rlhf-ts`);
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  // The key that signs CSRF tokens lives in the file, so tokens (like sessions) outlive a restart.
  db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('hmac_key', randomBytes(32).toString('base64'));
}

export function metaValue(db: LabelDb, key: string): string {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  if (!row) throw new Error(`labeling database has no ${key}`);
  return row.value;
}
