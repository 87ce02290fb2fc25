// The permissions of DESIGN.md; roles and their grants live in the database (migrations seed them).
export const permissions = [
  'pipeline:read', 'pipeline:write', 'pipeline:review', 'pipeline:promote', 'pipeline:queues', 'users:admin',
] as const;
export type Permission = (typeof permissions)[number];

export const roleNames = ['super_admin', 'pipeline_admin', 'reviewer', 'ops', 'viewer'] as const;
export type RoleName = (typeof roleNames)[number];
