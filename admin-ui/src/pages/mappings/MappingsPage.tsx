// /admin/mappings: every DMO record and the listing it is shown on, filtered by listing and DMO, or
// only the links that conflict, each saying what is wrong in words. People who may change production
// (pipeline:promote) can move a record to another listing or give it one of its own; the filters live
// in the address, so a link to "the mappings of listing 12" can be shared.
import { useEffect, useState } from 'react';
import {
  Alert, Anchor, Badge, Button, Center, Code, Group, Loader, Pagination, Select, Stack, Switch, Table, Text, TextInput, Title, Tooltip,
} from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import type { MappingChangeReply, MappingRow } from '@contract/mappings';
import { IfAllowed } from '../../app/auth';
import { ConfirmModal } from '../../components/ConfirmModal';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatCount, formatDate } from '../../components/format';
import { useDmos } from '../listings/dmos';
import { statusWords, VisibleBadge } from '../listings/words';
import { MatchDialog } from './MatchDialog';
import { pageSize, useMappings, useUnmerge, type MappingsView } from './mappings-api';
import { conflictLabels, linkedBy } from './words';

const positiveId = (text: string | null) => {
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
};

function readView(params: URLSearchParams): MappingsView {
  return {
    listingId: positiveId(params.get('listing')),
    dmoId: positiveId(params.get('dmo')),
    conflicts: params.get('conflicts') === 'true',
    page: positiveId(params.get('page')) ?? 1,
  };
}

/** A change just made, to say what happened with links to the listings it touched. */
interface DoneChange {
  kind: 'match' | 'unmerge';
  reply: MappingChangeReply;
}

