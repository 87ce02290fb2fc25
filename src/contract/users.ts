// Bodies and replies of /api/v1/admin (users and roles), for the server and the admin UI alike:
// zod only, no I/O.
import { z } from 'zod';
import { authUser, newPassword } from './auth';
import { permissions, roleNames } from '../auth/permissions';

export { permissions, roleNames, type Permission, type RoleName } from '../auth/permissions';

export const newUserBody = z.object({
  email: z.string().trim().email(),
  name: z.string().trim().max(200).nullish(),
  password: newPassword,
  roles: z.array(z.enum(roleNames)).default(['viewer']),
});
export type NewUserBody = z.infer<typeof newUserBody>;
/** The created user with the permissions its roles grant. */
export const newUserReply = z.object({ user: authUser });
export type NewUserReply = z.infer<typeof newUserReply>;

/** `password` resets it and `disabled: true` locks the user out; either ends their sessions and tokens. */
export const userPatchBody = z.object({
  name: z.string().trim().max(200).nullish(),
  password: newPassword.optional(),
  roles: z.array(z.enum(roleNames)).optional(),
  disabled: z.boolean().optional(),
});
export type UserPatchBody = z.infer<typeof userPatchBody>;

/** A user as the admin pages list it (created_at is ISO 8601). */
export const adminUser = z.object({
  id: z.number().int(),
  email: z.string(),
  name: z.string().nullable(),
  disabled: z.boolean(),
  created_at: z.iso.datetime(),
  roles: z.array(z.enum(roleNames)),
});
export type AdminUser = z.infer<typeof adminUser>;
export const userList = z.object({ users: z.array(adminUser) });
export type UserList = z.infer<typeof userList>;
export const userReply = z.object({ user: adminUser });
export type UserReply = z.infer<typeof userReply>;

export const roleInfo = z.object({ name: z.enum(roleNames), description: z.string(), permissions: z.array(z.enum(permissions)) });
export type RoleInfo = z.infer<typeof roleInfo>;
export const roleList = z.object({ roles: z.array(roleInfo) });
export type RoleList = z.infer<typeof roleList>;
