// The second phase of a file-based run (DESIGN.md "Two-phase stage execution"): the admin drops the
// file, it goes up with a real progress bar (and can be cancelled), then the run is told to continue
// and the page follows it from queued to running to awaiting review.
import { useEffect, useRef, useState } from 'react';
import { Button, Group, Modal, Progress, Stack, Text } from '@mantine/core';
import { Dropzone, type FileRejection, type FileWithPath } from '@mantine/dropzone';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { acceptedUploadsFor, uploadKinds, type ExecuteStageBody, type ExecuteStageResponse, type UploadResponse } from '@contract/runs';
import type { SourceType } from '@contract/sources';
import { api, ApiError, upload, type UploadHandle } from '../../app/api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatBytes } from '../../components/format';
import { runKey } from './run-data';

type Phase =
  | { name: 'choose'; error?: unknown; notice?: string }
  | { name: 'uploading'; file: File; fraction: number }
  | { name: 'continuing'; file: File };

/** What the file of each source type is, said under the drop zone. */
const uploadHints: Partial<Record<SourceType, string>> = {
  csv: 'A .csv or .txt file with one record a line and the column names on the first line',
  json: 'A .json file holding a list of records, or an .ndjson file with one record a line',
  xlsx: 'An .xlsx workbook: the column names on the first row of the sheet, one record a row',
};

/** The accepted types as react-dropzone wants them: MIME types, each with the file endings; none: any file. */
function dropzoneAccept(accept: readonly string[]): Record<string, string[]> | undefined {
  if (!accept.length) return undefined;
  const endings = accept.filter((item) => item.startsWith('.'));
  const mimeTypes = accept.filter((item) => !item.startsWith('.'));
  return Object.fromEntries((mimeTypes.length ? mimeTypes : ['text/plain']).map((mime) => [mime, endings]));
}

/** `sourceType`: the run's, whose files the drop zone accepts (as executeStage's `accept` says); unknown while it loads. */
export function UploadDialog({ runId, sourceType, opened, onClose }: { runId: number; sourceType?: SourceType; opened: boolean; onClose: () => void }) {
  const accept = sourceType ? acceptedUploadsFor(sourceType) : [];
  const kind = (sourceType && uploadKinds[sourceType]) ?? 'supported';
  const queryClient = useQueryClient();
  const [phase, setPhase] = useState<Phase>({ name: 'choose' });
  const handle = useRef<UploadHandle<UploadResponse> | null>(null);
  const cancelled = useRef(false);

  // leaving the page mid-upload stops the upload
  useEffect(() => () => handle.current?.abort(), []);
  useEffect(() => {
    if (opened) setPhase({ name: 'choose' });
  }, [opened]);

  async function send(file: File) {
    const form = new FormData();
    // the server decides where the file goes from jobId, so it must come before the file
    form.append('jobId', String(runId));
    form.append('file', file, file.name);
    cancelled.current = false;
    setPhase({ name: 'uploading', file, fraction: 0 });
    const current = upload<UploadResponse>('/api/v1/pipeline/uploadStageFile', form, (fraction) =>
      setPhase((phase) => (phase.name === 'uploading' ? { ...phase, fraction } : phase)));
    handle.current = current;
    try {
      await current.done;
    } catch (error) {
      handle.current = null;
      if (cancelled.current) setPhase({ name: 'choose', notice: `The upload of ${file.name} was cancelled; nothing was kept. Choose a file to try again.` });
      else setPhase({ name: 'choose', error });
      return;
    }
    handle.current = null;
    setPhase({ name: 'continuing', file });
    try {
      const body: ExecuteStageBody = { jobId: runId, continue: true };
      await api.post<ExecuteStageResponse>('/api/v1/pipeline/executeStage', body);
    } catch (error) {
      setPhase({ name: 'choose', error });
      return;
    } finally {
      void queryClient.invalidateQueries({ queryKey: runKey(runId) });
      void queryClient.invalidateQueries({ queryKey: ['runs-page', 'list'] });
    }
    notifications.show({ color: 'green', message: `${file.name} was uploaded: the run goes on by itself` });
    onClose();
  }

  function cancel() {
    cancelled.current = true;
    handle.current?.abort();
  }

  function rejected(rejections: FileRejection[]) {
    const first = rejections[0];
    const reason = first?.errors[0]?.code === 'file-invalid-type'
      ? `${first.file.name} is not a ${kind} file: choose a file ending in ${accept.filter((a) => a.startsWith('.')).join(' or ')}`
      : first?.errors[0]?.code === 'too-many-files'
        ? 'Drop one file at a time'
        : first?.errors[0]?.message ?? 'This file cannot be used';
    setPhase({ name: 'choose', error: new ApiError(400, 'rejected', reason) });
  }

  const busy = phase.name !== 'choose';
  const percent = phase.name === 'uploading' ? Math.floor(phase.fraction * 100) : phase.name === 'continuing' ? 100 : 0;

  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened={opened} onClose={onClose} title="Upload the file for this run" size="lg" centered
      closeOnClickOutside={!busy} closeOnEscape={!busy} withCloseButton={!busy}>
      <Stack>
        {phase.name === 'choose' && (
          <>
            <Text size="sm">
              The run waits for its file. Once the file is up, the run goes on by itself: it imports and checks the records and
              then waits for your review. Nothing goes live before that.
            </Text>
            {phase.notice && <Text size="sm" c="dimmed" role="status">{phase.notice}</Text>}
            <ErrorAlert error={phase.error} title={phase.error instanceof ApiError && phase.error.status === 409 ? 'Not possible right now' : 'The file was not accepted'} />
            <Dropzone onDrop={(files: FileWithPath[]) => files[0] && void send(files[0])} onReject={rejected}
              accept={dropzoneAccept(accept)} multiple={false} aria-label="Drop the file here or click to choose one"
              data-testid="upload-dropzone">
              <Stack align="center" gap={4} py="xl" style={{ pointerEvents: 'none' }}>
                <Dropzone.Accept><Text fw={500}>Drop the file to upload it</Text></Dropzone.Accept>
                <Dropzone.Reject><Text fw={500} c="red">This is not a {kind} file</Text></Dropzone.Reject>
                <Dropzone.Idle><Text fw={500}>Drag the {sourceType && uploadKinds[sourceType] ? `${kind} ` : ''}file here, or click to choose it</Text></Dropzone.Idle>
                {sourceType && uploadHints[sourceType] && <Text size="sm" c="dimmed">{uploadHints[sourceType]}</Text>}
              </Stack>
            </Dropzone>
          </>
        )}
        {phase.name !== 'choose' && (
          <>
            <Text size="sm">
              <b>{phase.file.name}</b> ({formatBytes(phase.file.size)})
            </Text>
            <Progress value={percent} size="lg" aria-label="Upload progress" animated={phase.name === 'continuing'} />
            <Text size="sm" c="dimmed" role="status">
              {phase.name === 'continuing'
                ? 'Uploaded; starting the run…'
                : percent >= 100 ? 'Sent; the server is storing the file…' : `${percent} % sent`}
            </Text>
            <Group justify="flex-end">
              <Button variant="light" color="red" onClick={cancel} disabled={phase.name !== 'uploading'}>Cancel upload</Button>
            </Group>
          </>
        )}
      </Stack>
    </Modal>
  );
}
