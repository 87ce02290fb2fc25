// One measure on the Metrics page: a title that says what is counted and in which unit, the chart, and
// the same figures as a table beside it (what a screen reader reads, and what a person can copy).
import type { ReactNode } from 'react';
import { Card, EmptyState, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';

export interface FigureColumn<Row> {
  label: string;
  /** The cell's text, already formatted with its unit. */
  value: (row: Row) => string;
  numeric?: boolean;
}

interface MetricCardProps<Row> {
  /** A stable name for tests and anchors, e.g. "runs-per-day". */
  id: string;
  title: string;
  /** What is counted and in which unit, in a sentence. */
  description: ReactNode;
  rows: Row[];
  columns: FigureColumn<Row>[];
  /** What the card says when there is nothing to count in the chosen window, and what would change that. */
  empty: { title: string; description?: ReactNode };
  chart: ReactNode;
  /** The table beside the chart (default), or under it when it has many columns. */
  figures?: 'beside' | 'below';
  /** How tall the table may grow before it scrolls (null: never), so a long one stays beside its chart. */
  tableMaxHeight?: number | null;
  /** Shown under the figures, e.g. a link for operations. */
  footer?: ReactNode;
}

export function MetricCard<Row>({ id, title, description, rows, columns, empty, chart, figures = 'beside', tableMaxHeight = 300, footer }: MetricCardProps<Row>) {
  const headingId = `metric-${id}`;
  return (
    <Card withBorder component="section" aria-labelledby={headingId} data-metric={id}>
      <Stack gap={4} mb="sm">
        <Title order={4} id={headingId}>{title}</Title>
        <Text size="sm" c="dimmed">{description}</Text>
      </Stack>
      {rows.length === 0 ? (
        <EmptyState size="sm" title={empty.title} description={empty.description} py="md" data-empty />
      ) : (
        <SimpleGrid cols={figures === 'beside' ? { base: 1, md: 2 } : 1} spacing="lg" verticalSpacing="md">
          <div>{chart}</div>
          <Table.ScrollContainer minWidth={280} maxHeight={figures === 'beside' && tableMaxHeight !== null ? tableMaxHeight : undefined}>
            <Table striped verticalSpacing={4} fz="sm" aria-label={`${title}: figures`} stickyHeader>
              <Table.Thead>
                <Table.Tr>
                  {columns.map((column) => <Table.Th key={column.label} ta={column.numeric ? 'right' : undefined}>{column.label}</Table.Th>)}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((row, index) => (
                  <Table.Tr key={index}>
                    {columns.map((column) => (
                      <Table.Td key={column.label} ta={column.numeric ? 'right' : undefined} style={{ whiteSpace: 'nowrap' }}>
                        {column.value(row)}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </SimpleGrid>
      )}
      {footer}
    </Card>
  );
}
