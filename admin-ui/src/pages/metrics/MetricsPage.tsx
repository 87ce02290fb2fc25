// /admin/metrics: how the pipeline has been doing over the last 7, 30 or 90 days (runs, records, error
// rates, throughput, geocoding, what it costs) and its queues now, each chart with its figures beside
// it. The whole fleet's picture from PostgreSQL and Redis; ops find Bull Board and /metrics linked.
import {
  Anchor, Button, Card, Center, Code, Group, Loader, SegmentedControl, SimpleGrid, Stack, Text, Title,
} from '@mantine/core';
import { useSearchParams } from 'react-router';
import type { MetricsSummary } from '@contract/metrics';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatBytes, formatCount, formatDate } from '../../components/format';
import { BlobBytes, GeocodeLookups, ProviderCalls } from './CostCharts';
import { dayChoices, fallbackDays, readDays, useMetricsSummary } from './metrics-data';
import { bullBoardPath, QueueDepth } from './QueueDepth';
import { ErrorRates, RowsPerStep, Throughput } from './RecordCharts';
import { RunsByStatus, RunsPerDay } from './RunCharts';
import { formatDay, formatPercent } from './words';

export default function MetricsPage() {
  const [params, setParams] = useSearchParams();
  const days = readDays(params);
  const summary = useMetricsSummary(days);

  const setDays = (value: string) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (Number(value) === fallbackDays) next.delete('days');
      else next.set('days', value);
      return next;
    });

  return (
    <Stack>
      <Group justify="space-between" align="end">
        <Stack gap={2}>
          <Title order={2}>Metrics</Title>
          <Text size="sm" c="dimmed">How the pipeline has been doing: runs, records, errors, queues and what it costs.</Text>
        </Stack>
        <Group gap="sm" align="center">
          {summary.isPlaceholderData && <Loader size="xs" aria-label={`Loading the last ${days} days`} />}
          <Stack gap={2}>
            <Text size="xs" fw={500} id="metrics-days-label">Period</Text>
            <SegmentedControl
              aria-labelledby="metrics-days-label"
              value={String(days)}
              onChange={setDays}
              data={dayChoices.map((choice) => ({ value: String(choice), label: `${choice} days` }))}
            />
          </Stack>
        </Group>
      </Group>

      {summary.isPending ? (
        <Center py="xl">
          <Stack align="center" gap="xs">
            <Loader aria-label="Loading the metrics" />
            <Text size="sm" c="dimmed">Counting the last {days} days…</Text>
          </Stack>
        </Center>
      ) : !summary.data ? (
        <Stack>
          <ErrorAlert error={summary.error} title="The metrics could not be loaded" />
          <Button variant="light" w="fit-content" onClick={() => void summary.refetch()} loading={summary.isFetching}>Try again</Button>
        </Stack>
      ) : (
        <>
          {/* a refresh that failed leaves the figures it had on screen, under the reason */}
          <ErrorAlert error={summary.error} title="The metrics could not be refreshed" />
          <Figures summary={summary.data} refreshing={summary.isFetching} refresh={() => void summary.refetch()} />
        </>
      )}
    </Stack>
  );
}

function Figures({ summary, refreshing, refresh }: { summary: MetricsSummary; refreshing: boolean; refresh: () => void }) {
  // the text says the window of the figures on screen, which is the one asked for once they arrive
  const period = `the last ${summary.window.days} days`;
  return (
    <Stack data-window-days={summary.window.days}>
      <Group justify="space-between" gap="xs">
        <Text size="sm">
          Figures for <b>{period}</b>: from {formatDay(summary.window.from, true)} (UTC) to now. Queues show this moment.
        </Text>
        <Group gap="xs">
          <Text size="xs" c="dimmed">As of {formatDate(summary.generated_at)}</Text>
          <Button variant="default" size="compact-sm" onClick={refresh} loading={refreshing}>Refresh</Button>
        </Group>
      </Group>

      <AtAGlance summary={summary} />

      <RunsPerDay summary={summary} period={period} />
      <RunsByStatus summary={summary} />
      <RowsPerStep summary={summary} period={period} />
      <ErrorRates summary={summary} period={period} />
      <Throughput summary={summary} period={period} />
      <QueueDepth summary={summary} />

      <Title order={3} mt="md">Cost tracking</Title>
      <GeocodeLookups summary={summary} period={period} />
      <ProviderCalls summary={summary} period={period} />
      <BlobBytes summary={summary} period={period} />

      <ForOperations />
    </Stack>
  );
}

function AtAGlance({ summary }: { summary: MetricsSummary }) {
  const started = summary.runs.per_day.reduce((sum, day) => sum + day.total, 0);
  const { promoted } = summary.rows;
  const tiles = [
    { label: 'Runs started', value: formatCount(started) },
    { label: 'Records read', value: formatCount(summary.rows.imported) },
    { label: 'Records rejected', value: formatPercent(summary.error_rate.records) },
    { label: 'Runs failed', value: formatPercent(summary.error_rate.runs) },
    { label: 'Records written to production', value: formatCount(promoted.inserted + promoted.updated + promoted.deleted) },
    { label: 'Storage written', value: formatBytes(summary.cost.blob_bytes_total) },
  ];
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} role="group" aria-label="At a glance">
      {tiles.map((tile) => (
        <Card key={tile.label} withBorder padding="sm" data-tile={tile.label}>
          <Text size="xs" c="dimmed">{tile.label}</Text>
          <Text fz={22} fw={700}>{tile.value}</Text>
        </Card>
      ))}
    </SimpleGrid>
  );
}

function ForOperations() {
  return (
    <Card withBorder bg="gray.0" component="section" aria-labelledby="metrics-for-operations">
      <Title order={4} id="metrics-for-operations" mb={4}>For operations</Title>
      <Stack gap={4}>
        <Text size="sm">
          This page reads PostgreSQL and Redis, so it shows the whole fleet. Each job, with its data, attempts and errors,
          is in <Anchor href={bullBoardPath}>Bull Board</Anchor>.
        </Text>
        <Text size="sm">
          For Prometheus, each process serves its own counters at <Anchor href="/metrics"><Code>/metrics</Code></Anchor> (the
          server here, and every worker on its <Code>WORKER_METRICS_PORT</Code>): queue depths, job durations, records per step.
        </Text>
      </Stack>
    </Card>
  );
}
