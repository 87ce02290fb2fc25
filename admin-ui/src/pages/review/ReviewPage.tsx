// The sidebar's Review: the runs waiting for a person, each with what it would change and a link to
// its review.
import { Link } from 'react-router';
import { Alert, Anchor, Button, Center, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatCount, formatDate } from '../../components/format';
import { useRunsAwaitingReview, useSourceNames } from './review-api';

export default function ReviewPage() {
  const runs = useRunsAwaitingReview();
  const names = useSourceNames();
  return (
    <Stack>
      <div>
        <Title order={2}>Review</Title>
        <Text size="sm" c="dimmed">
          Imports that finished staging and wait for a person to approve what they would change before they are promoted to production.
        </Text>
      </div>
      <ErrorAlert error={runs.error} />
      {runs.isPending && <Center py="lg"><Loader aria-label="Loading runs" /></Center>}
      {runs.data && runs.data.jobs.length === 0 && (
        <Alert color="gray" title="Nothing to review" data-testid="no-runs">
          No run is waiting for review. When an import finishes staging it appears here; start one from{' '}
          <Anchor component={Link} to="/admin/sources">Sources</Anchor>, or follow a run on the{' '}
          <Anchor component={Link} to="/admin/runs">Runs</Anchor> page.
        </Alert>
      )}
      {runs.data && runs.data.jobs.length > 0 && (
        <Table.ScrollContainer minWidth={900}>
          <Table highlightOnHover aria-label="Runs awaiting review" data-testid="review-runs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Run</Table.Th>
                <Table.Th>Source</Table.Th>
                <Table.Th>Staged</Table.Th>
                <Table.Th ta="right">New</Table.Th>
                <Table.Th ta="right">Updates</Table.Th>
                <Table.Th ta="right">Unchanged</Table.Th>
                <Table.Th ta="right">Duplicates</Table.Th>
                <Table.Th ta="right">Deletions</Table.Th>
                <Table.Th ta="right">Possible matches</Table.Th>
                <Table.Th ta="right">Records with errors</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {runs.data.jobs.map((run) => {
                const r = run.results;
                const name = names(run);
                return (
                  <Table.Tr key={run.id} data-run-id={run.id}>
                    <Table.Td>#{run.id}</Table.Td>
                    <Table.Td>
                      <Text size="sm" fw={500}>{name.source}</Text>
                      <Text size="xs" c="dimmed">{name.dmo}</Text>
                    </Table.Td>
                    <Table.Td>{formatDate(run.staged_at ?? run.created_at)}</Table.Td>
                    <Table.Td ta="right">{formatCount(r?.records_new)}</Table.Td>
                    <Table.Td ta="right">{formatCount(r?.records_updated)}</Table.Td>
                    <Table.Td ta="right">{formatCount(r?.records_unchanged)}</Table.Td>
                    <Table.Td ta="right">{formatCount(r?.records_duplicates)}</Table.Td>
                    <Table.Td ta="right" c={r?.records_deleted ? 'red.8' : undefined}>{formatCount(r?.records_deleted)}</Table.Td>
                    <Table.Td ta="right">{formatCount(r?.records_possible_match)}</Table.Td>
                    <Table.Td ta="right">{formatCount(r?.records_error)}</Table.Td>
                    <Table.Td>
                      <Button component={Link} to={`/admin/runs/${run.id}/review`} size="xs" variant="light">
                        Review run #{run.id}
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
