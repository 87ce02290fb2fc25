// /api/v1/admin: users and roles (users:admin).
import { z } from 'zod';
import type { PipelineContext } from '../context';
import { hashPassword } from '../auth/passwords';
import { roleNames } from '../auth/permissions';
import * as users from '../db/users';
import { ApiError, notFound, parseInput } from './errors';
import { currentUser, idParam, type RouteSpec } from './routes';

const newUser = z.object({
  email: z.string().trim().email(),
  name: z.string().trim().max(200).nullish(),
  password: z.string().min(8).max(1024),
  roles: z.array(z.enum(roleNames)).default(['viewer']),
});
const userPatch = z.object({
  name: z.string().trim().max(200).nullish(),
  password: z.string().min(8).max(1024).optional(),
  roles: z.array(z.enum(roleNames)).optional(),
  disabled: z.boolean().optional(),
});

export function userRoutes(ctx: PipelineContext): RouteSpec[] {
  return [
    { method: 'get', path: '/users', access: 'users:admin', handler: async () => ({ users: await users.listUsers(ctx.db) }) },
    {
      method: 'post', path: '/users', access: 'users:admin',
      handler: async (req, res) => {
        const body = parseInput(newUser, req.body);
        if (await users.findUserByEmail(ctx.db, body.email)) {
          throw new ApiError(409, 'conflict', `A user with email ${body.email} exists already`);
        }
        const id = await users.createUser(ctx.db, {
          email: body.email, name: body.name, passwordHash: await hashPassword(body.password), roles: body.roles,
        });
        res.status(201);
        return { user: await users.getAuthUser(ctx.db, id) };
      },
    },
    {
      method: 'patch', path: '/users/:id', access: 'users:admin',
      handler: async (req) => {
        const id = idParam(req);
        const body = parseInput(userPatch, req.body);
        const found = await users.updateUser(ctx.db, id, {
          name: body.name, disabled: body.disabled,
          passwordHash: body.password ? await hashPassword(body.password) : undefined,
        });
        if (!found) throw notFound(`User ${id}`);
        if (body.roles) await users.setUserRoles(ctx.db, id, body.roles);
        return { user: (await users.listUsers(ctx.db)).find((user) => user.id === id) };
      },
    },
    {
      method: 'delete', path: '/users/:id', access: 'users:admin',
      handler: async (req, res) => {
        const id = idParam(req);
        if (id === currentUser(res).id) throw new ApiError(409, 'conflict', 'You cannot delete your own user');
        if (!(await users.deleteUser(ctx.db, id))) throw notFound(`User ${id}`);
        return { deleted: id };
      },
    },
    { method: 'get', path: '/roles', access: 'users:admin', handler: async () => ({ roles: await users.listRoles(ctx.db) }) },
  ];
}
