// Users, their roles and permissions, sessions, API tokens and failed-login counters.
import type { RoleName } from '../auth/permissions';
import type { AuthUser } from '../contract/auth';
import type { AdminUser, RoleInfo } from '../contract/users';
import { inTransaction, type Db, type Queryable } from './pool';

export type { AuthUser };

export interface UserRow {
  id: number;
  email: string;
  name: string | null;
  password_hash: string;
  disabled: boolean;
  created_at: Date;
}

/** AdminUser as the database gives it (a Date, where JSON carries a string). */
export type AdminUserRow = Omit<AdminUser, 'created_at'> & { created_at: Date };

export interface ApiTokenRow {
  id: number;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const authUserSelect = `
  SELECT u.id, u.email, u.name,
         coalesce(array_agg(DISTINCT ur.role) FILTER (WHERE ur.role IS NOT NULL), '{}') AS roles,
         coalesce(array_agg(DISTINCT rp.permission) FILTER (WHERE rp.permission IS NOT NULL), '{}') AS permissions
    FROM public.users u
    LEFT JOIN public.user_roles ur ON ur.user_id = u.id
    LEFT JOIN public.role_permissions rp ON rp.role = ur.role`;

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | null> {
  const { rows } = await db.query<UserRow>('SELECT * FROM public.users WHERE lower(email) = lower($1)', [email]);
  return rows[0] ?? null;
}

export async function getUser(db: Queryable, userId: number): Promise<UserRow | null> {
  const { rows } = await db.query<UserRow>('SELECT * FROM public.users WHERE id = $1', [userId]);
  return rows[0] ?? null;
}

export async function getAuthUser(db: Queryable, userId: number): Promise<AuthUser | null> {
  const { rows } = await db.query<AuthUser>(`${authUserSelect} WHERE u.id = $1 AND NOT u.disabled GROUP BY u.id`, [userId]);
  return rows[0] ?? null;
}

const adminUserSelect = `
  SELECT u.id, u.email, u.name, u.disabled, u.created_at,
         coalesce(array_agg(DISTINCT ur.role) FILTER (WHERE ur.role IS NOT NULL), '{}') AS roles
    FROM public.users u LEFT JOIN public.user_roles ur ON ur.user_id = u.id`;

export async function listUsers(db: Queryable): Promise<AdminUserRow[]> {
  const { rows } = await db.query<AdminUserRow>(`${adminUserSelect} GROUP BY u.id ORDER BY u.id`);
  return rows;
}

export async function getAdminUser(db: Queryable, userId: number): Promise<AdminUserRow | null> {
  const { rows } = await db.query<AdminUserRow>(`${adminUserSelect} WHERE u.id = $1 GROUP BY u.id`, [userId]);
  return rows[0] ?? null;
}

/** Enabled users whose roles grant users:admin: the people who can still manage users. */
export async function countUserAdmins(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(DISTINCT u.id)::int AS n
       FROM public.users u
       JOIN public.user_roles ur ON ur.user_id = u.id
       JOIN public.role_permissions rp ON rp.role = ur.role AND rp.permission = 'users:admin'
      WHERE NOT u.disabled`,
  );
  return rows[0]!.n;
}

/** Serialises changes to users within transactions, so two admins demoting each other cannot both pass countUserAdmins. */
export async function lockUserChanges(db: Queryable): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtext('public.users: user changes'))`);
}

export async function countUsers(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.users');
  return rows[0]!.n;
}

export async function createUser(
  db: Queryable,
  user: { email: string; name?: string | null; passwordHash: string; roles: RoleName[] },
): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    'INSERT INTO public.users (email, name, password_hash) VALUES ($1, $2, $3) RETURNING id',
    [user.email, user.name ?? null, user.passwordHash],
  );
  const id = rows[0]!.id;
  await setUserRoles(db, id, user.roles);
  return id;
}

export async function setUserRoles(db: Queryable, userId: number, roles: RoleName[]): Promise<void> {
  await db.query('DELETE FROM public.user_roles WHERE user_id = $1', [userId]);
  await db.query('INSERT INTO public.user_roles (user_id, role) SELECT $1, unnest($2::text[])', [userId, roles]);
}

