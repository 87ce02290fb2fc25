// Changes one user's roles. The server refuses a change that would leave nobody able to manage users,
// and says so here.
import { useState } from 'react';
import { Alert, Button, Group, Modal, Stack } from '@mantine/core';
import type { AdminUser, RoleInfo, RoleName } from '@contract/users';
import { api } from '../../app/api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { RolePicker } from './RolePicker';

export function RolesModal({ user, roles, self, onClose, onSaved }: {
  user: AdminUser; roles: RoleInfo[]; self: boolean; onClose: () => void; onSaved: () => Promise<void>;
}) {
  const [value, setValue] = useState<RoleName[]>(user.roles);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const unchanged = value.length === user.roles.length && value.every((role) => user.roles.includes(role));

  async function save() {
    setBusy(true);
    setError(null);
    try {
      await api.patch(`/api/v1/admin/users/${user.id}`, { roles: value });
      await onSaved();
      onClose();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened onClose={() => !busy && onClose()} title={`Roles of ${user.email}`} size="lg" centered>
      <Stack>
        {self && <Alert color="yellow" variant="light">These are your own roles: removing users:admin takes this page away from you.</Alert>}
        <RolePicker roles={roles} value={value} onChange={(next) => { setValue(next); setError(null); }} />
        <ErrorAlert error={error} title="The roles were not changed" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} disabled={busy}>Cancel</Button>
          <Button onClick={() => void save()} loading={busy} disabled={unchanged}>Save roles</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
