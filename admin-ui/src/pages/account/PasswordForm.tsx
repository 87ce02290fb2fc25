// Changing one's own password: the current one, the new one twice. Every other session and every API
// token of the user ends; this browser stays signed in.
import { useState, type ChangeEvent, type FormEvent } from 'react';
import { Alert, Button, Card, Group, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { minPasswordLength, passwordChangeBody } from '@contract/auth';
import { api, ApiError } from '../../app/api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { fieldError, schemaErrors } from '../../components/form-errors';
import { tokensKey } from './tokens';

export function PasswordForm() {
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [serverError, setServerError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const body = { current, new: next };
  const local = schemaErrors(passwordChangeBody, body);
  if (repeat && repeat !== next) local.repeat = 'does not match the new password';
  const ready = Object.keys(local).length === 0 && repeat === next;
  // a refusal about one field is shown at that field
  const fieldRefused = serverError instanceof ApiError && ['current', 'new'].some((path) => serverError.fieldMessage(path));

  const change = (set: (value: string) => void) => (event: ChangeEvent<HTMLInputElement>) => {
    set(event.currentTarget.value);
    setServerError(null);
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setServerError(null);
    try {
      await api.post('/api/v1/auth/password', body);
      setCurrent('');
      setNext('');
      setRepeat('');
      await queryClient.invalidateQueries({ queryKey: tokensKey });
      notifications.show({
        color: 'green', title: 'Password changed',
        message: 'You stay signed in here; your other sessions and all your API tokens have ended.',
      });
    } catch (caught) {
      setServerError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card withBorder h="100%">
      <Title order={4} mb="xs">Change my password</Title>
      <form onSubmit={submit} aria-label="Change my password">
        <Stack>
          <Alert color="yellow" variant="light">
            Changing it signs you out on every other browser and ends <b>all your API tokens</b>: scripts using them stop
            working until you give them a new token. This browser stays signed in.
          </Alert>
          <PasswordInput label="Current password" autoComplete="current-password" value={current} onChange={change(setCurrent)}
            error={fieldError('current', local, serverError, false)} />
          <PasswordInput label="New password" autoComplete="new-password" value={next} onChange={change(setNext)}
            description={`At least ${minPasswordLength} characters.`} error={fieldError('new', local, serverError, next.length > 0)} />
          <PasswordInput label="New password again" autoComplete="new-password" value={repeat} onChange={change(setRepeat)}
            error={local.repeat} />
          {!fieldRefused && <ErrorAlert error={serverError} title="The password was not changed" />}
          <Group>
            <Button type="submit" loading={busy} disabled={!ready}>Change password</Button>
            {!repeat && next && <Text size="xs" c="dimmed">Type the new password again to check it.</Text>}
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
