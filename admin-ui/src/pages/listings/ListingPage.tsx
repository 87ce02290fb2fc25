// One listing as production holds it: its shared parts (name, category, location), what each DMO says
// of it (description, contact, opening hours, images, visibility), the source records behind it and the
// timeline of every change. Its pictures are our own stored copies: the gallery at the top shows each
// picture once (the best copy when DMOs sent the same one), and each DMO's card shows what that DMO sent. People with pipeline:write may edit it, hide or show one DMO's record, and
// archive or un-archive the whole listing; each asks first and then shows the listing as it is now.
import { useState, type ReactNode } from 'react';
import {
  Alert, Anchor, Badge, Button, Card, Center, Code, Grid, Group, Image, Loader, SimpleGrid, Stack, Table, Tabs, Text, Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { contactFields, type ListingDetail } from '@contract/listings';
import { api } from '../../app/api';
import { IfAllowed } from '../../app/auth';
import { ConfirmModal } from '../../components/ConfirmModal';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatDate } from '../../components/format';
import { EditListingModal } from './EditListingModal';
import { detailKey, listingsKey } from './keys';
import { Timeline } from './Timeline';
import {
  dmoTypeName, fieldLabel, imageCopies, ListingBadges, pictures, safeHttpUrl, StatusBadge, VisibleBadge,
} from './words';

type ListingInfo = ListingDetail['listing_info'][number];

/** A pending confirmation: what it says and the request it makes. */
interface PendingAction {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  color?: string;
  path: string;
  done: string;
}

