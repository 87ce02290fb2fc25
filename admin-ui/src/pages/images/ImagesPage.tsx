// /admin/images/:runId: the pictures a run brought in. How many are stored, waiting and failed; the
// failed ones first, with why, and fetching them again once the source has fixed them; then the stored
// copies as the site will show them. While any image is waiting the page asks again every few seconds,
// so pictures appear as they are stored.
import { useEffect, useState, type ReactNode } from 'react';
import { Alert, Anchor, Badge, Button, Card, Center, Group, Loader, Select, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { Link, useNavigate, useParams } from 'react-router';
import type { ImageCounts, StagedImage } from '@contract/images';
import type { RunResponse } from '@contract/runs';
import { useSession } from '../../app/auth';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusBadge } from '../../components/StatusBadge';
import { formatCount } from '../../components/format';
import { useRun, useRuns, useSourceNames } from '../runs/run-data';
import { FailedImages } from './FailedImages';
import {
  failedPageSize, refetchableStatuses, storedPageSize, useRefetchImages, useRunImages, type RefetchAsk,
} from './images-api';
import { StoredImages } from './StoredImages';
import { refetchDone, runLabel } from './words';

const positiveId = (text: string | undefined) => {
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
};

export default function ImagesPage() {
  const { runId: runText } = useParams();
  const runId = positiveId(runText);
  return (
    <Stack>
      <div>
        <Title order={2}>Images</Title>
        <Text c="dimmed" size="sm">
          The pictures of a run's listings: the copies we stored for the site, and the ones that could not be fetched from the
          source, with the reason.
        </Text>
      </div>
      {runText === undefined ? (
        <>
          <RunPicker />
          <Text size="sm" c="dimmed">Choose a run to see its images.</Text>
        </>
      ) : runId === undefined ? (
        <>
          <RunPicker />
          <Alert color="gray" title="Not found">There is no run at this address. Choose one above.</Alert>
        </>
      ) : (
        <RunImagesView key={runId} runId={runId} />
      )}
    </Stack>
  );
}

/** The newest runs, newest first; the run on screen is offered too when it is older than those. */
function RunPicker({ current }: { current?: RunResponse }) {
  const navigate = useNavigate();
  const runs = useRuns({ page: 1 });
  const names = useSourceNames();
  const list = runs.data?.jobs ?? [];
  const offered = current && !list.some((run) => run.id === current.id) ? [current, ...list] : list;
  return (
    <Stack gap="xs">
      <Select
        label="Run" placeholder={runs.isPending ? 'Loading the runs…' : 'Choose a run'} w={560} searchable
        nothingFoundMessage="No run matches" allowDeselect={false}
        data={offered.map((run) => ({ value: String(run.id), label: runLabel(run, names) }))}
        value={current ? String(current.id) : null}
        onChange={(value) => value && navigate(`/admin/images/${value}`)}
      />
      <ErrorAlert error={runs.error} title="The runs could not be loaded" />
    </Stack>
  );
}

function RunImagesView({ runId }: { runId: number }) {
  const run = useRun(runId);
  if (run.isPending) {
    return (
      <>
        <RunPicker />
        <Center py="xl"><Loader aria-label="Loading the run" /></Center>
      </>
    );
  }
  if (run.error) {
    return (
      <>
        <RunPicker />
        <ErrorAlert error={run.error} title="The run could not be loaded" />
      </>
    );
  }
  return (
    <>
      <RunPicker current={run.data} />
      <RunImages run={run.data} />
    </>
  );
}

