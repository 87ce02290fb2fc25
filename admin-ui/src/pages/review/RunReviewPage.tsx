// The review of one run (/admin/runs/:id/review): a tab per record action with its count, filters,
// one server page of rows at a time, the diff of a row, decisions and promote. The tab, filters, page
// and open row live in the URL.
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import {
  Alert, Anchor, Badge, Button, Center, Group, Loader, Menu, NumberInput, Pagination, SegmentedControl, Stack, Switch, Tabs,
  Text, TextInput, Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import type { RecordAction, ReviewStatus, RunResponse } from '@contract/runs';
import { useSession } from '../../app/auth';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusBadge } from '../../components/StatusBadge';
import { formatCount, formatDate } from '../../components/format';
import { decisionMessage, type Decide, type DecisionRequest } from './decisions';
import { PromoteButton, PromoteOutcome } from './Promote';
import { pageSize, useDecision, useRows, useRun, useSourceNames, useTabCounts, type TabCounts, type TabCountsQuery } from './review-api';
import { RowDetailDrawer } from './RowDetail';
import { RowsTable } from './RowsTable';
import { useReviewView, type ReviewView } from './use-review-view';
import { overrides, plural, readOnlyReason, tabLabel, tabNotes, tabs } from './words';

function firstTabWithRows(counts: TabCounts | null): RecordAction {
  return tabs.find((tab) => (counts?.actions[tab.action] ?? 0) > 0)?.action ?? 'insert';
}

function SearchBox({ value, onSearch }: { value: string; onSearch(q: string): void }) {
  const [text, setText] = useState(value);
  const [debounced] = useDebouncedValue(text, 300);
  // the URL changed by itself (back, a link): show its search; the text being typed is left alone
  useEffect(() => setText((current) => (current.trim() === value ? current : value)), [value]);
  useEffect(() => {
    if (debounced.trim() !== value) onSearch(debounced.trim());
    // only a settled change of the typed text searches
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debounced]);
  return (
    <TextInput label="Search" placeholder="Name, city or source id" value={text} onChange={(e) => setText(e.currentTarget.value)}
      w={260} maxLength={200} />
  );
}

function Pager({ view, total, onPage }: { view: ReviewView; total: number; onPage(page: number): void }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const [jump, setJump] = useState<number | string>('');
  if (total === 0) return null;
  const from = (view.page - 1) * pageSize + 1;
  const to = Math.min(total, view.page * pageSize);
  return (
    <Group justify="space-between" data-testid="pager">
      <Text size="sm" data-testid="rows-range">
        Rows {formatCount(from)}–{formatCount(to)} of <b data-testid="rows-total">{formatCount(total)}</b>
      </Text>
      <Group gap="sm">
        <Pagination total={pages} value={Math.min(view.page, pages)} onChange={onPage} size="sm" withEdges
          getControlProps={(control) => ({ 'aria-label': `${control} page` })}
          getItemProps={(page) => ({ 'aria-label': `Page ${page}` })} />
        {pages > 7 && (
          <form onSubmit={(event) => {
            event.preventDefault();
            const page = Number(jump);
            if (Number.isSafeInteger(page) && page >= 1 && page <= pages) onPage(page);
          }}>
            <Group gap={4}>
              <NumberInput aria-label="Go to page" placeholder="Page" size="xs" w={90} min={1} max={pages} allowDecimal={false}
                allowNegative={false} value={jump} onChange={setJump} />
              <Button size="xs" variant="default" type="submit">Go</Button>
            </Group>
          </form>
        )}
      </Group>
    </Group>
  );
}

function RunHeader({ run }: { run: RunResponse }) {
  const names = useSourceNames()(run);
  const session = useSession();
  return (
    <Group justify="space-between" align="flex-start">
      <div>
        <Group gap="sm">
          <Title order={2}>Review of run #{run.id}</Title>
          <StatusBadge status={run.status} />
        </Group>
        <Text size="sm" c="dimmed">
          {names.source} · {names.dmo} · started {formatDate(run.started_at ?? run.created_at)} ·{' '}
          <Anchor component={Link} to="/admin/review" size="sm">all runs awaiting review</Anchor>
        </Text>
      </div>
      {run.status === 'awaiting_review' && session.can('pipeline:promote') && <PromoteButton run={run} />}
    </Group>
  );
}

