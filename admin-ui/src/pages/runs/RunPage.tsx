// /admin/runs/:id: one run, live while it is in flight: what it is doing, what it found, what went wrong
// and where, its files and rejected records, what can be done with it, and its jobs in Bull Board.
import { useState, type ReactNode } from 'react';
import {
  Alert, Anchor, Breadcrumbs, Button, Card, Center, DataList, Group, Loader, Stack, Text, Title,
} from '@mantine/core';
import { Link, useParams, useSearchParams } from 'react-router';
import type { RunResponse } from '@contract/runs';
import { IfAllowed, useSession } from '../../app/auth';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusBadge } from '../../components/StatusBadge';
import { formatCount, formatDate } from '../../components/format';
import { countColumns, countedResults, promoteLabels, runDuration } from './counts';
import { RunActions } from './RunActions';
import { RunErrors } from './RunErrors';
import { RunFiles } from './RunFiles';
import { RunProgress } from './RunProgress';
import { queueJobLinks, useRun, useRunFiles, useSourceNames } from './run-data';
import { UploadDialog } from './UploadDialog';

/** The step a failed run stopped at, in words. */
const failedStep: Record<RunResponse['stage'], string> = {
  import: 'while importing the data (step: import)',
  transform: 'while checking the records (step: transform)',
  stage: 'while comparing the records with production (step: stage)',
  review: 'during review',
  promote: 'while promoting to production (step: promote)',
};

export default function RunPage() {
  const id = Number(useParams().id);
  if (!Number.isSafeInteger(id) || id <= 0) {
    return <Alert color="gray" title="Not found">There is no run at this address. <Anchor component={Link} to="/admin/runs">See all runs</Anchor></Alert>;
  }
  return <RunView id={id} />;
}

function RunView({ id }: { id: number }) {
  const run = useRun(id);
  if (run.isPending) return <Center py="xl"><Loader aria-label="Loading the run" /></Center>;
  if (run.error) {
    return (
      <Stack>
        <RunBreadcrumbs id={id} />
        <ErrorAlert error={run.error} title="The run could not be loaded" />
      </Stack>
    );
  }
  return <RunDetails run={run.data} />;
}

function RunBreadcrumbs({ id }: { id: number }) {
  return (
    <Breadcrumbs>
      <Anchor component={Link} to="/admin/runs">Runs</Anchor>
      <Text>Run {id}</Text>
    </Breadcrumbs>
  );
}

