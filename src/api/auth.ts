// Who is calling: a session cookie (browser) or a bearer token (scripts), both opaque secrets
// kept hashed in PostgreSQL. Login is slowed after repeated failures per account and per address.
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { PipelineContext } from '../context';
import { hashPassword, verifyPassword } from '../auth/passwords';
import { hashSecret, newSecret } from '../auth/secrets';
import * as users from '../db/users';
import { ApiError, parseInput } from './errors';
import { currentUser, type RouteSpec } from './routes';

export const sessionCookie = 'sid';
const sessionTtlSeconds = 12 * 3600;
const failureWindowSeconds = 15 * 60;
const freeFailures = 5;

export function authenticate(ctx: PipelineContext): RequestHandler {
  return async (req, res, next) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const cookie = (req.cookies as Record<string, string> | undefined)?.[sessionCookie];
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

const loginBody = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) });
const tokenBody = z.object({ name: z.string().trim().min(1).max(100) });

function setSessionCookie(ctx: PipelineContext, res: Response, secret: string | null): void {
  const options = { httpOnly: true, sameSite: 'lax' as const, secure: ctx.settings.COOKIE_SECURE, path: '/' };
  if (secret) res.cookie(sessionCookie, secret, { ...options, maxAge: sessionTtlSeconds * 1000 });
  else res.clearCookie(sessionCookie, options);
}

export function authRoutes(ctx: PipelineContext): RouteSpec[] {
  return [
    {
      method: 'post', path: '/login', access: 'public',
      handler: async (req: Request, res: Response) => {
        const { email, password } = parseInput(loginBody, req.body);
        const keys = [`email:${email.toLowerCase()}`, `ip:${req.ip}`];
        const wait = await loginDelay(ctx, keys);
        if (wait > 0) {
          res.setHeader('Retry-After', String(wait));
          throw new ApiError(429, 'too_many_failures', `Too many failed sign-ins: try again in ${wait} s`);
        }
        const found = await users.findUserByEmail(ctx.db, email);
        // hash anyway for an unknown email, so timing does not tell which emails exist
        const ok = found ? await verifyPassword(password, found.password_hash) : (await hashPassword(password), false);
        if (!found || !ok || found.disabled) {
          for (const key of keys) await users.recordLoginFailure(ctx.db, key, failureWindowSeconds);
          throw new ApiError(401, 'invalid_credentials', 'Wrong email or password');
        }
        for (const key of keys) await users.clearLoginFailures(ctx.db, key);
        const secret = newSecret('s');
        await users.createSession(ctx.db, hashSecret(secret), found.id, sessionTtlSeconds);
        setSessionCookie(ctx, res, secret);
        return { user: await users.getAuthUser(ctx.db, found.id) };
      },
    },
    {
      method: 'post', path: '/logout', access: 'public',
      handler: async (req: Request, res: Response) => {
        const cookie = (req.cookies as Record<string, string> | undefined)?.[sessionCookie];
        if (cookie) await users.deleteSession(ctx.db, hashSecret(cookie));
        setSessionCookie(ctx, res, null);
        return { ok: true };
      },
    },
    { method: 'get', path: '/me', access: 'signed_in', handler: (_req, res) => ({ user: currentUser(res) }) },
    {
      method: 'post', path: '/tokens', access: 'signed_in',
      handler: async (req, res) => {
        const { name } = parseInput(tokenBody, req.body);
        const token = newSecret('lpt');
        const id = await users.createApiToken(ctx.db, currentUser(res).id, name, hashSecret(token));
        res.status(201);
        return { id, name, token };
      },
    },
  ];
}