export default function MappingsPage() {
  const [params, setParams] = useSearchParams();
  const view = readView(params);
  const list = useMappings(view);
  const dmos = useDmos();
  const [listingText, setListingText] = useState(params.get('listing') ?? '');
  const [matching, setMatching] = useState<MappingRow | null>(null);
  const [unmerging, setUnmerging] = useState<MappingRow | null>(null);
  const [done, setDone] = useState<DoneChange | null>(null);
  const unmerge = useUnmerge();

  const update = (changes: Record<string, string | null>) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      for (const [key, value] of Object.entries(changes)) {
        if (value) next.set(key, value);
        else next.delete(key);
      }
      if (!('page' in changes)) next.delete('page');
      return next;
    }, { replace: true });

  // the box follows the address when that changes otherwise (the sidebar link, back and forward)
  const urlListing = params.get('listing') ?? '';
  useEffect(() => setListingText(urlListing), [urlListing]);
  const listingTextBad = listingText.trim() !== '' && positiveId(listingText.trim()) === undefined;
  const applyListing = () => !listingTextBad && update({ listing: listingText.trim() || null });

  const pages = Math.max(1, Math.ceil((list.data?.total ?? 0) / pageSize));
  const filtered = view.listingId !== undefined || view.dmoId !== undefined || view.conflicts;

  return (
    <Stack>
      <div>
        <Title order={2}>Mappings</Title>
        <Text c="dimmed" size="sm">
          Which DMO record is shown on which listing. When an import put a record on the wrong listing, move it to the right one,
          or give it a listing of its own.
        </Text>
      </div>

      <Group align="flex-end" gap="sm">
        <TextInput
          label="Listing id" placeholder="e.g. 1234" w={160} value={listingText} inputMode="numeric"
          error={listingTextBad ? 'a listing id is a whole number' : undefined}
          onChange={(event) => setListingText(event.currentTarget.value)}
          onBlur={applyListing} onKeyDown={(event) => event.key === 'Enter' && applyListing()}
        />
        <Select
          label="DMO" placeholder="Every DMO" w={240} clearable searchable
          data={(dmos.data ?? []).map((dmo) => ({ value: String(dmo.id), label: dmo.name }))}
          value={view.dmoId ? String(view.dmoId) : null} onChange={(value) => update({ dmo: value })}
        />
        <Switch
          label="Conflicts only" mb={8} checked={view.conflicts}
          onChange={(event) => update({ conflicts: event.currentTarget.checked ? 'true' : null })}
        />
      </Group>
      {view.conflicts && (
        <Alert color="gray" variant="light">
          Links that cannot all be right: two source records feeding one DMO record, a record linked to one listing but shown on
          another, and listings with several records from the same DMO (usually two places merged by mistake).
        </Alert>
      )}

      {done && <ChangeDone change={done} onClose={() => setDone(null)} />}
      <ErrorAlert error={list.error} title="The mappings could not be loaded" />
      {list.isPending && <Center py="lg"><Loader aria-label="Loading mappings" /></Center>}
      {list.data && (
        <Stack gap="sm" style={{ opacity: list.isPlaceholderData ? 0.6 : 1 }} aria-busy={list.isPlaceholderData}>
          <Text size="sm" c="dimmed" data-testid="mapping-count">
            {formatCount(list.data.total)} {list.data.total === 1 ? 'record' : 'records'}
          </Text>
          {list.data.rows.length === 0 ? (
            <Alert color="gray">
              {view.conflicts ? 'No conflicts: every record is linked to one listing, and no listing has two records from one DMO.'
                : filtered ? 'No record matches these filters. Clear the listing id or the DMO to see more.'
                : 'No record is linked to a listing yet: they appear here once a run is promoted.'}
            </Alert>
          ) : (
            <MappingTable rows={list.data.rows} onMatch={setMatching} onUnmerge={setUnmerging} />
          )}
          {pages > 1 && <Pagination total={pages} value={view.page} onChange={(page) => update({ page: page === 1 ? null : String(page) })} />}
        </Stack>
      )}

      {matching && (
        <MatchDialog row={matching} onClose={() => setMatching(null)}
          onDone={(reply) => { setMatching(null); setDone({ kind: 'match', reply }); }} />
      )}
      {unmerging && (
        <ConfirmModal opened title="Give this record its own listing?" confirmLabel="Give it its own listing" color="grape"
          onClose={() => setUnmerging(null)}
          onConfirm={async () => setDone({ kind: 'unmerge', reply: await unmerge.mutateAsync({ dmo_id: unmerging.dmo_id, source_id: unmerging.source_id }) })}>
          <Text size="sm">
            The record <b>{unmerging.source_id}</b> from <b>{unmerging.dmo_name}</b> will be taken off{' '}
            <b>{unmerging.listing_name}</b> and shown on a new listing of its own, made from what {unmerging.dmo_name} last sent
            (its name and address). <b>{unmerging.listing_name}</b> keeps its {unmerging.records_on_listing - 1} other{' '}
            {unmerging.records_on_listing - 1 === 1 ? 'record' : 'records'}, and later imports from {unmerging.dmo_name} go to the new listing.
          </Text>
        </ConfirmModal>
      )}
    </Stack>
  );
}