function BulkDecisions({ view, total, selected, decide, busy }: {
  view: ReviewView; total: number; selected: number[]; decide: Decide; busy: boolean;
}) {
  const filtered = view.review !== undefined || view.warnings;
  const tabFilter = { action: view.action, review: view.review, warnings: view.warnings || undefined };
  const label = tabLabel(view.action);
  return (
    <Stack gap="xs" data-testid="bulk-decisions">
      <Group gap="xs" align="center">
        <Button color="green" variant="filled" loading={busy}
          onClick={() => decide({ filter: { proposed: true }, decision: 'approve' })}>
          Approve all proposed
        </Button>
        <Text size="xs" c="dimmed" maw={560}>
          Approves the new, changed and unchanged rows without warnings, in every tab. Deletions, duplicates, possible matches and rows with
          warnings are never proposed, so they stay pending until you approve them yourself.
        </Text>
      </Group>
      <Group gap="xs">
        <Text size="sm" fw={500}>{filtered ? 'Every row of this tab that matches the filters' : `The whole ${label} tab`}
          {' '}({formatCount(total)} {plural(total, 'row')}, on every page):</Text>
        <Button size="xs" color="green" variant="light" loading={busy} disabled={!!view.q || total === 0}
          onClick={() => decide({ filter: tabFilter, decision: 'approve' })}>
          Approve {filtered ? 'these' : `all ${label}`}
        </Button>
        <Button size="xs" color="red" variant="light" loading={busy} disabled={!!view.q || total === 0}
          onClick={() => decide({ filter: tabFilter, decision: 'reject' })}>
          Reject {filtered ? 'these' : `all ${label}`}
        </Button>
        {view.q && <Text size="xs" c="dimmed">Clear the search to decide the whole tab (a search cannot be used as a decision filter).</Text>}
        {!view.q && !view.review && <Text size="xs" c="dimmed">Approving leaves rows someone rejected as they are.</Text>}
      </Group>
      {selected.length > 0 && (
        <Group gap="xs" data-testid="selection-decisions">
          <Text size="sm" fw={500}>{formatCount(selected.length)} selected:</Text>
          <Button size="xs" color="green" loading={busy} onClick={() => decide({ ids: selected, decision: 'approve' })}>Approve selected</Button>
          <Button size="xs" color="red" variant="light" loading={busy} onClick={() => decide({ ids: selected, decision: 'reject' })}>
            Reject selected
          </Button>
          <Menu withinPortal>
            <Menu.Target><Button size="xs" variant="default" loading={busy}>Change their action…</Button></Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>Set the action and approve the selected rows</Menu.Label>
              {overrides.map((o) => (
                <Menu.Item key={o.action}
                  onClick={() => decide({ ids: selected, decision: 'approve', override_action: o.action }, `changed to ${o.action} and approved`)}>
                  {o.label}
                </Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
        </Group>
      )}
    </Stack>
  );
}

function ReviewOfRun({ run, counts }: { run: RunResponse; counts: TabCountsQuery }) {
  const session = useSession();
  const { view, update, explicitAction } = useReviewView(firstTabWithRows(counts.data));
  // without a tab in the URL the first tab with rows is shown, once the counts say which
  const ready = explicitAction || !counts.isPending;
  const rows = useRows(run.id, view, ready);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [message, setMessage] = useState<string | null>(null);
  const decision = useDecision(run.id);

  const editable = run.status === 'awaiting_review';
  const canDecide = editable && session.can('pipeline:review');
  const viewKey = JSON.stringify([view.action, view.review, view.warnings, view.q, view.page]);
  useEffect(() => setSelected(new Set()), [viewKey]);

  const decide: Decide = (body: DecisionRequest, words?: string) => {
    setMessage(null);
    decision.mutate(body, {
      onSuccess: ({ updated }) => {
        setMessage(decisionMessage(updated, body, words));
        if (body.ids) setSelected(new Set());
      },
    });
  };
  const reason = readOnlyReason(run.status, run.error_summary);
  const page = rows.data;

  return (
    <Stack gap="sm">
      <RunHeader run={run} />
      {run.delete_guard && (
        <Alert color="orange" title="Deletions held back: the file may be incomplete" data-testid="delete-guard">{run.delete_guard}</Alert>
      )}
      <PromoteOutcome run={run} />
      {reason && <Alert color={run.status === 'failed' ? 'red' : 'gray'} title="Read only" data-testid="read-only">{reason}</Alert>}
      <ErrorAlert error={counts.error} />

      <Tabs value={view.action} onChange={(value) => value && update({ action: value as RecordAction })} keepMounted={false}>
        <Tabs.List>
          {tabs.map((tab) => {
            const count = counts.data?.actions[tab.action];
            return (
              <Tabs.Tab key={tab.action} value={tab.action} data-action={tab.action}
                rightSection={<Badge size="sm" variant="light" color={count ? 'indigo' : 'gray'} data-testid="tab-count">{count === undefined ? '…' : formatCount(count)}</Badge>}>
                {tab.label}
              </Tabs.Tab>
            );
          })}
        </Tabs.List>
      </Tabs>
      <Text size="sm" data-testid="tab-note">{tabNotes[view.action]}</Text>

      <Group align="flex-end" gap="md">
        <SearchBox value={view.q} onSearch={(q) => update({ q }, { replace: true })} />
        <div>
          <Text size="sm" fw={500} mb={4}>Decision</Text>
          <SegmentedControl size="sm" value={view.review ?? 'all'}
            onChange={(value) => update({ review: value === 'all' ? undefined : (value as ReviewStatus) })}
            data={[{ value: 'all', label: 'All' }, { value: 'pending', label: 'Pending' }, { value: 'approved', label: 'Approved' },
              { value: 'rejected', label: 'Rejected' }]} />
        </div>
        <Switch label={`Only rows with warnings${counts.data?.warnings != null ? ` (${formatCount(counts.data.warnings)} in the run)` : ''}`}
          checked={view.warnings} onChange={(event) => update({ warnings: event.currentTarget.checked })} mb={6} />
      </Group>
      {view.warnings && (
        <Text size="xs" c="dimmed">Rows with warnings are never proposed, so "Approve all proposed" leaves them: approve each one that is right.</Text>
      )}

      {canDecide && (
        <BulkDecisions view={view} total={page?.total ?? 0} selected={[...selected]} decide={decide}
          busy={decision.isPending} />
      )}
      {!canDecide && editable && (
        <Text size="sm" c="dimmed">You can look at these rows; deciding on them needs the permission pipeline:review.</Text>
      )}
      {message && <Alert color="green" role="status" data-testid="decision-message" withCloseButton onClose={() => setMessage(null)}>{message}</Alert>}
      <ErrorAlert error={decision.error} title="The decision was refused" />

      <ErrorAlert error={rows.error} />
      {!page && (rows.isPending || !ready) && <Center py="lg"><Loader aria-label="Loading rows" /></Center>}
      {page && page.rows.length === 0 && (
        <Alert color="gray" data-testid="no-rows">
          {view.q || view.review || view.warnings
            ? 'No row of this tab matches the search and filters. Clear them to see every row.'
            : page.total === 0 && view.page > 1
              ? 'This page is past the last row.'
              : `This run has no ${tabLabel(view.action).toLowerCase()} rows.${run.status === 'cancelled' ? ' A discarded run has no staged rows left.' : ''}`}
        </Alert>
      )}
      {page && page.rows.length > 0 && (
        <div style={{ opacity: rows.isPlaceholderData ? 0.6 : 1 }} aria-busy={rows.isPlaceholderData} data-testid="rows"
          data-action={page.view.action} data-page={page.view.page} data-loading={rows.isFetching ? 'true' : 'false'}>
          <RowsTable rows={page.rows} selectable={canDecide} selected={selected} openRow={view.row}
            onOpen={(row) => update({ row })}
            onToggle={(id) => setSelected((current) => {
              const next = new Set(current);
              if (!next.delete(id)) next.add(id);
              return next;
            })}
            onToggleAll={(ids, on) => setSelected((current) => {
              const next = new Set(current);
              for (const id of ids) if (on) next.add(id); else next.delete(id);
              return next;
            })} />
        </div>
      )}
      {page && <Pager view={view} total={page.total} onPage={(p) => update({ page: p })} />}

      <RowDetailDrawer runId={run.id} rowId={view.row} onClose={() => update({ row: undefined })}
        decide={canDecide ? decide : undefined} busy={decision.isPending} message={message} error={decision.error} />
    </Stack>
  );
}

export default function RunReviewPage() {
  const { id } = useParams();
  const runId = Number(id);
  const valid = Number.isSafeInteger(runId) && runId > 0;
  const run = useRun(runId, valid);
  // asked with the run, not after it: the counts choose the first tab
  const counts = useTabCounts(runId, valid);
  if (!valid) return <Alert color="red">There is no run {id}: a run number is a whole number such as 12.</Alert>;
  if (run.isPending) return <Center py="xl"><Loader aria-label="Loading the run" /></Center>;
  if (run.error) return <ErrorAlert error={run.error} title="This run could not be shown" />;
  return <ReviewOfRun run={run.data} counts={counts} />;
}
