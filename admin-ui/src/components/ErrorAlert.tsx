// The server's own message for a failed request, as a person can act on it.
import { Alert } from '@mantine/core';
import { ApiError } from '../app/api';

export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <Alert color="red" title={title ?? (error instanceof ApiError && error.status === 409 ? 'Not possible right now' : 'Something went wrong')} role="alert">
      {message}
    </Alert>
  );
}
