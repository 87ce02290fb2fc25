// Users, their roles and permissions, sessions, API tokens and failed-login counters.
import type { RoleName } from '../auth/permissions';
import type { AuthUser } from '../contract/auth';
import type { AdminUser, RoleInfo } from '../contract/users';
import type { Queryable } from './pool';

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

/** Failures counted for a key within the window, or 0. */
export async function recentLoginFailures(db: Queryable, key: string, windowSeconds: number): Promise<{ failures: number; lastFailedAt: Date | null }> {
  const { rows } = await db.query<{ failures: number; last_failed_at: Date }>(
    `SELECT failures, last_failed_at FROM public.login_failures
      WHERE key = $1 AND first_failed_at > now() - make_interval(secs => $2)`,
    [key, windowSeconds],
  );
  return { failures: rows[0]?.failures ?? 0, lastFailedAt: rows[0]?.last_failed_at ?? null };
}

export async function recordLoginFailure(db: Queryable, key: string, windowSeconds: number): Promise<void> {
  await db.query(
    `INSERT INTO public.login_failures (key, failures, first_failed_at, last_failed_at) VALUES ($1, 1, now(), now())
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN login_failures.first_failed_at > now() - make_interval(secs => $2)
                       THEN login_failures.failures + 1 ELSE 1 END,
       first_failed_at = CASE WHEN login_failures.first_failed_at > now() - make_interval(secs => $2)
                              THEN login_failures.first_failed_at ELSE now() END,
       last_failed_at = now()`,
    [key, windowSeconds],
  );
}

export async function clearLoginFailures(db: Queryable, key: string): Promise<void> {
  await db.query('DELETE FROM public.login_failures WHERE key = $1', [key]);
}
