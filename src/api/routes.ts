// Routes are declared as data (method, path, permission, handler) and mounted from that list, so the
// list is the router: tests walk it to prove every route checks its permission.
import express, { type Request, type Response } from 'express';
import type { Permission } from '../auth/permissions';
import type { AuthUser } from '../db/users';
import { ApiError } from './errors';
import { refuseUnreadableText } from './request-text';

export type Access = Permission | 'public' | 'signed_in';

export interface RouteSpec {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  access: Access;
  handler: (req: Request, res: Response) => unknown;
}

export function currentUser(res: Response): AuthUser {
  const user = res.locals.user as AuthUser | undefined;
  if (!user) throw new ApiError(401, 'unauthenticated', 'Sign in first: no session cookie or bearer token was sent');
  return user;
}

export function requireAccess(access: Access): express.RequestHandler {
  return (_req, res, next) => {
    if (access === 'public') return next();
    const user = currentUser(res);
    if (access !== 'signed_in' && !user.permissions.includes(access)) {
      throw new ApiError(403, 'forbidden', `This needs the permission ${access}, which your roles do not grant`, {
        permission: access,
      });
    }
    next();
  };
}

/**
 * The parameter of a declared route whose percent-encoding is not UTF-8 in this path, if any. Express
 * would answer "Failed to decode param '%C3%28'" while matching, before any handler, without its name.
 */
function undecodableParam(routes: readonly RouteSpec[], method: string, path: string): { name: string; raw: string } | null {
  const segments = path.replace(/(.)\/$/, '$1').split('/');
  const verb = method === 'HEAD' ? 'get' : method.toLowerCase();
  for (const route of routes) {
    const pattern = route.path.split('/');
    if (route.method !== verb || pattern.length !== segments.length) continue;
    const matches = pattern.every((part, i) => part.startsWith(':') ? segments[i] !== '' : part.toLowerCase() === segments[i]!.toLowerCase());
    if (!matches) continue;
    for (const [i, part] of pattern.entries()) {
      if (!part.startsWith(':')) continue;
      try {
        decodeURIComponent(segments[i]!);
      } catch {
        return { name: part.slice(1), raw: segments[i]! };
      }
    }
  }
  return null;
}

export function routerFrom(routes: readonly RouteSpec[]): express.Router {
  const router = express.Router();
  router.use((req, _res, next) => {
    const param = req.path.includes('%') ? undecodableParam(routes, req.method, req.path) : null;
    if (!param) return next();
    next(new ApiError(400, 'invalid_request', `Path parameter ${param.name}: ${JSON.stringify(param.raw)} is not UTF-8 text once percent-decoded`,
      [{ path: param.name, message: 'not UTF-8 text once percent-decoded' }]));
  });
  for (const route of routes) {
    router[route.method](route.path, requireAccess(route.access), async (req, res) => {
      // after the access check: who may not call a route learns nothing of its input
      refuseUnreadableText(req);
      const result = await route.handler(req, res);
      if (!res.headersSent) {
        if (result === undefined) res.status(204).end();
        else res.json(result);
      }
    });
  }
  return router;
}

// Ids of serial (int4) tables stop here; larger ones would reach PostgreSQL as an out-of-range error.
export const maxSerialId = 2_147_483_647;
// Ids of bigserial tables (configs, runs, staged rows, files), as far as JavaScript numbers are exact.
export const maxBigSerialId = Number.MAX_SAFE_INTEGER;

/** Text that is an id from 1 to max (digits only), as that number; null for anything else. */
export function idFromText(raw: unknown, max = maxSerialId): number | null {
  const value = typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(value) && value > 0 && value <= max ? value : null;
}

/**
 * Path parameter as an id from 1 to max, or a 400 naming it. Digits only: Number() would also read
 * " 1", "+1", "1e3" and "0x10", so DELETE /users/%201 would delete user 1 and /dmos/0x10 be DMO 16.
 */
export function idParam(req: Request, name = 'id', max = maxSerialId): number {
  const raw = req.params[name];
  const value = idFromText(raw, max);
  if (value === null) {
    throw new ApiError(400, 'invalid_request', `Path parameter ${name} must be a whole number from 1 to ${max} (got ${JSON.stringify(raw)})`);
  }
  return value;
}
