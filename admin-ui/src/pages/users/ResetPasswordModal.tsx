// An admin sets a new password for someone who lost theirs; their sessions and API tokens end.
import { useState } from 'react';
import { Alert, Button, Group, Modal, PasswordInput, Stack } from '@mantine/core';
import { minPasswordLength } from '@contract/auth';
import { userPatchBody, type AdminUser } from '@contract/users';
import { api } from '../../app/api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { fieldError, schemaErrors } from '../../components/form-errors';

export function ResetPasswordModal({ user, onClose, onSaved }: { user: AdminUser; onClose: () => void; onSaved: () => Promise<void> }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const local = schemaErrors(userPatchBody, { password });

  async function save() {
    setBusy(true);
    setError(null);
    try {
      await api.patch(`/api/v1/admin/users/${user.id}`, { password });
      await onSaved();
      onClose();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened onClose={() => !busy && onClose()} title={`New password for ${user.email}`} centered>
      <form onSubmit={(event) => { event.preventDefault(); void save(); }}>
        <Stack>
          <Alert color="yellow" variant="light">
            They are signed out everywhere and their API tokens stop working. Give them the new password in person or by phone.
          </Alert>
          <PasswordInput label="New password" autoComplete="new-password" required value={password}
            description={`At least ${minPasswordLength} characters.`}
            onChange={(event) => { setPassword(event.currentTarget.value); setError(null); }}
            error={fieldError('password', local, error, password.length > 0)} />
          <ErrorAlert error={error} title="The password was not changed" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={busy}>Cancel</Button>
            <Button type="submit" color="red" loading={busy} disabled={Object.keys(local).length > 0}>Set new password</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
