// Accounts and sessions. Passwords are hashed with scrypt (node:crypto, a memory-hard KDF: a stolen
// file costs an attacker ~16 MiB and tens of ms per guess); a session is a random 256-bit cookie of
// which the database keeps only the SHA-256, so a copy of the file cannot be replayed as a login.
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ROLES, type UserRole } from './config.js';
import type { LabelDb } from './db.js';

const SCRYPT = { N: 16384, r: 8, p: 1, keyLen: 32, saltLen: 16 };
export const MIN_PASSWORD = 8;

function scryptAsync(password: string, salt: Buffer, keyLen: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keyLen, o, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$N$r$p$salt$hash` (salt and hash base64), so the cost can rise without breaking old rows. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLen);
  const key = await scryptAsync(password, salt, SCRYPT.keyLen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, N, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !hash) return false;
  const want = Buffer.from(hash, 'base64');
  const got = await scryptAsync(password, Buffer.from(salt, 'base64'), want.length, { N: Number(N), r: Number(r), p: Number(p), maxmem: 256 * Number(N) * Number(r) });
  return timingSafeEqual(got, want);
}

export interface User {
  id: number;
  name: string;
  role: UserRole;
}

const NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

export async function addUser(db: LabelDb, name: string, role: UserRole, password: string): Promise<User> {
  if (!NAME.test(name)) throw new Error(`user name "${name}": use 1–64 letters, digits, _ . @ -`);
  if (!ROLES.includes(role)) throw new Error(`role must be one of ${ROLES.join(', ')}, got "${role}"`);
  if (password.length < MIN_PASSWORD) throw new Error(`password for ${name}: at least ${MIN_PASSWORD} characters`);
  const hash = await hashPassword(password);
  try {
    const { lastInsertRowid } = db.prepare('INSERT INTO users (name, role, password, created_at) VALUES (?, ?, ?, ?)').run(name, role, hash, Date.now());
    return { id: Number(lastInsertRowid), name, role };
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new Error(`user ${name} already exists (rlhf label user passwd ${name} changes the password)`);
    throw e;
  }
}

/** Sets a new password and ends the user's sessions. */
export async function setPassword(db: LabelDb, name: string, password: string): Promise<void> {
  if (password.length < MIN_PASSWORD) throw new Error(`password for ${name}: at least ${MIN_PASSWORD} characters`);
  const hash = await hashPassword(password);
  db.transaction(() => {
    const user = db.prepare('SELECT id FROM users WHERE name = ?').get(name) as { id: number } | undefined;
    if (!user) throw new Error(`no user ${name}`);
    db.prepare('UPDATE users SET password = ? WHERE id = ?').run(hash, user.id);
    db.prepare('DELETE FROM sessions WHERE user_id = ?').run(user.id);
  })();
}

export function listUsers(db: LabelDb): (User & { submissions: number })[] {
  return db.prepare(`SELECT u.id, u.name, u.role, (SELECT COUNT(*) FROM submissions s WHERE s.user_id = u.id) AS submissions
    FROM users u ORDER BY u.name`).all() as (User & { submissions: number })[];
}

// A hash of a random password, checked when the name is unknown, so a wrong name takes as long as
// a wrong password and the timing does not reveal which accounts exist.
let decoy: Promise<string> | null = null;

/** The user, if the name exists and the password matches. */
export async function checkLogin(db: LabelDb, name: string, password: string): Promise<User | null> {
  const row = db.prepare('SELECT id, name, role, password FROM users WHERE name = ?').get(name) as (User & { password: string }) | undefined;
  if (!row) {
    await verifyPassword(password, await (decoy ??= hashPassword(randomBytes(16).toString('hex'))));
    return null;
  }
  return (await verifyPassword(password, row.password)) ? { id: row.id, name: row.name, role: row.role } : null;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A new session's cookie value. */
export function createSession(db: LabelDb, userId: number, days: number): string {
  const token = randomBytes(32).toString('base64url');
  const now = Date.now();
  db.prepare('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(sha256(token), userId, now, now + days * 86_400_000);
  return token;
}

/** The user a cookie value logs in, or null (unknown or expired). */
export function sessionUser(db: LabelDb, token: string): User | null {
  const row = db.prepare(`SELECT u.id, u.name, u.role FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token_hash = ? AND s.expires_at > ?`).get(sha256(token), Date.now()) as User | undefined;
  return row ?? null;
}

export function endSession(db: LabelDb, token: string): void {
  db.prepare('DELETE FROM sessions WHERE token_hash = ? OR expires_at <= ?').run(sha256(token), Date.now());
}
