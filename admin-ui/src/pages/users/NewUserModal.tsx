// A new user: email, name, a first password the admin passes on, and roles. Checked with the server's
// own schema as the admin types; the server's refusal (an email in use) is shown in the dialog.
import { useEffect, useState } from 'react';
import { Button, Group, Modal, PasswordInput, Stack, TextInput } from '@mantine/core';
import { minPasswordLength } from '@contract/auth';
import { newUserBody, type NewUserReply, type RoleInfo, type RoleName } from '@contract/users';
import { api } from '../../app/api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { fieldError, schemaErrors } from '../../components/form-errors';
import { RolePicker } from './RolePicker';

const empty = { email: '', name: '', password: '', roles: [] as RoleName[] };

export function NewUserModal({ opened, roles, onClose, onCreated }: {
  opened: boolean; roles: RoleInfo[]; onClose: () => void; onCreated: (email: string) => Promise<void>;
}) {
  const [form, setForm] = useState(empty);
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [serverError, setServerError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (opened) {
      setForm(empty);
      setTouched({});
      setServerError(null);
    }
  }, [opened]);

  const body = { email: form.email, name: form.name.trim() || null, password: form.password, roles: form.roles };
  const local = schemaErrors(newUserBody, body);
  const set = <K extends keyof typeof empty>(key: K, value: (typeof empty)[K]) => {
    setForm((current) => ({ ...current, [key]: value }));
    setTouched((current) => ({ ...current, [key]: true }));
    setServerError(null);
  };
  const error = (path: string) => fieldError(path, local, serverError, touched[path]);

  async function create() {
    setBusy(true);
    setServerError(null);
    try {
      const reply = await api.post<NewUserReply>('/api/v1/admin/users', body);
      await onCreated(reply.user.email);
      onClose();
    } catch (caught) {
      setServerError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened={opened} onClose={() => !busy && onClose()} title="New user" size="lg" centered>
      <form onSubmit={(event) => { event.preventDefault(); void create(); }}>
        <Stack>
          <TextInput label="Email" type="email" required autoComplete="off" value={form.email}
            onChange={(event) => set('email', event.currentTarget.value)} error={error('email')} />
          <TextInput label="Name" autoComplete="off" value={form.name} onChange={(event) => set('name', event.currentTarget.value)} error={error('name')} />
          <PasswordInput label="First password" required autoComplete="new-password" value={form.password}
            description={`At least ${minPasswordLength} characters. Give it to them in person or by phone; they can change it on My account.`}
            onChange={(event) => set('password', event.currentTarget.value)} error={error('password')} />
          <RolePicker roles={roles} value={form.roles} onChange={(value) => set('roles', value)} error={error('roles')} />
          <ErrorAlert error={serverError} title="The user was not created" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} disabled={busy}>Cancel</Button>
            <Button type="submit" loading={busy} disabled={Object.keys(local).length > 0}>Create user</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
