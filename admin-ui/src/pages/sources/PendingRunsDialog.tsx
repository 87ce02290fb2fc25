// A change to a config that still has unfinished runs: the server answers 409 pending_runs listing them,
// and the admin says whether they finish with the old settings or are cancelled; the change is then sent again.
import { Button, Group, List, Modal, Stack, Text } from '@mantine/core';
import { ApiError } from '../../app/api';
import { statusLabel } from '../../components/StatusBadge';
import type { PendingRunsChoice } from './queries';

export interface PendingRun {
  id: number;
  status: string;
}

/** The runs of a 409 pending_runs answer, or null for any other error. */
export function pendingRunsOf(error: unknown): PendingRun[] | null {
  if (!(error instanceof ApiError) || error.status !== 409 || error.code !== 'pending_runs') return null;
  const runs = (error.details as { runs?: unknown } | undefined)?.runs;
  if (!Array.isArray(runs)) return [];
  return runs.filter((run): run is PendingRun => typeof run?.id === 'number' && typeof run?.status === 'string');
}

export function PendingRunsDialog({ runs, action, busy, onChoose, onClose }: {
  runs: PendingRun[] | null;
  /** what is being done to the config, e.g. "save your changes" */
  action: string;
  busy: PendingRunsChoice | null;
  onChoose: (choice: PendingRunsChoice) => void;
  onClose: () => void;
}) {
  return (
    <Modal opened={runs !== null} onClose={onClose} title="This config has unfinished runs" size="lg" zIndex={400}>
      <Stack>
        <Text>
          This config has unfinished runs:{' '}
          {(runs ?? []).map((run) => `#${run.id} ${statusLabel(run.status)}`).join(', ')}.
          Keep them (they finish with the old settings) or cancel them?
        </Text>
        <List size="sm">
          <List.Item><b>Keep them</b>: they go on as they started, and you {action}.</List.Item>
          <List.Item><b>Cancel them</b>: they stop and nothing of them reaches production; then you {action}.</List.Item>
        </List>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} disabled={busy !== null}>Go back</Button>
          <Button variant="light" onClick={() => onChoose('keep')} loading={busy === 'keep'} disabled={busy === 'cancel'}>Keep them</Button>
          <Button color="red" onClick={() => onChoose('cancel')} loading={busy === 'cancel'} disabled={busy === 'keep'}>Cancel them</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
