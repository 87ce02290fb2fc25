// Roles to tick, each with what it is for and the permissions it grants, so an admin knows what they give.
import { Box, Checkbox, Stack, Text } from '@mantine/core';
import type { RoleInfo, RoleName } from '@contract/users';
import { PermissionBadges } from '../../components/permission-words';

export function RolePicker({ roles, value, onChange, error }: {
  roles: RoleInfo[]; value: RoleName[]; onChange: (roles: RoleName[]) => void; error?: string;
}) {
  return (
    <Checkbox.Group label="Roles" value={value} onChange={(next) => onChange(next as RoleName[])} error={error}
      description="Without a role a user can only sign in and see their own account.">
      <Stack gap="sm" mt="xs">
        {roles.map((role) => (
          <div key={role.name}>
            <Checkbox value={role.name} label={<Text size="sm" fw={600} span>{role.name}</Text>} description={role.description} />
            {/* a checkbox's description is a <p>: the permission badges go beside it */}
            <Box pl={32} pt={4}><PermissionBadges permissions={role.permissions} /></Box>
          </div>
        ))}
      </Stack>
    </Checkbox.Group>
  );
}