export async function updateUser(
  db: Queryable,
  userId: number,
  patch: { name?: string | null; passwordHash?: string; disabled?: boolean },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE public.users
        SET name = CASE WHEN $2::boolean THEN $3 ELSE name END,
            password_hash = coalesce($4, password_hash),
            disabled = coalesce($5, disabled),
            updated_at = now()
      WHERE id = $1`,
    [userId, patch.name !== undefined, patch.name ?? null, patch.passwordHash ?? null, patch.disabled ?? null],
  );
  if (patch.disabled || patch.passwordHash) await endSessionsAndTokens(db, userId);
  return rowCount === 1;
}

/** A user whose name is on runs stays, so the runs keep saying who started them: disable them instead. */
export class UserInUse extends Error {}

export async function deleteUser(db: Queryable, userId: number): Promise<boolean> {
  const runs = await db.query<{ id: string }>('SELECT id FROM pipeline.jobs WHERE created_by = $1 ORDER BY id LIMIT 4', [userId]);
  if (runs.rowCount) {
    const named = runs.rows.slice(0, 3).map((run) => `#${run.id}`).join(', ') + (runs.rows.length > 3 ? ', …' : '');
    throw new UserInUse(`User ${userId} started runs (${named}), which keep saying who started them: disable the user instead of deleting it`);
  }
  const { rowCount } = await db.query('DELETE FROM public.users WHERE id = $1', [userId]);
  return rowCount === 1;
}

export async function listRoles(db: Queryable): Promise<RoleInfo[]> {
  const { rows } = await db.query<RoleInfo>(
    `SELECT r.name, r.description, coalesce(array_agg(rp.permission ORDER BY rp.permission)
              FILTER (WHERE rp.permission IS NOT NULL), '{}') AS permissions
       FROM public.roles r LEFT JOIN public.role_permissions rp ON rp.role = r.name
      GROUP BY r.name ORDER BY r.name`,
  );
  return rows;
}

// ---------------------------------------------------------------- sessions and tokens