function RunImages({ run }: { run: RunResponse }) {
  const session = useSession();
  const [failedPage, setFailedPage] = useState(1);
  const [storedPage, setStoredPage] = useState(1);
  const failed = useRunImages(run.id, 'failed', failedPage, failedPageSize, run.status);
  const stored = useRunImages(run.id, 'stored', storedPage, storedPageSize, run.status);
  const refetch = useRefetchImages(run.id);
  useLastPage(failed.data?.total, failedPageSize, failedPage, setFailedPage);
  useLastPage(stored.data?.total, storedPageSize, storedPage, setStoredPage);

  // both answers carry the counts: the later one is the truer
  const counts = latest(failed, stored);
  const mayRefetch = session.can('pipeline:write') && refetchableStatuses.includes(run.status);
  const sendBack = (ask: RefetchAsk) =>
    refetch.mutate(ask, { onSuccess: (reply) => notifications.show({ color: 'green', message: refetchDone(reply.images) }) });
  const refetching = refetch.isPending ? refetch.variables?.image_id : undefined;
  const sendingAll = refetch.isPending && refetch.variables?.image_id === undefined;

  return (
    <>
      <Group justify="space-between" align="center">
        <Group gap="sm">
          <Anchor component={Link} to={`/admin/runs/${run.id}`} fw={600}>Run {run.id}</Anchor>
          <StatusBadge status={run.status} />
        </Group>
        {counts && <CountBadges counts={counts} />}
      </Group>

      {counts && counts.pending > 0 && (
        <Alert color="blue" variant="light" py="xs">
          <Group gap="xs">
            <Loader size="xs" aria-hidden />
            <Text size="sm" data-testid="images-waiting">
              {formatCount(counts.pending)} {counts.pending === 1 ? 'image is' : 'images are'} waiting to be fetched: they appear here
              as they are stored.
            </Text>
          </Group>
        </Alert>
      )}
      {counts && counts.pending + counts.stored + counts.failed === 0 && (
        <Alert color="gray">
          {['waiting_for_input', 'queued', 'running'].includes(run.status)
            ? 'The images are fetched once the run has compared its records with the live listings. They will appear here.'
            : 'This run has no images: its records gave no picture, or none that changed.'}
        </Alert>
      )}

      <Card withBorder>
        <Group justify="space-between" align="start" mb="xs">
          <div>
            <Title order={4}>Failed</Title>
            <Text size="sm" c="dimmed">
              These could not be fetched from the source, so the site does not show them. Once the source has fixed them, fetch
              them again.
            </Text>
          </div>
          {mayRefetch && counts && counts.failed > 0 && (
            <Button variant="light" loading={sendingAll} onClick={() => sendBack({ failed_only: true })}>
              Fetch all failed again ({formatCount(counts.failed)})
            </Button>
          )}
        </Group>
        <Stack gap="sm">
          <ErrorAlert error={refetch.error} title="The images could not be sent to be fetched again" />
          {session.can('pipeline:write') && !mayRefetch && counts && counts.failed > 0 && (
            <Text size="sm" c="dimmed">
              Images can be fetched again while the run waits for review, and once it is promoted; this run is not.
            </Text>
          )}
          <ErrorAlert error={failed.error} title="The failed images could not be loaded" />
          {failed.isPending && <Center py="md"><Loader size="sm" aria-label="Loading the failed images" /></Center>}
          {failed.data && (failed.data.total === 0
            ? <Text size="sm" c="dimmed">No image failed.</Text>
            : (
              <Busy placeholder={failed.isPlaceholderData}>
                <FailedImages images={failed.data.images} total={failed.data.total} page={failedPage} onPage={setFailedPage}
                  onRefetch={mayRefetch ? (image: StagedImage) => sendBack({ image_id: image.id }) : undefined} refetching={refetching} />
              </Busy>
            ))}
        </Stack>
      </Card>

      <Card withBorder>
        <Title order={4}>Stored</Title>
        <Text size="sm" c="dimmed" mb="xs">
          Our own copies, as the site shows them. Click a picture to open it at full size.
        </Text>
        <ErrorAlert error={stored.error} title="The stored images could not be loaded" />
        {stored.isPending && <Center py="md"><Loader size="sm" aria-label="Loading the stored images" /></Center>}
        {stored.data && (stored.data.total === 0
          ? <Text size="sm" c="dimmed">No image is stored yet.</Text>
          : (
            <Busy placeholder={stored.isPlaceholderData}>
              <StoredImages images={stored.data.images} total={stored.data.total} page={storedPage} onPage={setStoredPage} />
            </Busy>
          ))}
      </Card>
    </>
  );
}

/** A page past the end, once its images moved on (fetched again, or stored), goes back to the last one. */
function useLastPage(total: number | undefined, pageSize: number, page: number, setPage: (page: number) => void) {
  const last = total === undefined ? page : Math.max(1, Math.ceil(total / pageSize));
  useEffect(() => {
    if (page > last) setPage(last);
  }, [page, last, setPage]);
}

/** The counts of whichever answer came last. */
function latest(...answers: { data?: { counts: ImageCounts }; dataUpdatedAt: number }[]): ImageCounts | undefined {
  const answered = answers.filter((answer) => answer.data);
  answered.sort((a, b) => b.dataUpdatedAt - a.dataUpdatedAt);
  return answered[0]?.data?.counts;
}

function CountBadges({ counts }: { counts: ImageCounts }) {
  return (
    <Group gap="xs" aria-label="Images by status" role="group" data-testid="image-counts">
      <Badge color="green" variant="light" data-count="stored">Stored: {formatCount(counts.stored)}</Badge>
      <Badge color="blue" variant="light" data-count="pending">Waiting: {formatCount(counts.pending)}</Badge>
      <Badge color="red" variant="light" data-count="failed">Failed: {formatCount(counts.failed)}</Badge>
    </Group>
  );
}

/** A page being replaced by the next one is shown faded, as the other lists do. */
function Busy({ placeholder, children }: { placeholder: boolean; children: ReactNode }) {
  return <div style={{ opacity: placeholder ? 0.6 : 1 }} aria-busy={placeholder}>{children}</div>;
}