function MappingTable({ rows, onMatch, onUnmerge }: {
  rows: MappingRow[]; onMatch: (row: MappingRow) => void; onUnmerge: (row: MappingRow) => void;
}) {
  return (
    <Table verticalSpacing="sm" data-testid="mappings-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>DMO record</Table.Th>
          <Table.Th>Shown on listing</Table.Th>
          <Table.Th>Linked</Table.Th>
          <Table.Th>Conflicts</Table.Th>
          <IfAllowed permission="pipeline:promote"><Table.Th w={230}>Fix</Table.Th></IfAllowed>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((row) => (
          <Table.Tr key={`${row.dmo_id}-${row.source_id}`} data-source-id={row.source_id} data-dmo-id={row.dmo_id}>
            <Table.Td valign="top">
              <Stack gap={4}>
                <Text size="sm" fw={500}>{row.dmo_name}</Text>
                <Code>{row.source_id}</Code>
                {row.info_visible === false && <Text size="xs" c="orange">not shown on the site</Text>}
              </Stack>
            </Table.Td>
            <Table.Td valign="top">
              {row.listing_id === null ? <Text size="sm" c="dimmed">none</Text> : (
                <Stack gap={4}>
                  <Anchor component={Link} to={`/admin/listings/${row.listing_id}`} fw={500}>{row.listing_name ?? `Listing #${row.listing_id}`}</Anchor>
                  <Text size="xs" c="dimmed">
                    Listing #{row.listing_id}{row.listing_city ? ` · ${row.listing_city}` : ''} · {row.records_on_listing}{' '}
                    {row.records_on_listing === 1 ? 'record' : 'records'}
                  </Text>
                  {row.listing_visible === false && row.listing_status && (
                    <Group gap={6}><VisibleBadge visible={false} /><Text size="xs" c="dimmed">{statusWords[row.listing_status].label}</Text></Group>
                  )}
                </Stack>
              )}
            </Table.Td>
            <Table.Td valign="top">
              <Stack gap={4}>
                <Text size="sm">{linkedBy(row)}</Text>
                <Text size="xs" c="dimmed">
                  {row.job_id !== null ? <Anchor component={Link} to={`/admin/runs/${row.job_id}`} size="xs">Run #{row.job_id}</Anchor> : 'by a person'}
                  {' · '}{formatDate(row.linked_at)}
                </Text>
              </Stack>
            </Table.Td>
            <Table.Td valign="top" maw={420}>
              {row.conflicts.length === 0 ? <Text size="sm" c="dimmed">–</Text> : (
                <Stack gap={6}>
                  {row.conflicts.map((conflict) => (
                    <div key={conflict.kind} data-conflict={conflict.kind}>
                      <Badge color="orange" variant="light">{conflictLabels[conflict.kind]}</Badge>
                      <Text size="xs" mt={2}>{conflict.message}</Text>
                    </div>
                  ))}
                </Stack>
              )}
            </Table.Td>
            <IfAllowed permission="pipeline:promote">
              <Table.Td valign="top">
                <Stack gap={6} align="flex-start">
                  <Button size="compact-sm" variant="light" disabled={row.listing_info_id === null} onClick={() => onMatch(row)}
                    aria-label={`Match ${row.source_id} from ${row.dmo_name} to another listing`}>
                    Match to another listing…
                  </Button>
                  {row.records_on_listing > 1 ? (
                    <Button size="compact-sm" variant="subtle" color="grape" onClick={() => onUnmerge(row)}
                      aria-label={`Give ${row.source_id} from ${row.dmo_name} its own listing`}>
                      Give it its own listing
                    </Button>
                  ) : (
                    <Tooltip label="It is the only record on its listing: it has a listing of its own already." multiline w={240} withArrow>
                      <Text size="xs" c="dimmed">Has its own listing</Text>
                    </Tooltip>
                  )}
                </Stack>
              </Table.Td>
            </IfAllowed>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** What the change did, in words, with links to the listings it touched. */
function ChangeDone({ change, onClose }: { change: DoneChange; onClose: () => void }) {
  const { mapping, left, changed } = change.reply;
  const on = mapping.listing_id !== null && (
    <Anchor component={Link} to={`/admin/listings/${mapping.listing_id}`}>{mapping.listing_name ?? `Listing #${mapping.listing_id}`}</Anchor>
  );
  const title = !changed ? 'Nothing needed to change'
    : change.kind === 'match' ? 'Matched' : 'It has its own listing now';
  return (
    <Alert color={changed ? 'green' : 'gray'} variant="light" withCloseButton onClose={onClose} title={title} data-testid="mapping-done">
      <Stack gap={4}>
        <Text size="sm">
          The record {mapping.source_id} from {mapping.dmo_name} is shown on {on}
          {change.kind === 'unmerge' && changed ? ', a new listing made from what it last sent' : ''}.
        </Text>
        {left.map((listing) => (
          <Text size="sm" key={listing.id}>
            <Anchor component={Link} to={`/admin/listings/${listing.id}`}>{listing.name}</Anchor>{' '}
            {listing.listing_visible ? 'keeps its other records.' : `has no record shown any more and is off the site (${statusWords[listing.listing_status].label}).`}
          </Text>
        ))}
      </Stack>
    </Alert>
  );
}