function RunDetails({ run }: { run: RunResponse }) {
  const session = useSession();
  const names = useSourceNames();
  const files = useRunFiles(run);
  const [params, setParams] = useSearchParams();
  const [uploadOpen, setUploadOpen] = useState(false);
  const waiting = run.status === 'waiting_for_input';
  // Sources → Run now sends admins here with ?upload=1: the dialog is open while the run waits
  const askedToUpload = params.get('upload') === '1';
  const dialogOpen = waiting && session.can('pipeline:write') && (uploadOpen || askedToUpload);
  const closeUpload = () => {
    setUploadOpen(false);
    if (askedToUpload) {
      setParams((current) => {
        const next = new URLSearchParams(current);
        next.delete('upload');
        return next;
      }, { replace: true });
    }
  };
  const links = queueJobLinks(run, files.data?.files ?? []);
  const results = countedResults(run);

  return (
    <Stack>
      <RunBreadcrumbs id={run.id} />
      <Group justify="space-between" align="start">
        <Stack gap={2}>
          <Group gap="sm">
            <Title order={2}>Run {run.id}</Title>
            <StatusBadge status={run.status} />
          </Group>
          <Text c="dimmed" size="sm">
            {names.configName(run.config_id)} · {names.dmoName(run.dmo_id)}
          </Text>
        </Stack>
        <Group gap="xs" align="start">
          {run.status === 'awaiting_review' && (
            <Button component={Link} to={`/admin/runs/${run.id}/review`}>Review</Button>
          )}
          {run.staged_at && <Button component={Link} to={`/admin/images/${run.id}`} variant="default">Images</Button>}
          {waiting && (
            <IfAllowed permission="pipeline:write">
              <Button onClick={() => setUploadOpen(true)}>Upload file</Button>
            </IfAllowed>
          )}
          <RunActions run={run} />
        </Group>
      </Group>

      <StatusNote run={run} />

      {run.delete_guard && (
        <Alert color="yellow" py="xs">
          <Text size="sm"><b>No deletion was proposed:</b> {run.delete_guard}</Text>
        </Alert>
      )}

      <RunProgressCard run={run} />

      <Card withBorder>
        <Group justify="space-between" align="start" gap="xl">
          <Stack gap={6}>
            <Title order={4}>What the run found</Title>
            {results ? (
              <Group gap="lg" aria-label="Results" role="group">
                <Stat label="Records read" value={results.records_total} />
                {countColumns.map((column) => <Stat key={column.key} label={column.label} value={results[column.key]} />)}
              </Group>
            ) : (
              <Text size="sm" c="dimmed">Counted once the run has read its records.</Text>
            )}
          </Stack>
          <DataList labelWidth={80} gap={2} aria-label="Times" fz="sm">
            <TimeItem label="Created" value={formatDate(run.created_at)} />
            <TimeItem label="Started" value={formatDate(run.started_at)} />
            <TimeItem label="Staged" value={formatDate(run.staged_at)} />
            <TimeItem label="Finished" value={formatDate(run.finished_at)} />
            <TimeItem label="Duration" value={runDuration(run)} />
          </DataList>
        </Group>
        {run.promote_results && (
          <Stack gap={6} mt="md">
            <Title order={5}>Promoted to production</Title>
            <Group gap="lg" aria-label="Promote results" role="group">
              {Object.entries(run.promote_results).map(([key, value]) => (
                <Stat key={key} label={promoteLabels[key] ?? key.replace(/_/g, ' ')} value={value} />
              ))}
            </Group>
          </Stack>
        )}
      </Card>

      <Card withBorder>
        <Title order={4} mb={4}>Files</Title>
        {files.error ? <ErrorAlert error={files.error} title="The files could not be loaded" /> : <RunFiles runId={run.id} files={files.data?.files ?? []} />}
      </Card>

      <Card withBorder>
        <Title order={4} mb={4}>Record errors</Title>
        <RunErrors run={run} />
      </Card>

      {links.length > 0 && (
        <Card withBorder>
          <Title order={4} mb={4}>Jobs in Bull Board</Title>
          <Text size="sm" c="dimmed" mb="xs">For operations: the queue jobs that carried out this run's steps (kept for 7 days after they end).</Text>
          <Group gap="md">
            {links.map((link) => <Anchor key={link.href} href={link.href} size="sm">{link.label}</Anchor>)}
          </Group>
        </Card>
      )}

      <UploadDialog runId={run.id} sourceType={names.configs.find((config) => config.id === run.config_id)?.source_type} opened={dialogOpen} onClose={closeUpload} />
    </Stack>
  );
}

function Stat({ label, value }: { label: string; value: number }) {
  return (
    <Stack gap={0} data-stat={label}>
      <Text size="xs" c="dimmed">{label}</Text>
      <Text size="lg" fw={600}>{formatCount(value)}</Text>
    </Stack>
  );
}

function TimeItem({ label, value }: { label: string; value: string }) {
  return (
    <DataList.Item>
      <DataList.ItemLabel>{label}</DataList.ItemLabel>
      <DataList.ItemValue>{value}</DataList.ItemValue>
    </DataList.Item>
  );
}

function RunProgressCard({ run }: { run: RunResponse }) {
  if (!['queued', 'running', 'promoting'].includes(run.status)) return null;
  return (
    <Card withBorder>
      <RunProgress run={run} detailed />
    </Card>
  );
}

/** What the status means for the admin, and what to do next. */
function StatusNote({ run }: { run: RunResponse }) {
  switch (run.status) {
    case 'failed':
      return (
        <Alert color="red" title={`The run failed ${failedStep[run.stage]}`} role="alert">
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>{run.error_summary ?? 'The server gave no reason.'}</Text>
          <IfAllowed permission="pipeline:write">
            <Text size="sm" mt="xs">Retry runs that step again; Discard gives the run up.</Text>
          </IfAllowed>
        </Alert>
      );
    case 'waiting_for_input':
      return <Note color="yellow" title="Waiting for its file:">the run starts once its CSV file is uploaded.</Note>;
    case 'awaiting_review':
      return (
        <Note color="orange" title="Ready for review:">
          nothing has reached the live listings yet. Review what this run would change, approve it, then promote it.
        </Note>
      );
    case 'cancelled':
      return <Note color="gray" title="Cancelled:">{run.error_summary ?? 'this run was cancelled.'}</Note>;
    case 'superseded':
      return (
        <Note color="gray" title="Superseded:">
          a newer run of this source was staged, so this one can no longer be promoted. {run.error_summary ?? ''}
        </Note>
      );
    case 'promoted':
      return <Note color="green" title="Promoted:">the approved records of this run are live.</Note>;
    default:
      return null;
  }
}

/** A one-line note about the run's status. */
function Note({ color, title, children }: { color: string; title: string; children: ReactNode }) {
  return (
    <Alert color={color} py="xs">
      <Text size="sm"><b>{title}</b> {children}</Text>
    </Alert>
  );
}
