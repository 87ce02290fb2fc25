// The files of a run: the file an admin uploaded, kept as sent, and the raw files the import wrote;
// each can be downloaded, and its first records previewed as a table.
import { useState } from 'react';
import { Alert, Badge, Button, Center, Group, Loader, Modal, ScrollArea, Stack, Table, Text } from '@mantine/core';
import type { FilePreview, JobFile } from '@contract/runs';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatBytes, formatCount } from '../../components/format';
import { fileDownloadUrl, useFilePreview } from './run-data';

const kindLabels: Record<JobFile['kind'], string> = { upload: 'Uploaded file', raw: 'Imported records' };
const previewLimit = 20;

export const fileName = (file: JobFile) => file.original_name || file.storage_key.split('/').pop() || `file ${file.id}`;

export function RunFiles({ runId, files }: { runId: number; files: JobFile[] }) {
  const [previewing, setPreviewing] = useState<JobFile | null>(null);
  if (!files.length) return <Text size="sm" c="dimmed">No files yet: the run's file appears here once it is uploaded or fetched.</Text>;
  const sorted = [...files].sort((a, b) => (a.kind === b.kind ? a.seq - b.seq : a.kind === 'upload' ? -1 : 1));
  return (
    <>
      <Table verticalSpacing={4} aria-label="Files">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Kind</Table.Th>
              <Table.Th ta="right">No.</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th ta="right">Records</Table.Th>
              <Table.Th ta="right">Size</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {sorted.map((file) => (
              <Table.Tr key={file.id} data-file-id={file.id}>
                <Table.Td><Badge variant="light" color={file.kind === 'upload' ? 'blue' : 'gray'}>{kindLabels[file.kind]}</Badge></Table.Td>
                <Table.Td ta="right">{file.seq}</Table.Td>
                <Table.Td><Text size="sm" style={{ wordBreak: 'break-all' }}>{fileName(file)}</Text></Table.Td>
                <Table.Td ta="right">{formatCount(file.record_count)}</Table.Td>
                <Table.Td ta="right">{formatBytes(file.bytes)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" justify="flex-end" wrap="nowrap">
                    <Button size="xs" variant="light" onClick={() => setPreviewing(file)} aria-label={`Preview ${fileName(file)}`}>Preview</Button>
                    <Button size="xs" variant="default" component="a" href={fileDownloadUrl(runId, file.id)} download
                      aria-label={`Download ${fileName(file)}`}>
                      Download
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened={previewing !== null} onClose={() => setPreviewing(null)} size="90%"
        title={previewing ? `First records of ${fileName(previewing)}` : undefined}>
        {previewing && <Preview runId={runId} file={previewing} />}
      </Modal>
    </>
  );
}

function Preview({ runId, file }: { runId: number; file: JobFile }) {
  const preview = useFilePreview(runId, file.id, previewLimit);
  if (preview.isPending) return <Center py="lg"><Loader aria-label="Loading the preview" /></Center>;
  if (preview.error) return <ErrorAlert error={preview.error} title="The preview could not be loaded" />;
  return <PreviewTable preview={preview.data} file={file} />;
}

const cellText = (value: unknown) => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

function PreviewTable({ preview, file }: { preview: FilePreview; file: JobFile }) {
  const raw = file.kind === 'raw';
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        {preview.records.length
          ? `The first ${formatCount(preview.records.length)} records${file.record_count ? ` of ${formatCount(file.record_count)}` : ''}, as the import reads them.`
          : 'This file has no records.'}
      </Text>
      {preview.problems.length > 0 && (
        <Alert color="yellow" title="Lines that cannot be read as a record">
          {preview.problems.map((problem, i) => (
            <Text key={i} size="sm">{problem.line !== null ? `Line ${problem.line}: ` : ''}{problem.reason}</Text>
          ))}
        </Alert>
      )}
      {preview.records.length > 0 && (
        <ScrollArea type="auto" mah="65vh">
          <Table striped withTableBorder withColumnBorders verticalSpacing={4} fz="xs" aria-label="Preview">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Line</Table.Th>
                {raw && <Table.Th>Record</Table.Th>}
                {preview.columns.map((column) => <Table.Th key={column}>{column}</Table.Th>)}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {preview.records.map((record, i) => (
                <Table.Tr key={i}>
                  <Table.Td>{record.line ?? ''}</Table.Td>
                  {raw && <Table.Td>{record.rec_num ?? ''}</Table.Td>}
                  {preview.columns.map((column) => (
                    <Table.Td key={column} title={cellText(record.fields[column])}
                      style={{ whiteSpace: 'nowrap', maxWidth: 320, overflow: 'hidden', textOverflow: 'ellipsis' }}>
                      {cellText(record.fields[column])}
                    </Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      )}
    </Stack>
  );
}
