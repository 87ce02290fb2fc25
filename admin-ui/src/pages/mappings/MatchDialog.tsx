// "Match to another listing…": asks for the listing's id, shows that listing (name, city, the DMOs
// whose records it has) so the person sees what they picked, says in plain words what will happen,
// and only then moves the record.
import { useState } from 'react';
import { Alert, Button, Card, Group, Loader, Modal, NumberInput, Stack, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import type { MappingChangeReply, MappingRow } from '@contract/mappings';
import { ApiError } from '../../app/api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { StatusBadge } from '../listings/words';
import { useForceMatch, useListing } from './mappings-api';

export function MatchDialog({ row, onClose, onDone }: {
  row: MappingRow;
  onClose: () => void;
  onDone: (reply: MappingChangeReply) => void;
}) {
  const [typed, setTyped] = useState<string | number>('');
  const [debounced] = useDebouncedValue(typed, 300);
  const id = typeof debounced === 'number' && Number.isSafeInteger(debounced) && debounced > 0 ? debounced : null;
  const listing = useListing(id);
  const match = useForceMatch();
  const picked = id !== null && listing.data?.id === id ? listing.data : null;
  const sameListing = picked !== null && picked.id === row.listing_id && picked.id === row.info_listing_id;
  const aloneOnOld = row.records_on_listing <= 1;

  async function confirm() {
    if (!picked) return;
    const reply = await match.mutateAsync({ dmo_id: row.dmo_id, source_id: row.source_id, listing_id: picked.id }).catch(() => null);
    if (reply) onDone(reply);
  }

  return (
    <Modal opened onClose={() => !match.isPending && onClose()} title="Match to another listing" centered size="lg">
      <Stack>
        <Text size="sm">
          The record <b>{row.source_id}</b> from <b>{row.dmo_name}</b> is now shown on{' '}
          <b>{row.listing_name ?? 'no listing'}</b>{row.listing_id !== null && ` (listing #${row.listing_id})`}.
          Which listing is it really about?
        </Text>
        <NumberInput
          label="Listing id" description="The number after #, as the Listings page shows it" placeholder="e.g. 1234"
          min={1} allowDecimal={false} allowNegative={false} hideControls w={240} data-autofocus
          value={typed} onChange={setTyped}
        />
        {id !== null && listing.isFetching && !picked && <Loader size="sm" aria-label="Looking up the listing" />}
        {id !== null && listing.error && (
          <Alert color="orange" role="alert">
            {listing.error instanceof ApiError && listing.error.status === 404 ? `There is no listing #${id}.` : listing.error.message}
          </Alert>
        )}
        {picked && (
          <Card withBorder data-testid="match-target">
            <Group justify="space-between" align="flex-start">
              <div>
                <Text fw={600}>{picked.name}</Text>
                <Text size="sm" c="dimmed">
                  Listing #{picked.id}{picked.location?.city ? ` · ${picked.location.city}` : ''}
                  {picked.location?.address1 ? ` · ${picked.location.address1}` : ''}
                </Text>
              </div>
              <StatusBadge status={picked.listing_status} />
            </Group>
            <Text size="sm" mt="xs">
              {picked.listing_info.length
                ? `Records from ${[...new Set(picked.listing_info.map((info) => info.dmo_name))].join(', ')}.`
                : 'No DMO has a record on it yet.'}
            </Text>
          </Card>
        )}
        {sameListing && <Alert color="gray">The record is already on this listing: nothing would change.</Alert>}
        {picked && !sameListing && (
          <Text size="sm" data-testid="match-explanation">
            What <b>{row.dmo_name}</b> says about this place will be shown on <b>{picked.name}</b>, beside its other records, and
            later imports from {row.dmo_name} will keep it there.
            {aloneOnOld && row.listing_name && <> <b>{row.listing_name}</b> has no other record, so it goes off the public site.</>}
          </Text>
        )}
        <ErrorAlert error={match.error} title="Not matched" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} disabled={match.isPending}>Cancel</Button>
          <Button disabled={!picked || sameListing} loading={match.isPending} onClick={() => void confirm()}>
            Match to this listing
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
