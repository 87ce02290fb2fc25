// My API tokens: scripts send one as `Authorization: Bearer <token>` and act with my permissions.
// A new token is shown once, in a dialog with a copy button; the server keeps only its hash.
import { useState, type FormEvent } from 'react';
import { Alert, Button, Card, Code, CopyButton, Group, Modal, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { tokenCreateBody, type TokenCreated, type TokenInfo, type TokenList } from '@contract/auth';
import { api } from '../../app/api';
import { ConfirmModal } from '../../components/ConfirmModal';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatDate } from '../../components/format';
import { fieldError, schemaErrors } from '../../components/form-errors';
import { tokensKey } from './tokens';

export function TokensCard() {
  const queryClient = useQueryClient();
  const tokens = useQuery({ queryKey: tokensKey, queryFn: () => api.get<TokenList>('/api/v1/auth/tokens') });
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  const [serverError, setServerError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const [revoking, setRevoking] = useState<TokenInfo | null>(null);
  const local = schemaErrors(tokenCreateBody, { name });

  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setServerError(null);
    try {
      setCreated(await api.post<TokenCreated>('/api/v1/auth/tokens', { name }));
      setName('');
      setTouched(false);
      await queryClient.invalidateQueries({ queryKey: tokensKey });
    } catch (caught) {
      setServerError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card withBorder h="100%">
      <Title order={4}>My API tokens</Title>
      <Text size="sm" c="dimmed" mb="sm">
        For scripts that use the API as you: they send the token as <Code>Authorization: Bearer …</Code> and may do what your
        roles allow. Revoke a token as soon as a script no longer needs it.
      </Text>

      <ErrorAlert error={tokens.error} title="Your tokens could not be loaded" />
      {tokens.data && (tokens.data.tokens.length ? (
        <Table verticalSpacing="xs" mb="md" data-testid="tokens-table">
          <Table.Thead>
            <Table.Tr><Table.Th>Name</Table.Th><Table.Th>Created</Table.Th><Table.Th>Last used</Table.Th><Table.Th aria-label="Actions" /></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {tokens.data.tokens.map((token) => (
              <Table.Tr key={token.id} data-token={token.name}>
                <Table.Td>{token.name}</Table.Td>
                <Table.Td>{formatDate(token.created_at)}</Table.Td>
                <Table.Td>{token.last_used_at ? formatDate(token.last_used_at) : 'never'}</Table.Td>
                <Table.Td>
                  <Button size="compact-sm" variant="light" color="red" onClick={() => setRevoking(token)}>Revoke</Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : <Text size="sm" mb="md">You have no API tokens. Create one below when a script needs to use the API.</Text>)}

      <form onSubmit={create} aria-label="Create a token">
        <Group align="flex-end">
          <TextInput label="New token's name" placeholder="e.g. nightly export script" w={300} value={name}
            description="Say what will use it, so you know which one to revoke later."
            onChange={(event) => { setName(event.currentTarget.value); setTouched(true); setServerError(null); }}
            error={fieldError('name', local, serverError, touched)} />
          <Button type="submit" loading={busy} disabled={Object.keys(local).length > 0}>Create token</Button>
        </Group>
        {!(serverError && fieldError('name', {}, serverError)) && <ErrorAlert error={serverError} title="The token was not created" />}
      </form>

      <Modal opened={created !== null} onClose={() => setCreated(null)} title={`Your new token “${created?.name ?? ''}”`}
        size="lg" centered closeOnClickOutside={false} closeOnEscape={false}>
        {created && (
          <Stack>
            <Alert color="red" variant="light" title="Copy it now: it will not be shown again">
              Only a fingerprint of it is kept, so nobody can show it to you later. If you lose it, revoke it and create another.
            </Alert>
            <Code block data-testid="new-token" style={{ wordBreak: 'break-all' }}>{created.token}</Code>
            <Group justify="space-between">
              <CopyButton value={created.token} timeout={3000}>
                {({ copied, copy }) => (
                  <Button color={copied ? 'teal' : undefined} variant={copied ? 'light' : 'filled'} onClick={copy}>
                    {copied ? 'Copied' : 'Copy token'}
                  </Button>
                )}
              </CopyButton>
              <Button variant="default" onClick={() => setCreated(null)}>I have copied it</Button>
            </Group>
          </Stack>
        )}
      </Modal>

      {revoking && (
        <ConfirmModal opened title={`Revoke “${revoking.name}”?`} confirmLabel="Revoke token" color="red" onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.delete(`/api/v1/auth/tokens/${revoking.id}`);
            await queryClient.invalidateQueries({ queryKey: tokensKey });
          }}>
          <Text size="sm">Scripts that use this token stop working at once and get “not signed in” answers. This cannot be undone.</Text>
        </ConfirmModal>
      )}
    </Card>
  );
}
