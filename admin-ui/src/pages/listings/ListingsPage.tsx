// Production listings: search by name or city (accents do not matter), filter by DMO, whether shown
// and status, page through them; the filters live in the URL so a search can be shared or reloaded.
// The "Soft-deleted" view lists what imports took down or people hid, with Restore per DMO record.
import { useEffect, useState } from 'react';
import {
  Alert, Anchor, Button, Center, Group, Loader, Pagination, SegmentedControl, Select, Stack, Table, Text, TextInput, Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { listingStatuses, type AdminListingList, type AdminListingRow, type ListingDetail } from '@contract/listings';
import { api, query } from '../../app/api';
import { IfAllowed } from '../../app/auth';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatCount, formatDate } from '../../components/format';
import { useDmos } from './dmos';
import { detailKey, listingsKey } from './keys';
import { ListingBadges, StatusBadge, statusWords } from './words';

const pageSize = 25;

/** The soft-deleted view's choices: each is one filter the server knows. */
const deletedKinds = {
  missing: {
    label: 'Missing from the latest import', params: { info_status: 'missing_from_import' },
    empty: 'No record is missing from the latest imports: nothing to restore.',
  },
  hidden: { label: 'Hidden by an admin', params: { info_status: 'removed' }, empty: 'No record is hidden by an admin.' },
  offline: { label: 'Every listing not on the site', params: { visible: 'false' }, empty: 'Every listing is on the site.' },
} as const;
type DeletedKind = keyof typeof deletedKinds;

