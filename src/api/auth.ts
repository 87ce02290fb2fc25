// Who is calling: a session cookie (browser) or a bearer token (scripts), both opaque secrets
// kept hashed in PostgreSQL. Login is slowed after repeated failures per account and per address,
// each attempt counted before its password is checked.
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
const longestWaitSeconds = 300;

// What newSecret('s') and newSecret('lpt') make: anything else sent as one is no session, unlooked-up.
const sessionShape = /^s_[A-Za-z0-9_-]{43}$/;
const tokenShape = /^lpt_[A-Za-z0-9_-]{43}$/;

export const bearerToken = (req: Request): string | undefined => /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];

/**
 * The session cookie, when it is a string shaped like the ones we set. cookie-parser turns a value
 * starting `j:` into whatever JSON it holds (an object, an array, a number), and a browser or a
 * script may send anything: all of that is no session, never an error.
 */
export function sessionSecret(req: Request): string | undefined {
  const value: unknown = (req.cookies as Record<string, unknown> | undefined)?.[sessionCookie];
  return typeof value === 'string' && sessionShape.test(value) ? value : undefined;
}

export function authenticate(ctx: PipelineContext): RequestHandler {
  return async (req, res, next) => {
    const bearer = bearerToken(req);
    const cookie = sessionSecret(req);
    let userId: number | null = null;
    // a bearer header decides, even a malformed one: a script sending a wrong token is told so
    if (bearer !== undefined) userId = tokenShape.test(bearer) ? await users.findTokenUser(ctx.db, hashSecret(bearer)) : null;
    else if (cookie) userId = await users.findSessionUser(ctx.db, hashSecret(cookie));
    if (userId !== null) {
      const user = await users.getAuthUser(ctx.db, userId);
      if (user) res.locals.user = user;
    }
    next();
  };
}

/** Seconds a key must still wait: none for the first five failures in the window, then 2^(n-5) s after the last, at most 300. */
export function failureWait({ failures, secondsSinceLast }: users.LoginFailureCount): number {
  if (failures < freeFailures) return 0;
  const delay = Math.min(2 ** (failures - freeFailures), longestWaitSeconds);
  return Math.max(0, Math.ceil(delay - secondsSinceLast));
}

/** Failures count per account and per client address: guessing one password or many accounts. */
const failureKeys = (email: string, req: Request) => ({ account: `email:${email.toLowerCase()}`, address: `ip:${req.ip ?? 'unknown'}` });
type FailureKeys = ReturnType<typeof failureKeys>;

/**
 * Counts this attempt as a failure before its password is checked (so parallel guesses cannot all
 * pass the check first), or refuses it with 429 while the account or the address is slowed.
 */
async function reserveAttempt(ctx: PipelineContext, res: Response, keys: FailureKeys): Promise<users.LoginReservation> {
  const attempt = await users.reserveLoginAttempt(ctx.db, [keys.account, keys.address], failureWindowSeconds, failureWait);
  if ('reservation' in attempt) return attempt.reservation;
  res.setHeader('Retry-After', String(attempt.waitSeconds));
  throw new ApiError(429, 'too_many_failures', `Too many failed sign-ins: try again in ${attempt.waitSeconds} s`);
}

/**
 * The password was right: the account's failures go, while the address gets back only this
 * attempt, so its failures against other accounts still count.
 */
async function releaseAttempt(ctx: PipelineContext, keys: FailureKeys, reservation: users.LoginReservation): Promise<void> {
  await users.clearLoginFailures(ctx.db, keys.account);
  await users.takeBackLoginAttempt(ctx.db, reservation, keys.address);
}

/** A hash no password matches, checked for an unknown email: the same scrypt as a real account's, so timing tells nothing. */
let nobodysPasswordHash: Promise<string> | undefined;
const passwordHashOfNobody = () => (nobodysPasswordHash ??= hashPassword(newSecret('nobody')));

function setSessionCookie(ctx: PipelineContext, res: Response, secret: string | null): void {
  const options = { httpOnly: true, sameSite: 'lax' as const, secure: ctx.settings.COOKIE_SECURE, path: '/' };
  if (secret) res.cookie(sessionCookie, secret, { ...options, maxAge: sessionTtlSeconds * 1000 });
  else res.clearCookie(sessionCookie, options);
}

export function authRoutes(ctx: PipelineContext): RouteSpec[] {
  void passwordHashOfNobody(); // made at start: the first unknown email must not pay for two hashes
  return [
    {
      method: 'post', path: '/login', access: 'public',
      handler: async (req: Request, res: Response): Promise<SessionReply> => {
        const { email, password } = parseInput(loginBody, req.body);
        const keys = failureKeys(email, req);
        const reservation = await reserveAttempt(ctx, res, keys);
        const found = await users.findUserByEmail(ctx.db, email);
        const ok = await verifyPassword(password, found?.password_hash ?? (await passwordHashOfNobody()));
        // a wrong password, an unknown email or a disabled user: the reserved failure stays
        if (!found || !ok || found.disabled) throw new ApiError(401, 'invalid_credentials', 'Wrong email or password');
        await releaseAttempt(ctx, keys, reservation);
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
        const reservation = await reserveAttempt(ctx, res, keys);
        const stored = await users.getUser(ctx.db, user.id);
        if (!stored || !(await verifyPassword(body.current, stored.password_hash))) {
          throw new ApiError(400, 'invalid_request', 'current: this is not your current password', [
            { path: 'current', message: 'this is not your current password' },
          ]);
        }
        await releaseAttempt(ctx, keys, reservation);
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
