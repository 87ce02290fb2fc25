// /admin/runs: every run, newest first, with live progress while one is in flight; filters by source
// and status live in the address, so a shared link shows the same list.
import { Anchor, Button, Center, EmptyState, Group, Loader, Select, Stack, Table, Text, Title } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import { runStatuses, type RunResponse, type RunStatus } from '@contract/runs';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusBadge, statusLabel } from '../../components/StatusBadge';
import { formatCount, formatDate } from '../../components/format';
import { RunProgress } from './RunProgress';
import { pageSize, useRuns, useSourceNames } from './run-data';
import { countColumns, countedResults, runDuration } from './counts';

function readFilter(params: URLSearchParams) {
  const status = params.get('status');
  const configId = Number(params.get('configId'));
  const page = Number(params.get('page'));
  return {
    status: (runStatuses as readonly string[]).includes(status ?? '') ? (status as RunStatus) : undefined,
    configId: Number.isSafeInteger(configId) && configId > 0 ? configId : undefined,
    page: Number.isSafeInteger(page) && page > 1 ? page : 1,
  };
}

export default function RunsListPage() {
  const [params, setParams] = useSearchParams();
  const filter = readFilter(params);
  const runs = useRuns(filter);
  const names = useSourceNames();

  const setFilter = (key: 'status' | 'configId', value: string | null) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (value) next.set(key, value);
      else next.delete(key);
      next.delete('page');
      return next;
    });
  const setPage = (page: number) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (page > 1) next.set('page', String(page));
      else next.delete('page');
      return next;
    });

  const filtered = filter.status !== undefined || filter.configId !== undefined;
  const list = runs.data?.jobs ?? [];

  return (
    <Stack>
      <Group justify="space-between" align="end">
        <Title order={2}>Runs</Title>
        <Group>
          <Select
            label="Source" placeholder="All sources" clearable searchable w={260}
            data={names.configs.map((config) => ({
              value: String(config.id), label: `${names.configName(config.id)} (${names.dmoName(config.dmo_id)})`,
            }))}
            value={filter.configId ? String(filter.configId) : null}
            onChange={(value) => setFilter('configId', value)}
          />
          <Select
            label="Status" placeholder="All statuses" clearable w={200}
            data={runStatuses.map((status) => ({ value: status, label: statusLabel(status) }))}
            value={filter.status ?? null}
            onChange={(value) => setFilter('status', value)}
          />
        </Group>
      </Group>

      <ErrorAlert error={runs.error} title="The runs could not be loaded" />

      {runs.isPending ? (
        <Center py="xl"><Loader aria-label="Loading runs" /></Center>
      ) : !list.length && filter.page === 1 ? (
        filtered ? (
          <EmptyState title="No runs match these filters" description="Choose another source or status, or clear the filters to see every run.">
            <EmptyState.Actions>
              <Button variant="light" onClick={() => setParams(new URLSearchParams())}>Clear filters</Button>
            </EmptyState.Actions>
          </EmptyState>
        ) : (
          <EmptyState
            title="No runs yet"
            description="A run imports a source's data so you can review it before it goes live. To start one, open Sources, pick a source and press Run now."
          >
            <EmptyState.Actions>
              <Button component={Link} to="/admin/sources">Go to Sources</Button>
            </EmptyState.Actions>
          </EmptyState>
        )
      ) : (
        <>
          <Table.ScrollContainer minWidth={1000}>
            <Table striped highlightOnHover verticalSpacing="xs" horizontalSpacing={8} aria-label="Runs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Run</Table.Th>
                  <Table.Th>Source</Table.Th>
                  <Table.Th>Status</Table.Th>
                  {countColumns.map((column) => <Table.Th key={column.key} ta="right">{column.label}</Table.Th>)}
                  <Table.Th>Started</Table.Th>
                  <Table.Th>Duration</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((run) => <RunRow key={run.id} run={run} names={names} />)}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              {list.length ? `Runs ${formatCount((filter.page - 1) * pageSize + 1)}–${formatCount((filter.page - 1) * pageSize + list.length)}, newest first` : 'No more runs'}
            </Text>
            <Group gap="xs">
              <Button variant="default" size="xs" disabled={filter.page <= 1} onClick={() => setPage(filter.page - 1)}>Newer</Button>
              <Button variant="default" size="xs" disabled={list.length < pageSize} onClick={() => setPage(filter.page + 1)}>Older</Button>
            </Group>
          </Group>
        </>
      )}
    </Stack>
  );
}

function RunRow({ run, names }: { run: RunResponse; names: ReturnType<typeof useSourceNames> }) {
  const results = countedResults(run);
  return (
    <Table.Tr data-run-id={run.id}>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        <Anchor component={Link} to={`/admin/runs/${run.id}`} fw={500}>Run {run.id}</Anchor>
      </Table.Td>
      <Table.Td miw={150}>
        <Text size="sm">{names.configName(run.config_id)}</Text>
        <Text size="xs" c="dimmed">{names.dmoName(run.dmo_id)}</Text>
      </Table.Td>
      <Table.Td>
        <Stack gap={6} miw={150} align="flex-start">
          <StatusBadge status={run.status} />
          <RunProgress run={run} />
        </Stack>
      </Table.Td>
      {countColumns.map((column) => (
        <Table.Td key={column.key} ta="right" data-count={column.key}>
          {results ? formatCount(results[column.key]) : '–'}
        </Table.Td>
      ))}
      <Table.Td><Text size="sm" style={{ whiteSpace: 'nowrap' }}>{formatDate(run.started_at)}</Text></Table.Td>
      <Table.Td><Text size="sm" style={{ whiteSpace: 'nowrap' }}>{runDuration(run)}</Text></Table.Td>
    </Table.Tr>
  );
}
