// Retry, Cancel and Discard of a run (pipeline:write), each saying what it does before it does it and
// showing the server's message when the run has moved on and the server refuses (409).
import { useState, type ReactNode } from 'react';
import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { RunResponse } from '@contract/runs';
import { api } from '../../app/api';
import { useSession } from '../../app/auth';
import { ErrorAlert } from '../../components/ErrorAlert';
import { cancellableStatuses, discardableStatuses, retryableStatuses, runKey } from './run-data';

type Action = 'retry' | 'cancel' | 'discard';

interface ActionText {
  button: string;
  title: string;
  explain: (run: RunResponse) => ReactNode;
  confirm: string;
  color: string;
  done: string;
}

const actions: Record<Action, ActionText> = {
  retry: {
    button: 'Retry',
    title: 'Retry this run',
    explain: () => 'The step that failed runs again, and the run carries on from there.',
    confirm: 'Retry',
    color: 'indigo',
    done: 'The run was started again',
  },
  cancel: {
    button: 'Cancel run',
    title: 'Cancel this run?',
    explain: (run) => (
      <>
        The run stops {run.status === 'awaiting_review' ? 'and can no longer be reviewed or promoted' : 'where it is'}; nothing of it
        reaches the live listings. This cannot be undone: to import the data again, start a new run from Sources.
      </>
    ),
    confirm: 'Cancel run',
    color: 'red',
    done: 'The run was cancelled',
  },
  discard: {
    button: 'Discard',
    title: 'Discard this run?',
    explain: () => (
      <>
        Its staged rows are dropped: every review decision made on this run is lost and none of its records can be promoted.
        The files it imported are kept. This cannot be undone.
      </>
    ),
    confirm: 'Discard run',
    color: 'red',
    done: 'The run was discarded: its staged rows were dropped',
  },
};

export function availableActions(run: RunResponse): Action[] {
  const list: Action[] = [];
  if (retryableStatuses.includes(run.status)) list.push('retry');
  if (cancellableStatuses.includes(run.status)) list.push('cancel');
  if (discardableStatuses.includes(run.status)) list.push('discard');
  return list;
}

export function RunActions({ run }: { run: RunResponse }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState<Action | null>(null);
  const mutation = useMutation({
    mutationFn: (action: Action) => api.post<RunResponse>(`/api/v1/pipeline/jobs/${run.id}/${action}`),
    onSuccess: (updated, action) => {
      queryClient.setQueryData(runKey(run.id), updated);
      void queryClient.invalidateQueries({ queryKey: runKey(run.id) });
      void queryClient.invalidateQueries({ queryKey: ['runs-page', 'list'] });
      notifications.show({ color: 'green', message: actions[action].done });
      setAsking(null);
    },
    // a refusal means the run moved on: show its status as the server has it now
    onError: () => void queryClient.invalidateQueries({ queryKey: runKey(run.id) }),
  });

  if (!session.can('pipeline:write')) return null;
  const list = availableActions(run);
  // the dialog stays while it is open, so a refusal can be read even after the run has moved on
  if (!list.length && !asking) return null;
  const text = asking ? actions[asking] : null;

  const open = (action: Action) => {
    mutation.reset();
    // a retry changes nothing that cannot be changed back: it needs no second thought
    if (action === 'retry') mutation.mutate(action);
    else setAsking(action);
  };

  return (
    <Stack gap="xs" align="end">
      <Group gap="xs">
        {list.map((action) => (
          <Button key={action} variant={action === 'retry' ? 'filled' : 'light'} color={actions[action].color}
            loading={action === 'retry' && mutation.isPending} onClick={() => open(action)}>
            {actions[action].button}
          </Button>
        ))}
      </Group>
      {!asking && <ErrorAlert error={mutation.error} />}
      <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened={text !== null} onClose={() => setAsking(null)} title={text?.title} centered>
        {text && asking && (
          <Stack>
            <Text size="sm">{text.explain(run)}</Text>
            <ErrorAlert error={mutation.error} />
            <Group justify="flex-end">
              {list.includes(asking) ? (
                <>
                  <Button variant="default" onClick={() => setAsking(null)}>Keep the run as it is</Button>
                  <Button color={text.color} loading={mutation.isPending} onClick={() => mutation.mutate(asking)}>{text.confirm}</Button>
                </>
              ) : (
                <Button variant="default" onClick={() => setAsking(null)}>Close</Button>
              )}
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
