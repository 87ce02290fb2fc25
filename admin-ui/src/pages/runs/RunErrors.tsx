// The records of a run that could not be taken: where (line, field), why, the value it held, and the
// whole record as it was read; a page at a time, or all of them as a CSV the server writes.
import { Fragment, useState } from 'react';
import { Button, Code, Group, Pagination, Stack, Table, Text, UnstyledButton } from '@mantine/core';
import type { JobError, RunResponse } from '@contract/runs';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatCount } from '../../components/format';
import { errorsCsvUrl, useRunErrors } from './run-data';

const errorsPerPage = 25;

/** The reason without the "line 3: locations.lat: " the server puts in front, which have their own columns. */
export function reasonOf(error: JobError): string {
  let reason = error.error_message.replace(/^line \d+: /, '');
  if (error.field && reason.startsWith(`${error.field}: `)) reason = reason.slice(error.field.length + 2);
  return reason;
}

const valueText = (value: unknown) => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

export function RunErrors({ run }: { run: RunResponse }) {
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<Set<number>>(new Set());
  const errors = useRunErrors(run, page, errorsPerPage);

  if (errors.error) return <ErrorAlert error={errors.error} title="The record errors could not be loaded" />;
  if (!errors.data) return null;
  const { total } = errors.data;
  if (!total) {
    return <Text size="sm" c="dimmed">{run.status === 'waiting_for_input' ? 'Nothing read yet.' : 'No record was rejected.'}</Text>;
  }
  const toggle = (id: number) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const pages = Math.ceil(total / errorsPerPage);

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Text size="sm">
          {formatCount(total)} {total === 1 ? 'problem' : 'problems'} in the records. These records were not staged; fix them in the
          source file and run it again.
        </Text>
        <Button component="a" href={errorsCsvUrl(run.id)} download variant="default" size="xs">Download as CSV</Button>
      </Group>
      <Table.ScrollContainer minWidth={700}>
        <Table verticalSpacing="xs" aria-label="Record errors">
          <Table.Thead>
            <Table.Tr>
              <Table.Th ta="right">Line</Table.Th>
              <Table.Th>Field</Table.Th>
              <Table.Th>Reason</Table.Th>
              <Table.Th>Value</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {errors.data.errors.map((error) => {
              const expanded = open.has(error.id);
              return (
                <Fragment key={error.id}>
                  <Table.Tr data-error-id={error.id}>
                    <Table.Td ta="right">{error.line ?? '–'}</Table.Td>
                    <Table.Td><Text size="sm" ff="monospace">{error.field === 'record' ? '(whole record)' : error.field ?? '–'}</Text></Table.Td>
                    <Table.Td>{reasonOf(error)}</Table.Td>
                    <Table.Td><Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>{error.value ?? ''}</Text></Table.Td>
                    <Table.Td ta="right">
                      {error.original_record && (
                        <UnstyledButton onClick={() => toggle(error.id)} aria-expanded={expanded} fz="sm" c="indigo">
                          {expanded ? 'Hide record' : 'Show record'}
                        </UnstyledButton>
                      )}
                    </Table.Td>
                  </Table.Tr>
                  {expanded && error.original_record && (
                    <Table.Tr>
                      <Table.Td colSpan={5} bg="gray.0">
                        <RecordFields record={error.original_record} highlight={error.column ?? error.field} />
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Fragment>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {pages > 1 && <Pagination total={pages} value={page} onChange={setPage} size="sm" aria-label="Pages of errors" />}
    </Stack>
  );
}

function RecordFields({ record, highlight }: { record: Record<string, unknown>; highlight: string | null }) {
  return (
    <Table withRowBorders={false} verticalSpacing={2} fz="xs" aria-label="Original record">
      <Table.Tbody>
        {Object.entries(record).map(([key, value]) => (
          <Table.Tr key={key} fw={key === highlight ? 700 : undefined}>
            <Table.Td w={200}><Code>{key}</Code></Table.Td>
            <Table.Td style={{ wordBreak: 'break-all' }}>{valueText(value)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
