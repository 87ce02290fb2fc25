// Who is calling: a session cookie (browser) or a bearer token (scripts), both opaque secrets
// kept hashed in PostgreSQL. Login is slowed after repeated failures per account and per address.
import type { Request, RequestHandler, Response } from 'express';
import type { PipelineContext } from '../context';
import { hashPassword, verifyPassword } from '../auth/passwords';
import { hashSecret, newSecret } from '../auth/secrets';
import { loginBody, passwordChangeBody, tokenCreateBody, type SessionReply, type TokenCreated, type TokenList } from '../contract/auth';
import { inTransaction } from '../db/pool';
import * as users from '../db/users';
import { ApiError, notFound, parseInput } from './errors';
import { currentUser, idParam, type RouteSpec } from './routes';

export const sessionCookie = 'sid';
const sessionTtlSeconds = 12 * 3600;
const failureWindowSeconds = 15 * 60;
const freeFailures = 5;

export const bearerToken = (req: Request): string | undefined => /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
export const sessionSecret = (req: Request): string | undefined =>
  (req.cookies as Record<string, string> | undefined)?.[sessionCookie];

export function authenticate(ctx: PipelineContext): RequestHandler {
  return async (req, res, next) => {
    const bearer = bearerToken(req);
    const cookie = sessionSecret(req);
    let userId: number | null = null;
    if (bearer) userId = await users.findTokenUser(ctx.db, hashSecret(bearer));
    else if (cookie) userId = await users.findSessionUser(ctx.db, hashSecret(cookie));
    if (userId !== null) {
      const user = await users.getAuthUser(ctx.db, userId);
      if (user) res.locals.user = user;
    }
    next();
  };
}

/** Seconds the caller must still wait, growing with each failure past the free ones. */
async function loginDelay(ctx: PipelineContext, keys: string[]): Promise<number> {
  let wait = 0;
  for (const key of keys) {
    const { failures, lastFailedAt } = await users.recentLoginFailures(ctx.db, key, failureWindowSeconds);
    if (failures < freeFailures || !lastFailedAt) continue;
    const delay = Math.min(2 ** (failures - freeFailures), 300);
    const remaining = Math.ceil(delay - (Date.now() - lastFailedAt.getTime()) / 1000);
    wait = Math.max(wait, remaining);
  }
  return wait;
}

/** Failures count per account and per client address: guessing one password or many accounts. */
const failureKeys = (email: string, req: Request) => [`email:${email.toLowerCase()}`, `ip:${req.ip}`];

async function refuseWhileSlowed(ctx: PipelineContext, res: Response, keys: string[]): Promise<void> {
  const wait = await loginDelay(ctx, keys);
  if (wait > 0) {
    res.setHeader('Retry-After', String(wait));
    throw new ApiError(429, 'too_many_failures', `Too many failed sign-ins: try again in ${wait} s`);
  }
}

async function recordFailures(ctx: PipelineContext, keys: string[]): Promise<void> {
  for (const key of keys) await users.recordLoginFailure(ctx.db, key, failureWindowSeconds);
}

async function clearFailures(ctx: PipelineContext, keys: string[]): Promise<void> {
  for (const key of keys) await users.clearLoginFailures(ctx.db, key);
}

function setSessionCookie(ctx: PipelineContext, res: Response, secret: string | null): void {
  const options = { httpOnly: true, sameSite: 'lax' as const, secure: ctx.settings.COOKIE_SECURE, path: '/' };
  if (secret) res.cookie(sessionCookie, secret, { ...options, maxAge: sessionTtlSeconds * 1000 });
  else res.clearCookie(sessionCookie, options);
}

export function authRoutes(ctx: PipelineContext): RouteSpec[] {
  return [
    {
      method: 'post', path: '/login', access: 'public',
      handler: async (req: Request, res: Response): Promise<SessionReply> => {
        const { email, password } = parseInput(loginBody, req.body);
        const keys = failureKeys(email, req);
        await refuseWhileSlowed(ctx, res, keys);
        const found = await users.findUserByEmail(ctx.db, email);
        // hash anyway for an unknown email, so timing does not tell which emails exist
        const ok = found ? await verifyPassword(password, found.password_hash) : (await hashPassword(password), false);
        if (!found || !ok || found.disabled) {
          await recordFailures(ctx, keys);
          throw new ApiError(401, 'invalid_credentials', 'Wrong email or password');
        }
        await clearFailures(ctx, keys);
        const secret = newSecret('s');
        await users.createSession(ctx.db, hashSecret(secret), found.id, sessionTtlSeconds);
        setSessionCookie(ctx, res, secret);
        return { user: (await users.getAuthUser(ctx.db, found.id))! };
      },
    },
    {
      method: 'post', path: '/logout', access: 'public',
      handler: async (req: Request, res: Response) => {
        const cookie = sessionSecret(req);
        if (cookie) await users.deleteSession(ctx.db, hashSecret(cookie));
        setSessionCookie(ctx, res, null);
        return { ok: true };
      },
    },
    { method: 'get', path: '/me', access: 'signed_in', handler: (_req, res): SessionReply => ({ user: currentUser(res) }) },
    {
      method: 'post', path: '/password', access: 'signed_in',
      handler: async (req, res): Promise<SessionReply> => {
        const body = parseInput(passwordChangeBody, req.body);
        const user = currentUser(res);
        // a stolen session must not become a way to guess the password: slowed like sign-in
        const keys = failureKeys(user.email, req);
        await refuseWhileSlowed(ctx, res, keys);
        const stored = await users.getUser(ctx.db, user.id);
        if (!stored || !(await verifyPassword(body.current, stored.password_hash))) {
          await recordFailures(ctx, keys);
          throw new ApiError(400, 'invalid_request', 'current: this is not your current password', [
            { path: 'current', message: 'this is not your current password' },
          ]);
        }
        await clearFailures(ctx, keys);
        const passwordHash = await hashPassword(body.new);
        const secret = newSecret('s');
        await inTransaction(ctx.db, async (tx) => {
          await users.updateUser(tx, user.id, { passwordHash }); // ends every session and token of the user
          await users.createSession(tx, hashSecret(secret), user.id, sessionTtlSeconds); // but this browser stays in
        });
        setSessionCookie(ctx, res, secret);
        return { user };
      },
    },
    {
      method: 'get', path: '/tokens', access: 'signed_in',
      handler: async (_req, res): Promise<TokenList> => {
        const rows = await users.listApiTokens(ctx.db, currentUser(res).id);
        return {
          tokens: rows.map((row) => ({
            id: row.id, name: row.name,
            created_at: row.created_at.toISOString(), last_used_at: row.last_used_at?.toISOString() ?? null,
          })),
        };
      },
    },
    {
      method: 'post', path: '/tokens', access: 'signed_in',
      handler: async (req, res): Promise<TokenCreated> => {
        const { name } = parseInput(tokenCreateBody, req.body);
        const token = newSecret('lpt');
        const id = await users.createApiToken(ctx.db, currentUser(res).id, name, hashSecret(token));
        res.status(201);
        return { id, name, token };
      },
    },
    {
      method: 'delete', path: '/tokens/:id', access: 'signed_in',
      handler: async (req, res) => {
        const id = idParam(req);
        // another user's token answers as a missing one: its id tells the caller nothing
        if (!(await users.deleteApiToken(ctx.db, currentUser(res).id, id))) throw notFound(`Token ${id}`);
        return { deleted: id };
      },
    },
  ];
}
