// Bodies and replies of /api/v1/auth, for the server and the admin UI alike: zod only, no I/O,
// so the browser bundle can import it.
import { z } from 'zod';
import { permissions, roleNames } from '../auth/permissions';

export const minPasswordLength = 8;
/** A password being set: by its owner, or by an admin creating or resetting a user. */
export const newPassword = z.string().min(minPasswordLength).max(1024);

export const loginBody = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) });
export type LoginBody = z.infer<typeof loginBody>;

export const tokenCreateBody = z.object({ name: z.string().trim().min(1).max(100) });
export type TokenCreateBody = z.infer<typeof tokenCreateBody>;

export const passwordChangeBody = z.object({ current: z.string().min(1).max(1024), new: newPassword });
export type PasswordChangeBody = z.infer<typeof passwordChangeBody>;

/** The signed-in user: what login, /me and a password change answer. */
export const authUser = z.object({
  id: z.number().int(),
  email: z.string(),
  name: z.string().nullable(),
  roles: z.array(z.enum(roleNames)),
  permissions: z.array(z.enum(permissions)),
});
export type AuthUser = z.infer<typeof authUser>;
export const sessionReply = z.object({ user: authUser });
export type SessionReply = z.infer<typeof sessionReply>;

/** The secret is shown in this reply only; the server keeps its hash. */
export const tokenCreated = z.object({ id: z.number().int(), name: z.string(), token: z.string() });
export type TokenCreated = z.infer<typeof tokenCreated>;

// Times are ISO 8601 strings, as JSON carries them.
export const tokenInfo = z.object({
  id: z.number().int(),
  name: z.string(),
  created_at: z.iso.datetime(),
  last_used_at: z.iso.datetime().nullable(),
});
export type TokenInfo = z.infer<typeof tokenInfo>;
export const tokenList = z.object({ tokens: z.array(tokenInfo) });
export type TokenList = z.infer<typeof tokenList>;