export default function ListingsPage() {
  const [params, setParams] = useSearchParams();
  const view = params.get('view') === 'deleted' ? 'deleted' : 'all';
  const kind: DeletedKind = (params.get('kind') as DeletedKind | null) ?? 'missing';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [text, setText] = useState(params.get('q') ?? '');
  const [debouncedText] = useDebouncedValue(text, 300);
  const dmos = useDmos();

  /** Changes some filters and starts again from the first page. */
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

  // the URL follows the search box as the person types, and the box follows the URL when it changes
  // otherwise (the sidebar link, back and forward)
  const urlText = params.get('q') ?? '';
  useEffect(() => {
    if (debouncedText.trim() !== urlText) update({ q: debouncedText.trim() || null });
  }, [debouncedText]);
  useEffect(() => {
    if (urlText !== debouncedText.trim()) setText(urlText);
  }, [urlText]);

  const filters = view === 'deleted'
    ? { q: params.get('q'), dmo_id: params.get('dmo'), ...deletedKinds[kind].params }
    : { q: params.get('q'), dmo_id: params.get('dmo'), visible: params.get('visible'), status: params.get('status') };
  const list = useQuery({
    queryKey: [...listingsKey, view, filters, page],
    queryFn: () => api.get<AdminListingList>(`/api/v1/pipeline/listings${query({ ...filters, page, pageSize })}`),
    // the last page stays on screen while the next one loads, but never the other view's rows
    placeholderData: (previous, previousQuery) => (previousQuery?.queryKey[2] === view ? previous : undefined),
  });
  const pages = Math.max(1, Math.ceil((list.data?.total ?? 0) / pageSize));
  const filtered = Object.entries(filters).some(([key, value]) => value && !(view === 'deleted' && key in deletedKinds[kind].params));

  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={2}>Listings</Title>
          <Text c="dimmed" size="sm">What the public site shows, merged from every DMO's imports.</Text>
        </div>
        <SegmentedControl
          value={view}
          onChange={(value) => update({ view: value === 'deleted' ? 'deleted' : null, visible: null, status: null, kind: null })}
          data={[{ value: 'all', label: 'All listings' }, { value: 'deleted', label: 'Soft-deleted' }]}
        />
      </Group>

      <Group align="flex-end" gap="sm">
        <TextInput
          label="Search" placeholder="Name or city, e.g. quebec" w={280} value={text}
          onChange={(event) => setText(event.currentTarget.value)}
          onKeyDown={(event) => event.key === 'Enter' && update({ q: text.trim() || null })}
        />
        <Select
          label="DMO" placeholder="Every DMO" w={220} clearable searchable
          data={(dmos.data ?? []).map((dmo) => ({ value: String(dmo.id), label: dmo.name }))}
          value={params.get('dmo')} onChange={(value) => update({ dmo: value })}
        />
        {view === 'all' ? (
          <>
            <Select
              label="On the site" placeholder="Either" w={170} clearable
              data={[{ value: 'true', label: 'Shown' }, { value: 'false', label: 'Not shown' }]}
              value={params.get('visible')} onChange={(value) => update({ visible: value })}
            />
            <Select
              label="Status" placeholder="Any status" w={220} clearable
              data={listingStatuses.map((status) => ({ value: status, label: statusWords[status].label }))}
              value={params.get('status')} onChange={(value) => update({ status: value })}
            />
          </>
        ) : (
          <Select
            label="Show" w={280} allowDeselect={false}
            data={Object.entries(deletedKinds).map(([value, { label }]) => ({ value, label }))}
            value={kind} onChange={(value) => update({ kind: value === 'missing' ? null : value })}
          />
        )}
      </Group>

      {view === 'deleted' && (
        <Alert color="gray" variant="light">
          Records an import no longer delivered, or that a person hid, are kept but not shown on the site.
          Restore puts one DMO's record back on the site, and its listing with it.
        </Alert>
      )}

      <ErrorAlert error={list.error} title="The listings could not be loaded" />
      {list.isPending && <Center py="lg"><Loader aria-label="Loading listings" /></Center>}
      {list.data && (
        <Stack gap="sm" style={{ opacity: list.isPlaceholderData ? 0.6 : 1 }} aria-busy={list.isPlaceholderData}>
          <Text size="sm" c="dimmed" data-testid="listing-count">
            {formatCount(list.data.total)} {list.data.total === 1 ? 'listing' : 'listings'}
          </Text>
          {list.data.rows.length === 0 ? (
            <EmptyList view={view} kind={kind} filtered={filtered} />
          ) : view === 'all' ? (
            <ListingTable rows={list.data.rows} dmoName={(id) => dmos.data?.find((dmo) => dmo.id === id)?.name ?? `DMO #${id}`} />
          ) : (
            <DeletedTable rows={list.data.rows} />
          )}
          {pages > 1 && (
            <Pagination total={pages} value={page} onChange={(value) => update({ page: value === 1 ? null : String(value) })} />
          )}
        </Stack>
      )}
    </Stack>
  );
}

function EmptyList({ view, kind, filtered }: { view: 'all' | 'deleted'; kind: DeletedKind; filtered: boolean }) {
  if (filtered) return <Alert color="gray">No listing matches these filters. Try fewer words, or clear the search and the DMO filter.</Alert>;
  if (view === 'deleted') return <Alert color="gray">{deletedKinds[kind].empty}</Alert>;
  return (
    <Alert color="gray">
      There are no listings yet. They appear here once a run is reviewed and promoted:{' '}
      <Anchor component={Link} to="/admin/sources">set up a source</Anchor> and start a run.
    </Alert>
  );
}

function ListingLink({ row }: { row: AdminListingRow }) {
  return <Anchor component={Link} to={`/admin/listings/${row.id}`} fw={500}>{row.name}</Anchor>;
}

