// What each permission lets a person do, in words, for the pages that grant or show them.
import { Badge, Group, Tooltip } from '@mantine/core';
import type { Permission } from '@contract/permissions';

export const permissionWords: Record<Permission, string> = {
  'pipeline:read': 'See sources, runs, review and listings',
  'pipeline:write': 'Set up sources, start runs and edit listings',
  'pipeline:review': 'Approve or reject what a run would change',
  'pipeline:promote': 'Publish approved changes to the site',
  'pipeline:queues': 'Retry and clean up jobs in Bull Board',
  'users:admin': 'Manage users and their roles',
};

export function PermissionBadges({ permissions }: { permissions: readonly Permission[] }) {
  if (!permissions.length) return <Badge color="gray" variant="outline">no permissions</Badge>;
  return (
    <Group gap={4} wrap="wrap">
      {permissions.map((permission) => (
        <Tooltip key={permission} label={permissionWords[permission]} withArrow>
          <Badge variant="light" color={permission === 'users:admin' ? 'red' : 'indigo'} tt="none">{permission}</Badge>
        </Tooltip>
      ))}
    </Group>
  );
}
