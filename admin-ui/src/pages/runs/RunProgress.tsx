// A run's live progress: the step it is on and how far through it, while it is in flight.
import { Group, Progress, Stack, Text } from '@mantine/core';
import type { RunResponse } from '@contract/runs';
import { formatCount } from '../../components/format';
import { isInFlight } from './run-data';

export const stageLabels: Record<RunResponse['stage'], string> = {
  import: 'Importing',
  transform: 'Checking records',
  stage: 'Comparing with production',
  review: 'Review',
  promote: 'Promoting',
};

export function RunProgress({ run, detailed }: { run: RunResponse; detailed?: boolean }) {
  if (!isInFlight(run.status)) return null;
  const { stage, percent, done, total } = run.progress;
  const waiting = run.status === 'queued';
  return (
    <Stack gap={4} data-testid="run-progress" miw={140}>
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text size="xs" c="dimmed">{waiting ? 'Waiting for a worker' : stageLabels[stage]}</Text>
        <Text size="xs" fw={500}>{percent} %</Text>
      </Group>
      <Progress value={percent} animated={!waiting} aria-label={`Progress of run ${run.id}`} />
      {detailed && total > 0 && (
        <Text size="xs" c="dimmed">{formatCount(done)} of {formatCount(total)} done</Text>
      )}
    </Stack>
  );
}