export default function ListingPage() {
  const id = Number(useParams().id);
  const queryClient = useQueryClient();
  const detail = useQuery({
    queryKey: detailKey(id),
    queryFn: () => api.get<ListingDetail>(`/api/v1/pipeline/listings/${id}`),
    enabled: Number.isInteger(id) && id > 0,
  });
  const [editing, setEditing] = useState(false);
  const [pending, setPending] = useState<PendingAction | null>(null);
  const [lastChange, setLastChange] = useState<{ message: string; entries: ListingDetail['timeline'] } | null>(null);
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'dmos';
  const setTab = (value: string) => setParams((current) => {
    const next = new URLSearchParams(current);
    if (value === 'dmos') next.delete('tab');
    else next.set('tab', value);
    return next;
  }, { replace: true });

  if (!Number.isInteger(id) || id <= 0) return <ErrorAlert error={new Error('This address does not name a listing.')} />;
  if (detail.isPending) return <Center py="xl"><Loader aria-label="Loading the listing" /></Center>;
  if (detail.error) return <Stack><BackLink /><ErrorAlert error={detail.error} title="The listing could not be loaded" /></Stack>;
  const listing = detail.data;

  /** The server answers every change with the listing as it is now: show that, and refresh the lists. */
  const changed = async (updated: ListingDetail, message: string) => {
    // the timeline is newest first: what this change added is what is newer than the newest entry before it
    const before = listing.timeline[0]?.changed_at ?? '';
    const entries = updated.timeline.filter((entry) => entry.changed_at > before);
    queryClient.setQueryData(detailKey(id), updated);
    setLastChange({ message, entries });
    await queryClient.invalidateQueries({ queryKey: listingsKey });
  };

  const run = async (action: PendingAction) => changed(await api.post<ListingDetail>(action.path), action.done);

  const askArchive = () => setPending({
    title: 'Archive this listing?', confirmLabel: 'Archive', color: 'red', path: `/api/v1/pipeline/listings/${id}/archive`,
    done: `${listing.name} is archived.`,
    body: (
      <Text size="sm">
        <b>{listing.name}</b> will be taken off the public site for every DMO. Imports keep updating its records but will not
        put it back; only un-archiving does.
      </Text>
    ),
  });
  const askUnarchive = () => setPending({
    title: 'Un-archive this listing?', confirmLabel: 'Un-archive', path: `/api/v1/pipeline/listings/${id}/unarchive`,
    done: `${listing.name} is no longer archived.`,
    body: (
      <Text size="sm">
        <b>{listing.name}</b> goes back on the public site if at least one DMO's record of it is shown; otherwise it stays off
        until one is restored.
      </Text>
    ),
  });
  const askHide = (info: ListingInfo) => setPending({
    title: `Hide the record from ${info.dmo_name}?`, confirmLabel: 'Hide', color: 'red', path: `/api/v1/pipeline/listing-info/${info.id}/hide`,
    done: `The record from ${info.dmo_name} is hidden.`,
    body: (
      <Text size="sm">
        What <b>{info.dmo_name}</b> says about <b>{listing.name}</b> will no longer be shown on the public site. Imports will keep
        it hidden until someone shows it again.
        {listing.listing_info.filter((other) => other.info_visible).length === 1 && info.info_visible &&
          ' It is the only record shown, so the whole listing goes off the site with it.'}
      </Text>
    ),
  });
  const askShow = (info: ListingInfo) => {
    const restore = info.info_status === 'missing_from_import';
    setPending({
      title: restore ? `Restore the record from ${info.dmo_name}?` : `Show the record from ${info.dmo_name} again?`,
      confirmLabel: restore ? 'Restore' : 'Show', path: `/api/v1/pipeline/listing-info/${info.id}/${restore ? 'restore' : 'show'}`,
      done: restore ? `The record from ${info.dmo_name} is restored.` : `The record from ${info.dmo_name} is shown again.`,
      body: (
        <Text size="sm">
          What <b>{info.dmo_name}</b> says about <b>{listing.name}</b> goes back on the public site
          {listing.listing_status === 'archived' ? ' once the listing is un-archived (it is archived now).' : ', and the listing with it.'}
          {restore && ' Its latest import did not have it: if the next one still does not, it will be soft-deleted again.'}
        </Text>
      ),
    });
  };

  return (
    <Stack>
      <BackLink />
      <Group justify="space-between" align="flex-start">
        <Stack gap={6}>
          <Title order={2} data-testid="listing-name">{listing.name}</Title>
          <Group gap="xs">
            <Text c="dimmed" size="sm">Listing #{listing.id}{listing.category && ` · ${listing.category}`}</Text>
            <ListingBadges listing={listing} />
          </Group>
        </Stack>
        <IfAllowed permission="pipeline:write">
          <Group gap="xs">
            <Button variant="light" onClick={() => setEditing(true)}>Edit</Button>
            {listing.listing_status === 'archived'
              ? <Button variant="light" onClick={askUnarchive}>Un-archive</Button>
              : <Button variant="light" color="red" onClick={askArchive}>Archive</Button>}
          </Group>
        </IfAllowed>
      </Group>

      <Gallery listing={listing} />

      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Card withBorder h="100%">
            <Title order={4} mb="xs">Listing</Title>
            <Facts rows={[
              ['Name', listing.name],
              ['Category', listing.category],
              ['Google place id', listing.google_place_id],
              ['Created', formatDate(listing.created_at)],
              ['Last changed', formatDate(listing.updated_at)],
              ['Manually modified', listing.manually_modified ? `yes, ${formatDate(listing.manually_modified_at)}` : 'no'],
            ]} />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Card withBorder h="100%">
            <Title order={4} mb="xs">Location</Title>
            {listing.location ? (
              <Facts rows={[
                ['Address', [listing.location.address1, listing.location.address2].filter(Boolean).join(', ') || null],
                ['City', listing.location.city],
                ['State / province', listing.location.state],
                ['Postal code', listing.location.zip],
                ['Country', listing.location.country],
                ['Region', listing.location.region_name],
                ['Latitude, longitude', listing.location.lat !== null && listing.location.lng !== null
                  ? `${listing.location.lat}, ${listing.location.lng}` : null],
              ]} />
            ) : <Text size="sm" c="dimmed">No location yet. Edit the listing to add one.</Text>}
          </Card>
        </Grid.Col>
      </Grid>

      {lastChange && (
        <Alert color="green" variant="light" withCloseButton onClose={() => setLastChange(null)} title={lastChange.message} data-testid="last-change">
          {lastChange.entries.length
            ? <Timeline listing={listing} entries={lastChange.entries} compact />
            : <Text size="sm">Nothing needed to change, so the timeline has no new entry.</Text>}
        </Alert>
      )}

      <Tabs value={tab} onChange={(value) => setTab(value ?? 'dmos')} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="dmos">What each DMO says ({listing.listing_info.length})</Tabs.Tab>
          <Tabs.Tab value="timeline">Timeline of changes ({listing.timeline.length})</Tabs.Tab>
          <Tabs.Tab value="sources">Source records ({listing.sources.length})</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="dmos" pt="md">
          <Stack>
            {listing.listing_info.length === 0 && <Text c="dimmed" size="sm">No DMO has a record of this listing.</Text>}
            {listing.listing_info.map((info) => (
              <ListingInfoCard key={info.id} info={info} images={listing.images.filter((image) => image.listing_info_id === info.id)}
                onHide={() => askHide(info)} onShow={() => askShow(info)} />
            ))}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="timeline" pt="md"><Timeline listing={listing} /></Tabs.Panel>
        <Tabs.Panel value="sources" pt="md"><SourcesTable listing={listing} /></Tabs.Panel>
      </Tabs>

      <EditListingModal listing={listing} opened={editing} onClose={() => setEditing(false)}
        onSaved={(updated, fieldsChanged) => changed(updated, fieldsChanged
          ? `${fieldsChanged} ${fieldsChanged === 1 ? 'field' : 'fields'} changed; the listing is marked manually modified.`
          : 'Nothing had changed.')} />
      {pending && (
        <ConfirmModal opened title={pending.title} confirmLabel={pending.confirmLabel} color={pending.color}
          onConfirm={() => run(pending)} onClose={() => setPending(null)}>
          {pending.body}
        </ConfirmModal>
      )}
    </Stack>
  );
}

