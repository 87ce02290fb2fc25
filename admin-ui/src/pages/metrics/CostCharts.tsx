// What the pipeline spends: calls to paid or rate-limited providers (geocoding first), the lookups the
// cache saved, and the bytes each DMO's files take in the blob store.
import { BarChart, DonutChart } from '@mantine/charts';
import type { MetricsSummary } from '@contract/metrics';
import { formatBytes, formatCount } from '../../components/format';
import { MetricCard } from './MetricCard';
import { counted, formatPercent } from './words';

type Summary = Pick<MetricsSummary, 'geocode' | 'cost'>;

export function GeocodeLookups({ summary, period }: { summary: Summary; period: string }) {
  const { calls, errors, cache_hits: cacheHits } = summary.geocode;
  const lookups = calls + cacheHits;
  const rows = [
    { what: 'Answered by the cache', lookups: cacheHits, color: 'teal.6' },
    { what: 'Asked the provider', lookups: calls - errors, color: 'blue.6' },
    { what: 'Provider call failed', lookups: errors, color: 'red.6' },
  ];
  return (
    <MetricCard
      id="geocode"
      title="Geocoding: provider calls and cache hits"
      description={`Addresses turned into map positions over ${period}. A cache hit is an address looked up before, answered without calling the provider (and without its cost). Unit: lookups.`}
      rows={lookups ? rows : []}
      columns={[
        { label: 'Lookups', value: (row) => row.what },
        { label: 'Count', value: (row) => formatCount(row.lookups), numeric: true },
        { label: 'Share', value: (row) => formatPercent(row.lookups / lookups), numeric: true },
      ]}
      empty={{ title: `No address was geocoded in ${period}` }}
      chart={
        <DonutChart
          data={rows.filter((row) => row.lookups > 0).map((row) => ({ name: row.what, value: row.lookups, color: row.color }))}
          chartLabel={formatCount(lookups)}
          withLegend
          legendProps={{ verticalAlign: 'bottom' }}
          tooltipDataSource="segment"
          valueFormatter={(value) => counted(value, 'lookup')}
          size={180}
          thickness={28}
          mx="auto"
        />
      }
    />
  );
}

export function ProviderCalls({ summary, period }: { summary: Summary; period: string }) {
  const rows = summary.cost.provider_calls.map((row) => ({ ...row, name: `${row.provider} · ${row.endpoint}` }));
  return (
    <MetricCard
      id="provider-calls"
      title="Cost: provider calls per endpoint"
      description={`Calls to paid or rate-limited services over ${period}, by service and endpoint, with the failures among them and the calls the cache saved. Unit: calls.`}
      rows={rows}
      columns={[
        { label: 'Provider · endpoint', value: (row) => row.name },
        { label: 'Calls', value: (row) => formatCount(row.calls), numeric: true },
        { label: 'Failed', value: (row) => formatCount(row.errors), numeric: true },
        { label: 'Refused (quota)', value: (row) => formatCount(row.quota_errors), numeric: true },
        { label: 'Cache hits', value: (row) => formatCount(row.cache_hits), numeric: true },
      ]}
      empty={{ title: `No provider was called in ${period}`, description: 'Providers are called when a run geocodes addresses the cache does not know.' }}
      chart={
        <BarChart
          h={Math.max(160, 60 + rows.length * 44)}
          data={rows}
          dataKey="name"
          orientation="vertical"
          series={[
            { name: 'calls', label: 'Calls', color: 'blue.6' },
            { name: 'errors', label: 'Failed', color: 'red.6' },
            { name: 'cache_hits', label: 'Cache hits', color: 'teal.6' },
          ]}
          withLegend
          legendProps={{ verticalAlign: 'bottom' }}
          valueFormatter={(value) => counted(value, 'call')}
          xAxisProps={{ allowDecimals: false, tickFormatter: formatCount }}
          yAxisProps={{ width: 150 }}
          gridAxis="y"
        />
      }
    />
  );
}

export function BlobBytes({ summary, period }: { summary: Summary; period: string }) {
  const rows = summary.cost.blob_bytes.map((row) => ({
    ...row,
    // whatever the total holds beyond uploads and raw files, so the bar adds up to it
    other_bytes: Math.max(0, row.bytes - row.upload_bytes - row.raw_bytes),
  }));
  const withOther = rows.some((row) => row.other_bytes > 0);
  return (
    <MetricCard
      id="blob-bytes"
      title="Cost: storage written per DMO"
      description={`Bytes written to the blob store over ${period} (${formatBytes(summary.cost.blob_bytes_total)} in all): the files uploaded, and the raw files each import writes from them. Unit: bytes (KiB = 1,024 bytes).`}
      rows={rows}
      columns={[
        { label: 'DMO', value: (row) => row.dmo_name },
        { label: 'Files', value: (row) => formatCount(row.files), numeric: true },
        { label: 'Uploads', value: (row) => formatBytes(row.upload_bytes), numeric: true },
        { label: 'Raw files', value: (row) => formatBytes(row.raw_bytes), numeric: true },
        { label: 'Total', value: (row) => formatBytes(row.bytes), numeric: true },
      ]}
      empty={{ title: `Nothing was written to the blob store in ${period}`, description: 'Files are written when a run receives its upload and imports it.' }}
      chart={
        <BarChart
          h={Math.max(160, 60 + rows.length * 44)}
          data={rows}
          dataKey="dmo_name"
          type="stacked"
          orientation="vertical"
          series={[
            { name: 'upload_bytes', label: 'Uploads', color: 'indigo.6' },
            { name: 'raw_bytes', label: 'Raw files', color: 'cyan.6' },
            ...(withOther ? [{ name: 'other_bytes', label: 'Other', color: 'gray.5' }] : []),
          ]}
          withLegend
          legendProps={{ verticalAlign: 'bottom' }}
          valueFormatter={(value) => formatBytes(value)}
          yAxisProps={{ width: 150 }}
          gridAxis="y"
        />
      }
    />
  );
}