function ListingTable({ rows, dmoName }: { rows: AdminListingRow[]; dmoName: (dmoId: number) => string }) {
  return (
    <Table striped highlightOnHover verticalSpacing="xs" data-testid="listings-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Name</Table.Th>
          <Table.Th>Category</Table.Th>
          <Table.Th>City</Table.Th>
          <Table.Th>State</Table.Th>
          <Table.Th>Main DMO</Table.Th>
          <Table.Th>DMO records</Table.Th>
          <Table.Th>Updated</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((row) => (
          <Table.Tr key={row.id}>
            <Table.Td><ListingLink row={row} /></Table.Td>
            <Table.Td>{row.category ?? '–'}</Table.Td>
            <Table.Td>{row.city ?? '–'}</Table.Td>
            <Table.Td><ListingBadges listing={row} /></Table.Td>
            <Table.Td>{row.owner_dmo_id === null ? '–' : dmoName(row.owner_dmo_id)}</Table.Td>
            <Table.Td>
              {row.info_count}
              {row.hidden_info_count > 0 && <Text span c="orange" size="sm"> ({row.hidden_info_count} not shown)</Text>}
            </Table.Td>
            <Table.Td>{formatDate(row.updated_at)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function DeletedTable({ rows }: { rows: AdminListingRow[] }) {
  return (
    <Table verticalSpacing="sm" data-testid="deleted-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Listing</Table.Th>
          <Table.Th>City</Table.Th>
          <Table.Th>Records not on the site</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((row) => (
          <Table.Tr key={row.id} data-listing-id={row.id}>
            <Table.Td valign="top">
              <Stack gap={4}>
                <ListingLink row={row} />
                <ListingBadges listing={row} />
              </Stack>
            </Table.Td>
            <Table.Td valign="top">{row.city ?? '–'}</Table.Td>
            <Table.Td><HiddenRecords listingId={row.id} /></Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** The DMO records of one listing that are not shown, each with Restore. */
function HiddenRecords({ listingId }: { listingId: number }) {
  const queryClient = useQueryClient();
  const detail = useQuery({
    queryKey: detailKey(listingId),
    queryFn: () => api.get<ListingDetail>(`/api/v1/pipeline/listings/${listingId}`),
  });
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

  if (detail.isPending) return <Loader size="xs" aria-label="Loading records" />;
  if (detail.error) return <ErrorAlert error={detail.error} />;
  const hidden = detail.data.listing_info.filter((info) => !info.info_visible);

  async function restore(infoId: number, dmoName: string) {
    setBusy(infoId);
    setError(null);
    try {
      const updated = await api.post<ListingDetail>(`/api/v1/pipeline/listing-info/${infoId}/restore`);
      queryClient.setQueryData(detailKey(listingId), updated);
      notifications.show({
        color: 'green', title: 'Restored',
        message: updated.listing_visible
          ? `${updated.name} is back on the site with the record from ${dmoName}.`
          : `The record from ${dmoName} of ${updated.name} is restored, but the listing is still not on the site (${statusWords[updated.listing_status].label}).`,
      });
      await queryClient.invalidateQueries({ queryKey: listingsKey });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  return (
    <Stack gap="xs">
      {hidden.length === 0 && <Text size="sm" c="dimmed">Every DMO record is shown; the listing itself is not ({statusWords[detail.data.listing_status].label}).</Text>}
      {hidden.map((info) => (
        <Group key={info.id} gap="sm" wrap="nowrap" data-testid={`hidden-info-${info.id}`}>
          <Text size="sm" fw={500}>{info.dmo_name}</Text>
          <StatusBadge status={info.info_status} />
          <Text size="xs" c="dimmed">last seen {formatDate(info.last_seen_at)}</Text>
          <IfAllowed permission="pipeline:write">
            {info.info_status === 'archived' ? (
              <Text size="xs" c="dimmed">archived: open the listing to un-archive</Text>
            ) : (
              <Button size="compact-sm" variant="light" loading={busy === info.id}
                onClick={() => void restore(info.id, info.dmo_name)} aria-label={`Restore the record from ${info.dmo_name} of ${detail.data.name}`}>
                Restore
              </Button>
            )}
          </IfAllowed>
        </Group>
      ))}
      {detail.data.listing_status === 'archived' && (
        <Text size="xs" c="dimmed">The listing is archived: restoring a record does not put it back on the site until it is un-archived.</Text>
      )}
      <ErrorAlert error={error} title="Not restored" />
    </Stack>
  );
}
