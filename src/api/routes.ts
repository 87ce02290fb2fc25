// Routes are declared as data (method, path, permission, handler) and mounted from that list, so the
// list is the router: tests walk it to prove every route checks its permission.
import express, { type Request, type Response } from 'express';
import type { Permission } from '../auth/permissions';
import type { AuthUser } from '../db/users';
import { ApiError } from './errors';

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

export function routerFrom(routes: readonly RouteSpec[]): express.Router {
  const router = express.Router();
  for (const route of routes) {
    router[route.method](route.path, requireAccess(route.access), async (req, res) => {
      const result = await route.handler(req, res);
      if (!res.headersSent) {
        if (result === undefined) res.status(204).end();
        else res.json(result);
      }
    });
  }
  return router;
}

/** Path parameter as a positive integer, or a 400 naming it. */
export function idParam(req: Request, name = 'id'): number {
  const raw = req.params[name];
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ApiError(400, 'invalid_request', `Path parameter ${name} must be a positive integer (got ${JSON.stringify(raw)})`);
  }
  return value;
}
