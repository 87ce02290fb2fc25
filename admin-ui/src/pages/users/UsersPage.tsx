// Users and their roles (users:admin): list, create, change roles, disable and enable, reset a password,
// delete. What each role grants is on the page, and the server's refusals (such as a change that would
// leave nobody able to manage users) are shown where the change was asked for.
import { useState } from 'react';
import { Alert, Badge, Button, Card, Center, Group, Loader, Menu, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { AdminUser, RoleList, UserList } from '@contract/users';
import { api } from '../../app/api';
import { useSession } from '../../app/auth';
import { ConfirmModal } from '../../components/ConfirmModal';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatDate } from '../../components/format';
import { PermissionBadges } from '../../components/permission-words';
import { NewUserModal } from './NewUserModal';
import { ResetPasswordModal } from './ResetPasswordModal';
import { RolesModal } from './RolesModal';

export const usersKey = ['admin', 'users'] as const;
const rolesKey = ['admin', 'roles'] as const;

type Dialog =
  | { kind: 'new' }
  | { kind: 'roles' | 'password' | 'disable' | 'enable' | 'delete'; user: AdminUser };

export default function UsersPage() {
  const session = useSession();
  const queryClient = useQueryClient();
  const users = useQuery({ queryKey: usersKey, queryFn: () => api.get<UserList>('/api/v1/admin/users') });
  const roles = useQuery({ queryKey: rolesKey, queryFn: () => api.get<RoleList>('/api/v1/admin/roles'), staleTime: 300_000 });
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const close = () => setDialog(null);

  const refresh = () => queryClient.invalidateQueries({ queryKey: usersKey });
  const done = async (message: string) => {
    notifications.show({ color: 'green', title: 'Saved', message });
    await refresh();
  };
  const who = (user: AdminUser) => user.name ? `${user.name} (${user.email})` : user.email;
  const setDisabled = async (user: AdminUser, disabled: boolean) => {
    await api.patch(`/api/v1/admin/users/${user.id}`, { disabled });
    await done(disabled ? `${who(user)} is disabled and signed out everywhere.` : `${who(user)} can sign in again.`);
  };

  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={2}>Users</Title>
          <Text c="dimmed" size="sm">Who may sign in, and what their roles let them do.</Text>
        </div>
        <Button onClick={() => setDialog({ kind: 'new' })}>New user</Button>
      </Group>

      <ErrorAlert error={users.error} title="The users could not be loaded" />
      {users.isPending && <Center py="lg"><Loader aria-label="Loading users" /></Center>}
      {users.data && (
        <Table striped highlightOnHover verticalSpacing="xs" data-testid="users-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Email</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>Roles</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th aria-label="Actions" />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.data.users.map((user) => {
              const self = user.id === session.user.id;
              return (
                <Table.Tr key={user.id} data-user={user.email}>
                  <Table.Td>
                    {user.email}
                    {self && <Text span c="dimmed" size="sm"> (you)</Text>}
                  </Table.Td>
                  <Table.Td>{user.name ?? '–'}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {user.roles.length
                        ? user.roles.map((role) => <Badge key={role} variant="light" tt="none">{role}</Badge>)
                        : <Text size="sm" c="dimmed">no roles: can only see their own account</Text>}
                    </Group>
                  </Table.Td>
                  <Table.Td>{user.disabled ? <Badge color="red" variant="filled">Disabled</Badge> : <Badge color="green" variant="light">Active</Badge>}</Table.Td>
                  <Table.Td>{formatDate(user.created_at)}</Table.Td>
                  <Table.Td>
                    <Menu position="bottom-end" withinPortal>
                      <Menu.Target>
                        <Button size="compact-sm" variant="default" aria-label={`Change ${user.email}`}>Change…</Button>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item onClick={() => setDialog({ kind: 'roles', user })}>Change roles</Menu.Item>
                        <Menu.Item onClick={() => setDialog({ kind: 'password', user })}>Reset password</Menu.Item>
                        {!self && (user.disabled
                          ? <Menu.Item onClick={() => setDialog({ kind: 'enable', user })}>Enable</Menu.Item>
                          : <Menu.Item color="red" onClick={() => setDialog({ kind: 'disable', user })}>Disable</Menu.Item>)}
                        {!self && <Menu.Item color="red" onClick={() => setDialog({ kind: 'delete', user })}>Delete</Menu.Item>}
                      </Menu.Dropdown>
                    </Menu>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}

      <Card withBorder>
        <Title order={4} mb="xs">What each role grants</Title>
        <ErrorAlert error={roles.error} title="The roles could not be loaded" />
        {roles.data && (
          <Table verticalSpacing="xs" data-testid="roles-table">
            <Table.Tbody>
              {roles.data.roles.map((role) => (
                <Table.Tr key={role.name}>
                  <Table.Td w={160}><Text fw={600} size="sm">{role.name}</Text></Table.Td>
                  <Table.Td w={260}><Text size="sm">{role.description}</Text></Table.Td>
                  <Table.Td><PermissionBadges permissions={role.permissions} /></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Text size="xs" c="dimmed" mt="xs">A user may have several roles: they can do everything any of them grants.</Text>
      </Card>

      <NewUserModal opened={dialog?.kind === 'new'} roles={roles.data?.roles ?? []} onClose={close}
        onCreated={(email) => done(`${email} can now sign in with the password you chose.`)} />
      {dialog && dialog.kind === 'roles' && (
        <RolesModal user={dialog.user} roles={roles.data?.roles ?? []} self={dialog.user.id === session.user.id} onClose={close}
          onSaved={() => done(`The roles of ${who(dialog.user)} are changed. They apply from their next page.`)} />
      )}
      {dialog && dialog.kind === 'password' && (
        <ResetPasswordModal user={dialog.user} onClose={close}
          onSaved={() => done(`${who(dialog.user)} has a new password; their sessions and API tokens have ended.`)} />
      )}
      {dialog && dialog.kind === 'disable' && (
        <ConfirmModal opened title={`Disable ${dialog.user.email}?`} confirmLabel="Disable" color="red" onClose={close}
          onConfirm={() => setDisabled(dialog.user, true)}>
          <Text size="sm">
            {who(dialog.user)} is signed out everywhere at once, their API tokens stop working, and they cannot sign in until
            someone enables them again. Nothing they did is removed.
          </Text>
        </ConfirmModal>
      )}
      {dialog && dialog.kind === 'enable' && (
        <ConfirmModal opened title={`Enable ${dialog.user.email}?`} confirmLabel="Enable" onClose={close}
          onConfirm={() => setDisabled(dialog.user, false)}>
          <Text size="sm">
            {who(dialog.user)} can sign in again with their password. API tokens they had before were ended when they were
            disabled; they can create new ones on their account page.
          </Text>
        </ConfirmModal>
      )}
      {dialog && dialog.kind === 'delete' && (
        <ConfirmModal opened title={`Delete ${dialog.user.email}?`} confirmLabel="Delete user" color="red" onClose={close}
          onConfirm={async () => {
            await api.delete(`/api/v1/admin/users/${dialog.user.id}`);
            await done(`${who(dialog.user)} is deleted.`);
          }}>
          <Text size="sm">
            {who(dialog.user)} can no longer sign in and their API tokens stop working. This cannot be undone; to only lock them
            out for now, disable them instead.
          </Text>
          <Alert color="gray" variant="light">The timeline of listings keeps the changes they made, under their user number.</Alert>
        </ConfirmModal>
      )}
    </Stack>
  );
}
