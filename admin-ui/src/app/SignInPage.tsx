// Sign in, then back to the page that asked for it (?next=, only paths of this app).
import { useState, type FormEvent } from 'react';
import { Alert, Button, Center, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router';
import { api, ApiError } from './api';
import { meKey, safeNext } from './auth';

export function SignInPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const reply = await api.post<{ user: unknown }>('/api/v1/auth/login', { email, password });
      queryClient.setQueryData(meKey, reply);
      const next = safeNext(params.get('next'));
      // Bull Board is served by the server, not by this app
      if (next.startsWith('/admin/queues')) window.location.assign(next);
      else navigate(next, { replace: true });
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Signing in failed');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center h="100vh" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w={380}>
        <form onSubmit={submit}>
          <Stack>
            <Title order={3}>Listings pipeline</Title>
            {params.get('next') && !error && <Alert color="blue">Please sign in to continue.</Alert>}
            {error && <Alert color="red" role="alert">{error}</Alert>}
            <TextInput label="Email" type="email" autoComplete="username" required value={email}
              onChange={(e) => setEmail(e.currentTarget.value)} />
            <PasswordInput label="Password" autoComplete="current-password" required value={password}
              onChange={(e) => setPassword(e.currentTarget.value)} />
            <Button type="submit" loading={busy}>Sign in</Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
