// Records: how many each step handled over the window, the share that went wrong, and how fast runs
// went through their automatic steps.
import { BarChart } from '@mantine/charts';
import { Card, Group, Stack, Text, Title } from '@mantine/core';
import type { MetricsSummary } from '@contract/metrics';
import { formatCount } from '../../components/format';
import { MetricCard } from './MetricCard';
import { counted, formatDecimal, formatMinutes, formatPercent } from './words';

type Summary = Pick<MetricsSummary, 'rows' | 'error_rate' | 'throughput' | 'runs'>;

/** A step's group: one colour and one legend entry each. */
const stepGroups = {
  imported: { label: 'Read from the source', color: 'blue.6' },
  rejected: { label: 'Rejected by the checks', color: 'red.6' },
  staged: { label: 'Staged for review', color: 'orange.5' },
  promoted: { label: 'Written to production', color: 'green.7' },
} as const;
type StepGroup = keyof typeof stepGroups;

interface StepRow {
  step: string;
  group: StepGroup;
  records: number;
}

function stepRows(rows: MetricsSummary['rows']): StepRow[] {
  const { staged, promoted } = rows;
  return [
    { step: 'Imported', group: 'imported', records: rows.imported },
    { step: 'Rejected', group: 'rejected', records: rows.rejected },
    { step: 'Staged: new', group: 'staged', records: staged.new },
    { step: 'Staged: updated', group: 'staged', records: staged.updated },
    { step: 'Staged: unchanged', group: 'staged', records: staged.unchanged },
    { step: 'Staged: deleted', group: 'staged', records: staged.deleted },
    { step: 'Staged: duplicates', group: 'staged', records: staged.duplicates },
    { step: 'Staged: possible matches', group: 'staged', records: staged.possible_match },
    { step: 'Promoted: inserted', group: 'promoted', records: promoted.inserted },
    { step: 'Promoted: updated', group: 'promoted', records: promoted.updated },
    { step: 'Promoted: deleted', group: 'promoted', records: promoted.deleted },
  ];
}

export function RowsPerStep({ summary, period }: { summary: Summary; period: string }) {
  const rows = stepRows(summary.rows);
  const anything = rows.some((row) => row.records > 0);
  // one key per group, so each bar takes its group's colour and the legend names the groups
  const data = rows.map((row) => ({ step: row.step, [row.group]: row.records }));
  return (
    <MetricCard
      id="rows-per-step"
      title="Records per step"
      description={`What happened to the records of the runs started in ${period}: read from the source, rejected by the checks, staged for review by what would change, and written to production. Unit: records.`}
      rows={anything ? rows : []}
      columns={[
        { label: 'Step', value: (row) => row.step },
        { label: 'Records', value: (row) => formatCount(row.records), numeric: true },
      ]}
      empty={{ title: `No records were read in ${period}`, description: 'Records are counted once a run has read its source.' }}
      chart={
        <BarChart
          h={360}
          data={data}
          dataKey="step"
          type="stacked"
          orientation="vertical"
          series={(Object.keys(stepGroups) as StepGroup[]).map((group) => ({ name: group, ...stepGroups[group] }))}
          withLegend
          legendProps={{ verticalAlign: 'bottom' }}
          valueFormatter={(value) => counted(value, 'record')}
          yAxisProps={{ width: 150, interval: 0 }}
          xAxisProps={{ allowDecimals: false, tickFormatter: formatCount }}
          gridAxis="y"
        />
      }
      tableMaxHeight={null}
    />
  );
}

/** Runs that ended in the window, from the per-day counts: the runs the run failure rate is a share of. */
function endedRuns(summary: Summary): number {
  return summary.runs.per_day.reduce(
    (sum, day) => sum + day.by_status.promoted + day.by_status.failed + day.by_status.cancelled + day.by_status.superseded, 0,
  );
}

export function ErrorRates({ summary, period }: { summary: Summary; period: string }) {
  const ended = endedRuns(summary);
  const rows = [
    {
      measure: 'Records rejected', share: summary.error_rate.records,
      of: `${formatCount(summary.rows.rejected)} of ${counted(summary.rows.imported, 'record')} read`,
    },
    { measure: 'Runs failed', share: summary.error_rate.runs, of: `of ${counted(ended, 'run')} that ended` },
  ];
  const nothing = summary.rows.imported === 0 && ended === 0;
  return (
    <MetricCard
      id="error-rate"
      title="Error rate"
      description={`Over ${period}: the share of records the checks rejected (each one is listed on its run's page), and the share of runs that ended failed rather than promoted, cancelled or replaced by a newer run. Unit: percent.`}
      rows={nothing ? [] : rows}
      columns={[
        { label: 'Measure', value: (row) => row.measure },
        { label: 'Rate', value: (row) => formatPercent(row.share), numeric: true },
        { label: 'Out of', value: (row) => row.of },
      ]}
      empty={{ title: `Nothing was read or finished in ${period}`, description: 'Error rates appear once runs have read records or ended.' }}
      chart={
        <BarChart
          h={160}
          data={rows.map((row) => ({ measure: row.measure, rate: row.share * 100 }))}
          dataKey="measure"
          orientation="vertical"
          series={[{ name: 'rate', label: 'Error rate', color: 'red.6' }]}
          valueFormatter={(value) => `${formatDecimal(value)} %`}
          xAxisProps={{ domain: [0, 100] }}
          yAxisProps={{ width: 130 }}
          withBarValueLabel
          gridAxis="y"
        />
      }
    />
  );
}

export function Throughput({ summary, period }: { summary: Summary; period: string }) {
  const { throughput } = summary;
  return (
    <Card withBorder component="section" aria-labelledby="metric-throughput" data-metric="throughput">
      <Title order={4} id="metric-throughput">Throughput</Title>
      <Text size="sm" c="dimmed" mb="sm">
        How fast the runs staged for review in {period} went through their automatic steps (import, checks, staging): their
        records over the time from each run's start to ready for review. Unit: records a minute.
      </Text>
      {throughput.records_per_minute === null ? (
        <Text size="sm">No run was staged for review in {period}.</Text>
      ) : (
        <Group gap="xl" align="end">
          <Stack gap={0}>
            <Text size="xs" c="dimmed">Records a minute</Text>
            <Text fz={32} fw={700} lh={1.1} data-figure="records-per-minute">{formatDecimal(throughput.records_per_minute)}</Text>
          </Stack>
          <Text size="sm">
            {counted(throughput.records, 'record')} from {counted(throughput.runs, 'run')} in {formatMinutes(throughput.busy_minutes)} of work
          </Text>
        </Group>
      )}
    </Card>
  );
}
