// Runs: how many were started each day of the window and where each of them stands now, and every run
// on record by its status.
import { BarChart, DonutChart } from '@mantine/charts';
import { runStatuses, type MetricsSummary, type RunStatus } from '@contract/metrics';
import { statusLabel } from '../../components/StatusBadge';
import { formatCount } from '../../components/format';
import { MetricCard } from './MetricCard';
import { counted, formatDay, statusColours } from './words';

type Summary = Pick<MetricsSummary, 'runs'>;

const startRunHint = 'A run starts when a source is run: open Sources and press Run now, or wait for its schedule.';

/** "2 promoted, 1 failed": a day's or a total's runs by status, the statuses with none left out. */
function statusSummary(byStatus: Record<RunStatus, number>): string {
  return runStatuses.filter((status) => byStatus[status] > 0).map((status) => `${formatCount(byStatus[status])} ${statusLabel(status)}`).join(', ');
}

export function RunsPerDay({ summary, period }: { summary: Summary; period: string }) {
  const days = summary.runs.per_day;
  // only the statuses that occur in the window, so the legend names what the bars show
  const shown = runStatuses.filter((status) => days.some((day) => day.by_status[status] > 0));
  const data = days.map((day) => ({ day: formatDay(day.day), ...day.by_status }));
  const withRuns = days.filter((day) => day.total > 0).reverse();
  return (
    <MetricCard
      id="runs-per-day"
      title="Runs per day, by status"
      description={`Runs started each day (UTC) over ${period}, coloured by the status each run has now. Unit: runs.`}
      rows={withRuns}
      columns={[
        { label: 'Day', value: (day) => formatDay(day.day, true) },
        { label: 'Runs', value: (day) => formatCount(day.total), numeric: true },
        { label: 'Status now', value: (day) => statusSummary(day.by_status) },
      ]}
      empty={{ title: `No runs were started in ${period}`, description: startRunHint }}
      chart={
        <BarChart
          h={260}
          data={data}
          dataKey="day"
          type="stacked"
          series={shown.map((status) => ({ name: status, label: statusLabel(status), color: statusColours[status] }))}
          withLegend
          legendProps={{ verticalAlign: 'bottom' }}
          valueFormatter={(value) => counted(value, 'run')}
          yAxisProps={{ allowDecimals: false, width: 40, tickFormatter: formatCount }}
          maxBarWidth={40}
        />
      }
    />
  );
}

export function RunsByStatus({ summary }: { summary: Summary }) {
  const byStatus = summary.runs.by_status;
  const rows = runStatuses.filter((status) => byStatus[status] > 0).map((status) => ({ status, runs: byStatus[status] }));
  const total = rows.reduce((sum, row) => sum + row.runs, 0);
  return (
    <MetricCard
      id="runs-by-status"
      title="All runs, by status now"
      description="Every run on record, whenever it started, by where it stands now. Unit: runs."
      rows={rows}
      columns={[
        { label: 'Status', value: (row) => statusLabel(row.status) },
        { label: 'Runs', value: (row) => formatCount(row.runs), numeric: true },
      ]}
      empty={{ title: 'There are no runs yet', description: startRunHint }}
      chart={
        <DonutChart
          data={rows.map((row) => ({ name: statusLabel(row.status), value: row.runs, color: statusColours[row.status] }))}
          chartLabel={formatCount(total)}
          withLegend
          legendProps={{ verticalAlign: 'bottom' }}
          tooltipDataSource="segment"
          valueFormatter={(value) => counted(value, 'run')}
          size={180}
          thickness={28}
          mx="auto"
        />
      }
    />
  );
}