export async function createSession(db: Queryable, tokenHash: string, userId: number, ttlSeconds: number): Promise<void> {
  await db.query(
    `INSERT INTO public.user_sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
    [tokenHash, userId, ttlSeconds],
  );
  // expired sessions go as new ones come
  await db.query('DELETE FROM public.user_sessions WHERE expires_at < now()');
}

export async function findSessionUser(db: Queryable, tokenHash: string): Promise<number | null> {
  const { rows } = await db.query<{ user_id: number }>(
    'SELECT user_id FROM public.user_sessions WHERE token_hash = $1 AND expires_at > now()',
    [tokenHash],
  );
  return rows[0]?.user_id ?? null;
}

export async function deleteSession(db: Queryable, tokenHash: string): Promise<void> {
  await db.query('DELETE FROM public.user_sessions WHERE token_hash = $1', [tokenHash]);
}

/** Signs the user out everywhere: a new password or a disabled user must not leave a way in open. */
export async function endSessionsAndTokens(db: Queryable, userId: number): Promise<void> {
  await db.query('DELETE FROM public.user_sessions WHERE user_id = $1', [userId]);
  await db.query('DELETE FROM public.api_tokens WHERE user_id = $1', [userId]);
}

export async function createApiToken(db: Queryable, userId: number, name: string, tokenHash: string): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    'INSERT INTO public.api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3) RETURNING id',
    [userId, name, tokenHash],
  );
  return rows[0]!.id;
}

export async function listApiTokens(db: Queryable, userId: number): Promise<ApiTokenRow[]> {
  const { rows } = await db.query<ApiTokenRow>(
    'SELECT id, name, created_at, last_used_at FROM public.api_tokens WHERE user_id = $1 ORDER BY id',
    [userId],
  );
  return rows;
}

/** Deletes one of the user's own tokens; false when the id is missing or another user's. */
export async function deleteApiToken(db: Queryable, userId: number, tokenId: number): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM public.api_tokens WHERE id = $1 AND user_id = $2', [tokenId, userId]);
  return rowCount === 1;
}

export async function findTokenUser(db: Queryable, tokenHash: string): Promise<number | null> {
  const { rows } = await db.query<{ user_id: number }>(
    'UPDATE public.api_tokens SET last_used_at = now() WHERE token_hash = $1 RETURNING user_id',
    [tokenHash],
  );
  return rows[0]?.user_id ?? null;
}

// ---------------------------------------------------------------- failed logins

/** A failed-login counter as an attempt found it, with the counter's row locked. */
export interface LoginFailureCount {
  /** failures within the window (0 once it has passed) */
  failures: number;
  secondsSinceLast: number;
}

/** An attempt counted in advance as a failure of each of its keys, kept to be taken back if the password is right. */
export interface LoginReservation {
  /** the reservation's last_failed_at, as text to keep PostgreSQL's microseconds */
  reservedAt: string;
  /** each key's last_failed_at before it */
  previousFailedAt: Record<string, string>;
}

export type LoginAttempt = { reservation: LoginReservation } | { waitSeconds: number };

/** Thrown inside the transaction to roll it back: a refused attempt leaves every counter as it was. */
class AttemptRefused {
  constructor(readonly waitSeconds: number) {}
}

/**
 * Counts an attempt as a failure of every key before its password is checked, so a burst of parallel
 * guesses meets the counts of the ones before it: each key's row is made if missing and locked (in
 * key order, so two attempts sharing a key cannot deadlock), waitFor says how long each key must
 * still wait, and the attempt is reserved on all keys only when none must.
 */
export async function reserveLoginAttempt(
  db: Db, keys: string[], windowSeconds: number, waitFor: (count: LoginFailureCount) => number,
): Promise<LoginAttempt> {
  const sorted = [...new Set(keys)].sort();
  try {
    return await inTransaction(db, async (tx) => {
      const { rows: counts } = await tx.query<{ key: string; failures: number; seconds_since_last: number; last_failed_at: string }>(
        `INSERT INTO public.login_failures AS lf (key, failures, first_failed_at, last_failed_at)
         SELECT key, 0, statement_timestamp(), statement_timestamp() FROM unnest($1::text[]) AS key ORDER BY key
         ON CONFLICT (key) DO UPDATE SET failures = lf.failures
         RETURNING lf.key,
                   -- clock_timestamp: the time once the lock is held, after the attempt it waited for
                   CASE WHEN lf.first_failed_at > clock_timestamp() - make_interval(secs => $2) THEN lf.failures ELSE 0 END AS failures,
                   extract(epoch FROM clock_timestamp() - lf.last_failed_at)::float8 AS seconds_since_last,
                   lf.last_failed_at::text AS last_failed_at`,
        [sorted, windowSeconds],
      );
      const waitSeconds = Math.max(0, ...counts.map((row) => waitFor({ failures: row.failures, secondsSinceLast: row.seconds_since_last })));
      if (waitSeconds > 0) throw new AttemptRefused(waitSeconds);
      const { rows } = await tx.query<{ reserved_at: string }>(
        `UPDATE public.login_failures SET
           failures = CASE WHEN first_failed_at > statement_timestamp() - make_interval(secs => $2) THEN failures + 1 ELSE 1 END,
           first_failed_at = CASE WHEN first_failed_at > statement_timestamp() - make_interval(secs => $2) THEN first_failed_at ELSE statement_timestamp() END,
           last_failed_at = statement_timestamp()
         WHERE key = ANY($1::text[])
         RETURNING statement_timestamp()::text AS reserved_at`,
        [sorted, windowSeconds],
      );
      const previousFailedAt = Object.fromEntries(counts.map((row) => [row.key, row.last_failed_at]));
      return { reservation: { reservedAt: rows[0]!.reserved_at, previousFailedAt } };
    });
  } catch (error) {
    if (error instanceof AttemptRefused) return { waitSeconds: error.waitSeconds };
    throw error;
  }
}

/**
 * Takes one reserved attempt back from a key, leaving the failures of every other attempt: its
 * count, and its clock unless a later attempt has moved it since. A counter back at 0 goes.
 */
export async function takeBackLoginAttempt(db: Queryable, reservation: LoginReservation, key: string): Promise<void> {
  const previous = reservation.previousFailedAt[key];
  if (previous === undefined) return;
  const { rows } = await db.query<{ failures: number }>(
    `UPDATE public.login_failures
        SET failures = failures - 1,
            last_failed_at = CASE WHEN last_failed_at = $2::timestamptz THEN $3::timestamptz ELSE last_failed_at END
      WHERE key = $1 AND failures > 0
      RETURNING failures`,
    [key, reservation.reservedAt, previous],
  );
  if (rows[0]?.failures === 0) await db.query('DELETE FROM public.login_failures WHERE key = $1 AND failures = 0', [key]);
}

export async function clearLoginFailures(db: Queryable, key: string): Promise<void> {
  await db.query('DELETE FROM public.login_failures WHERE key = $1', [key]);
}
