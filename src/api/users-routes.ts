// /api/v1/admin: users and roles (users:admin).
import type { PipelineContext } from '../context';
import { hashPassword } from '../auth/passwords';
import { newUserBody, userPatchBody, type AdminUser, type NewUserReply, type RoleList, type UserList, type UserReply } from '../contract/users';
import { inTransaction } from '../db/pool';
import * as users from '../db/users';
import { ApiError, notFound, parseInput } from './errors';
import { currentUser, idParam, type RouteSpec } from './routes';

const adminUserOf = (row: users.AdminUserRow): AdminUser => ({ ...row, created_at: row.created_at.toISOString() });

const lastAdminMessage =
  'This change would leave no enabled user with users:admin, and then nobody could manage users: ' +
  'give another user the super_admin role first';

export function userRoutes(ctx: PipelineContext): RouteSpec[] {
  return [
    {
      method: 'get', path: '/users', access: 'users:admin',
      handler: async (): Promise<UserList> => ({ users: (await users.listUsers(ctx.db)).map(adminUserOf) }),
    },
    {
      method: 'post', path: '/users', access: 'users:admin',
      handler: async (req, res): Promise<NewUserReply> => {
        const body = parseInput(newUserBody, req.body);
        if (await users.findUserByEmail(ctx.db, body.email)) {
          throw new ApiError(409, 'conflict', `A user with email ${body.email} exists already`);
        }
        const id = await users.createUser(ctx.db, {
          email: body.email, name: body.name, passwordHash: await hashPassword(body.password), roles: body.roles,
        });
        res.status(201);
        return { user: (await users.getAuthUser(ctx.db, id))! };
      },
    },
    {
      method: 'patch', path: '/users/:id', access: 'users:admin',
      handler: async (req): Promise<UserReply> => {
        const id = idParam(req);
        const body = parseInput(userPatchBody, req.body);
        const passwordHash = body.password ? await hashPassword(body.password) : undefined;
        const updated = await inTransaction(ctx.db, async (tx) => {
          await users.lockUserChanges(tx);
          // a password reset or disabling ends the user's sessions and tokens (updateUser)
          if (!(await users.updateUser(tx, id, { name: body.name, disabled: body.disabled, passwordHash }))) throw notFound(`User ${id}`);
          if (body.roles) await users.setUserRoles(tx, id, body.roles);
          if ((await users.countUserAdmins(tx)) === 0) throw new ApiError(409, 'conflict', lastAdminMessage);
          return (await users.getAdminUser(tx, id))!;
        });
        return { user: adminUserOf(updated) };
      },
    },
    {
      method: 'delete', path: '/users/:id', access: 'users:admin',
      handler: async (req, res) => {
        const id = idParam(req);
        if (id === currentUser(res).id) throw new ApiError(409, 'conflict', 'You cannot delete your own user');
        await inTransaction(ctx.db, async (tx) => {
          await users.lockUserChanges(tx);
          const deleted = await users.deleteUser(tx, id).catch((error: unknown) => {
            if (error instanceof users.UserInUse) throw new ApiError(409, 'in_use', error.message);
            throw error;
          });
          if (!deleted) throw notFound(`User ${id}`);
          if ((await users.countUserAdmins(tx)) === 0) throw new ApiError(409, 'conflict', lastAdminMessage);
        });
        return { deleted: id };
      },
    },
    {
      method: 'get', path: '/roles', access: 'users:admin',
      handler: async (): Promise<RoleList> => ({ roles: await users.listRoles(ctx.db) }),
    },
  ];
}
