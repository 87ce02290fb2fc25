// The queues right now: how much work waits or runs in each, how long the oldest waiting job has
// waited, and the failed and done jobs Redis still keeps. Bull Board has each job.
import { BarChart } from '@mantine/charts';
import { Anchor, Text } from '@mantine/core';
import { queueStates, type MetricsSummary } from '@contract/metrics';
import { formatCount } from '../../components/format';
import { MetricCard } from './MetricCard';
import { counted, depthStateColours, depthStates, formatWait, queueLabels, queueStateLabels } from './words';

export const bullBoardPath = '/admin/queues';

export function QueueDepth({ summary }: { summary: Pick<MetricsSummary, 'queues'> }) {
  const queues = summary.queues;
  const busy = queues.some((queue) => depthStates.some((state) => queue.counts[state] > 0));
  const data = queues.map((queue) => ({ queue: queueLabels[queue.queue], ...queue.counts }));
  return (
    <MetricCard
      id="queue-depth"
      title="Queue depth now, by queue and state"
      description="The jobs in each queue at this moment: waiting for a worker, running, or set to retry later. Failed and done jobs are kept for a while for inspection and are listed in the table. Unit: jobs."
      rows={queues}
      figures="below"
      columns={[
        { label: 'Queue', value: (queue) => queueLabels[queue.queue] },
        ...queueStates.map((state) => ({ label: queueStateLabels[state], value: (queue: (typeof queues)[number]) => formatCount(queue.counts[state]), numeric: true })),
        { label: 'Oldest waiting', value: (queue) => formatWait(queue.oldest_waiting_seconds), numeric: true },
      ]}
      empty={{ title: 'No queue answered' }}
      chart={
        busy ? (
          <BarChart
            h={220}
            data={data}
            dataKey="queue"
            type="stacked"
            series={depthStates.map((state) => ({ name: state, label: queueStateLabels[state], color: depthStateColours[state] }))}
            withLegend
            legendProps={{ verticalAlign: 'bottom' }}
            valueFormatter={(value) => counted(value, 'job')}
            yAxisProps={{ allowDecimals: false, width: 40, tickFormatter: formatCount }}
            maxBarWidth={48}
          />
        ) : (
          <Text size="sm" data-queues-idle>Nothing is waiting or running in any queue right now.</Text>
        )
      }
      footer={
        <Text size="sm" mt="sm">
          Each job, its data and its errors are in <Anchor href={bullBoardPath}>Bull Board ({bullBoardPath})</Anchor>.
        </Text>
      }
    />
  );
}