function BackLink() {
  return <Anchor component={Link} to="/admin/listings" size="sm">← All listings</Anchor>;
}

/** Label and value pairs; an empty value reads as a dash. */
function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <Table withRowBorders={false} verticalSpacing={4} layout="fixed">
      <Table.Tbody>
        {rows.map(([label, value]) => (
          <Table.Tr key={label}>
            <Table.Td w={170}><Text size="sm" c="dimmed">{label}</Text></Table.Td>
            <Table.Td><Text size="sm" style={{ overflowWrap: 'anywhere' }}>{value === null || value === undefined || value === '' ? '–' : value}</Text></Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function ContactValue({ field, value }: { field: string; value: string }) {
  const href = field.endsWith('_url') ? safeHttpUrl(value) : null;
  return href ? <Anchor href={href} target="_blank" rel="noopener noreferrer" size="sm">{value}</Anchor> : <>{value}</>;
}

function ListingInfoCard({ info, images, onHide, onShow }: {
  info: ListingInfo; images: ListingDetail['images']; onHide: () => void; onShow: () => void;
}) {
  const contact = info.contact
    ? contactFields.filter((field) => info.contact?.[field]).map((field) => [field, info.contact![field]!] as const)
    : [];
  return (
    <Card withBorder data-testid={`listing-info-${info.id}`}>
      <Group justify="space-between" align="flex-start" mb="xs">
        <Stack gap={4}>
          <Group gap="xs">
            <Title order={4}>{info.dmo_name}</Title>
            <Badge variant="outline" color="gray">{dmoTypeName(info.dmo_type_id)}</Badge>
          </Group>
          <Group gap={6}>
            <VisibleBadge visible={info.info_visible} />
            <StatusBadge status={info.info_status} />
          </Group>
        </Stack>
        <IfAllowed permission="pipeline:write">
          {info.info_visible
            ? <Button size="compact-sm" variant="light" color="red" onClick={onHide}>Hide for this DMO</Button>
            : info.info_status !== 'archived' && (
              <Button size="compact-sm" variant="light" onClick={onShow}>{info.info_status === 'missing_from_import' ? 'Restore' : 'Show'}</Button>
            )}
        </IfAllowed>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Stack gap="xs">
          {info.name && <Text size="sm"><Text span c="dimmed">Name used by this DMO: </Text>{info.name}</Text>}
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>{info.description ?? <Text span c="dimmed">No description.</Text>}</Text>
          <Facts rows={[
            ['Last seen in an import', formatDate(info.last_seen_at)],
            ['Source id', info.source_id ? <Code>{info.source_id}</Code> : null],
            ['Last run', info.last_job_id ? <Anchor component={Link} to={`/admin/runs/${info.last_job_id}`} size="sm">Run #{info.last_job_id}</Anchor> : null],
          ]} />
        </Stack>
        <Stack gap="xs">
          <Text fw={600} size="sm">Contact</Text>
          {contact.length ? (
            <Facts rows={contact.map(([field, value]) => [field === 'name' ? 'Contact person' : fieldLabel(field), <ContactValue field={field} value={value} />])} />
          ) : <Text size="sm" c="dimmed">No contact details.</Text>}
          <Text fw={600} size="sm">Opening hours</Text>
          <OpeningHours opening={info.opening} />
        </Stack>
      </SimpleGrid>
      {images.length > 0 && (
        <>
          <Text fw={600} size="sm" mt="sm" mb={4}>Images</Text>
          <Group gap="xs">
            {images.map((image) => (
              <Thumbnail key={`${image.rank}-${image.image}`} image={image} alt={`Image ${image.rank + 1} from ${info.dmo_name}`} />
            ))}
          </Group>
        </>
      )}
    </Card>
  );
}

/** One stored image as a small picture that opens the large copy in a new tab. */
function Thumbnail({ image, alt, width = 120, height = 90 }: { image: ListingDetail['images'][number]; alt: string; width?: number; height?: number }) {
  const { thumb, large } = imageCopies(image);
  if (!thumb || !large) return <Code>{image.image}</Code>;
  return (
    <Anchor href={large} target="_blank" rel="noopener noreferrer" title="Open the large picture in a new tab">
      <Image src={thumb} alt={alt} w={width} h={height} fit="cover" radius="sm" />
    </Anchor>
  );
}

/**
 * The listing's pictures as the public site shows them: each picture once across the DMO records
 * shown, the best copy of it. Says how many repeats were left out, and how many pictures belong to
 * records that are hidden.
 */
function Gallery({ listing }: { listing: ListingDetail }) {
  const shownRecords = new Set(listing.listing_info.filter((info) => info.info_visible).map((info) => info.id));
  const fromShownRecords = listing.images.filter((image) => shownRecords.has(image.listing_info_id)).length;
  const duplicates = Math.max(0, fromShownRecords - listing.gallery.length);
  const fromHiddenRecords = listing.images.length - fromShownRecords;
  const notes = [
    duplicates > 0 && `${pictures(listing.gallery.length)} shown; ${duplicates} ${duplicates === 1 ? 'duplicate' : 'duplicates'} across DMOs hidden (the same picture sent by more than one DMO is shown once, in its best copy).`,
    fromHiddenRecords > 0 && `${pictures(fromHiddenRecords)} from DMO records that are hidden ${fromHiddenRecords === 1 ? 'is' : 'are'} not shown.`,
  ].filter((note): note is string => Boolean(note));
  return (
    <Card withBorder data-testid="listing-gallery">
      <Title order={4} mb={4}>Pictures</Title>
      {listing.gallery.length ? (
        <>
          <Group gap="xs">
            {listing.gallery.map((image, index) => (
              <Thumbnail key={`${image.listing_info_id}-${image.rank}`} image={image} width={160} height={120}
                alt={`${listing.name}, picture ${index + 1} of ${listing.gallery.length}`} />
            ))}
          </Group>
          {notes.map((note) => <Text key={note} size="sm" c="dimmed" mt="xs" data-testid="gallery-note">{note}</Text>)}
        </>
      ) : (
        <Text size="sm" c="dimmed">
          {listing.images.length
            ? 'No pictures are shown: every DMO record with pictures is hidden.'
            : 'No pictures yet. Pictures a DMO sends appear here once they have been downloaded and checked.'}
        </Text>
      )}
    </Card>
  );
}

const time = (value: string) => value.slice(0, 5);

function OpeningHours({ opening }: { opening: ListingInfo['opening'] }) {
  if (!opening.length) return <Text size="sm" c="dimmed">None given.</Text>;
  return (
    <Stack gap={6} data-testid="opening-hours">
      {opening.map((period) => (
        <div key={period.id}>
          {(period.start_date || period.end_date) && (
            <Text size="xs" c="dimmed">{period.start_date ?? '…'} to {period.end_date ?? '…'}</Text>
          )}
          {period.hours.length ? period.hours.map((hours, i) => (
            <Text size="sm" key={i}>{hours.day}: {time(hours.open_time)}–{time(hours.close_time)}</Text>
          )) : <Text size="sm" c="dimmed">No hours.</Text>}
        </div>
      ))}
    </Stack>
  );
}

function SourcesTable({ listing }: { listing: ListingDetail }) {
  if (!listing.sources.length) return <Text c="dimmed" size="sm">No source record points at this listing (it was made by hand).</Text>;
  const dmoName = (dmoId: number) => listing.listing_info.find((info) => info.dmo_id === dmoId)?.dmo_name ?? `DMO #${dmoId}`;
  return (
    <Stack gap="xs">
      <Anchor component={Link} to={`/admin/mappings?listing=${listing.id}`} size="sm">
        A record on the wrong listing? Fix it on the Mappings page
      </Anchor>
      <Table verticalSpacing="xs" data-testid="sources-table">
        <Table.Thead>
          <Table.Tr><Table.Th>DMO</Table.Th><Table.Th>Source id</Table.Th><Table.Th>Points at</Table.Th><Table.Th>Linked by</Table.Th></Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {listing.sources.map((source) => (
            <Table.Tr key={`${source.dmo_id}-${source.source_id}-${source.target_type}`}>
              <Table.Td>{dmoName(source.dmo_id)}</Table.Td>
              <Table.Td><Code>{source.source_id}</Code></Table.Td>
              <Table.Td>{source.target_type === 'listing' ? 'the listing' : `the DMO record #${source.target_id}`}</Table.Td>
              <Table.Td>{source.job_id ? <Anchor component={Link} to={`/admin/runs/${source.job_id}`} size="sm">Run #{source.job_id}</Anchor> : 'a person'}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
