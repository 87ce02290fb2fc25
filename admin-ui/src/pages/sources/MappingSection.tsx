// transform.map_fields: which column of the source holds each canonical field. A sample CSV dropped here
// goes to POST /configs/suggest-mapping, which answers its delimiter, encoding, headers and a column per
// field with a confidence; the admin then changes any field's column from the file's headers.
import { memo, useState } from 'react';
import { Alert, Badge, Group, Select, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import type { SuggestMappingResponse } from '@contract/sources';
import { upload } from '../../app/api';
import { ErrorAlert } from '../../components/ErrorAlert';
import {
  canonicalFields, delimiterLabel, fieldLabel, formatPath, mappingOf, messageAt, withMapping,
  type CanonicalField, type ConfigParams, type FieldProblem,
} from './model';
import { sourcesApi } from './queries';

/** What a dropped sample told us: the columns to choose from and how sure each suggestion was. */
export interface SampleInfo {
  fileName: string;
  delimiter: string | null;
  encoding: string | null;
  headers: string[];
  /** the columns came from the file uploaded to this run, not from a dropped sample */
  fromRun?: number;
  /** the server's suggestion per field: while the field keeps that column, its confidence is shown */
  suggested: SuggestMappingResponse['mapping'];
}

// the server reads no more than this of a sample (delimiter, encoding and the header line)
const sampleBytes = 64 * 1024;

/** The start of the file up to its last whole line, so a large export is not sent just to read its header. */
async function headOf(file: File): Promise<Blob> {
  // a workbook is a zip, readable only whole: the server reads it up to its header row
  if (file.size <= sampleBytes || /\.xlsx$/i.test(file.name)) return file;
  const head = new Uint8Array(await file.slice(0, sampleBytes).arrayBuffer());
  const lastNewline = head.lastIndexOf(10);
  return file.slice(0, lastNewline > 0 ? lastNewline + 1 : sampleBytes);
}

export const mappingPath = (field: CanonicalField) => formatPath(['config_params', 'transform', 'map_fields', field]);

function ConfidenceBadge({ field, confidence }: { field: CanonicalField; confidence: number | undefined }) {
  if (confidence === undefined) return null;
  const percent = Math.round(confidence * 100);
  const color = confidence >= 0.8 ? 'green' : confidence >= 0.5 ? 'yellow' : 'gray';
  return (
    <Tooltip label={confidence >= 0.8 ? 'A confident match' : 'A guess: check this column'}>
      <Badge color={color} variant="light" data-testid={`confidence-${field}`}>{percent} %</Badge>
    </Tooltip>
  );
}

export const MappingSection = memo(function MappingSection({ params, onParams, sample, onSample, problems }: {
  params: ConfigParams;
  onParams: (next: ConfigParams) => void;
  sample: SampleInfo | null;
  onSample: (sample: SampleInfo) => void;
  problems: FieldProblem[];
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const mapping = mappingOf(params);
  const mappedCount = Object.keys(mapping).length;

  async function suggest(file: File) {
    setBusy(true);
    setError(null);
    try {
      const form = new FormData();
      form.append('file', await headOf(file), file.name);
      const reply = await upload<SuggestMappingResponse>(sourcesApi.suggestMappingPath, form, () => undefined).done;
      // the suggestion replaces the mapping: a new sample is a new picture of the source
      let next = params;
      for (const field of canonicalFields) next = withMapping(next, field, reply.mapping[field]?.source);
      onParams(next);
      onSample({
        fileName: file.name, delimiter: reply.delimiter, encoding: reply.encoding, headers: reply.headers,
        suggested: reply.mapping,
      });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const suggestedCount = sample ? Object.keys(sample.suggested).length : 0;

  return (
    <Stack gap="sm">
      <Dropzone
        onDrop={(files) => files[0] && void suggest(files[0])}
        onReject={() => setError(new Error('Drop one CSV, text, JSON, NDJSON or XLSX file'))}
        multiple={false}
        loading={busy}
        accept={{
          'text/csv': ['.csv'], 'text/plain': ['.txt', '.csv'], 'application/vnd.ms-excel': ['.csv'],
          'application/json': ['.json'], 'application/x-ndjson': ['.ndjson', '.jsonl'],
          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': ['.xlsx'],
        }}
        data-testid="sample-dropzone"
        inputProps={{ 'aria-label': 'Sample CSV file' }}
      >
        <Stack gap={2} align="center" py="sm" style={{ pointerEvents: 'none' }}>
          <Text fw={500}>Drop a sample CSV, JSON or XLSX file here, or click to choose one</Text>
          <Text size="xs" c="dimmed" ta="center">
            Its columns are matched to the fields below (only the first lines are sent). This replaces the current mapping.
          </Text>
        </Stack>
      </Dropzone>
      <ErrorAlert error={error} title="The sample could not be read" />
      {sample && (
        <Alert color="blue" data-testid="sample-summary">
          {sample.fromRun !== undefined ? (
            <Text size="sm">
              The columns below are those of <b>{sample.fileName}</b>, the file uploaded for run #{sample.fromRun} ({sample.headers.length} columns).
              Drop a sample to match a new file&apos;s columns instead.
            </Text>
          ) : (
            <Text size="sm">
              <b>{sample.fileName}</b>: {sample.delimiter ? `${delimiterLabel(sample.delimiter)}-separated` : 'columns'},
              {' '}{sample.encoding ?? 'unknown encoding'}, {sample.headers.length} columns.
              {' '}{suggestedCount ? `${suggestedCount} fields were matched; check them, and pick a column for any field the file has.` : 'No column looked like a known field: pick them below.'}
            </Text>
          )}
        </Alert>
      )}
      <Text size="sm" c="dimmed">
        {mappedCount ? `${mappedCount} of ${canonicalFields.length} fields are read from the source.` : 'No field is mapped yet: a run then guesses from the file’s column names.'}
      </Text>
      <Table striped withTableBorder verticalSpacing={4} data-testid="mapping-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Field</Table.Th>
            <Table.Th w="45%">Column in the source</Table.Th>
            <Table.Th w={110}>Confidence</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {canonicalFields.map((field) => {
            const column = mapping[field];
            const message = messageAt(problems, mappingPath(field));
            const label = `Source column for ${field}`;
            const change = (value: string | undefined) => onParams(withMapping(params, field, value || undefined));
            return (
              <Table.Tr key={field} data-field={field}>
                <Table.Td>
                  <Text size="sm">{fieldLabel(field)}</Text>
                  <Text size="xs" c="dimmed" ff="monospace">{field}</Text>
                </Table.Td>
                <Table.Td>
                  {sample ? (
                    <Select aria-label={label} size="xs" placeholder="Not in this source" clearable searchable
                      data={column && !sample.headers.includes(column) ? [column, ...sample.headers] : sample.headers}
                      value={column ?? null} error={message} onChange={(value) => change(value ?? undefined)} />
                  ) : (
                    <TextInput aria-label={label} size="xs" placeholder="Not in this source" value={column ?? ''} error={message}
                      onChange={(e) => change(e.currentTarget.value)} />
                  )}
                </Table.Td>
                <Table.Td>
                  <Group gap={4}><ConfidenceBadge field={field} confidence={column && sample?.suggested[field]?.source === column ? sample.suggested[field].confidence : undefined} /></Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Stack>
  );
});
