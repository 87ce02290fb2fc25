// A person's edit of a listing's shared parts (name, category, Google place id, location). Only the
// fields changed are sent; the server's own schema checks them as they are typed, and its answer to a
// refused save is shown against the fields.
import { useEffect, useMemo, useState, type ChangeEvent } from 'react';
import { Alert, Button, Group, Modal, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { listingEditBody, type ListingDetail, type ListingEditBody } from '@contract/listings';
import { api } from '../../app/api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { fieldError, schemaErrors } from '../../components/form-errors';
import { fieldLabel } from './words';

const listingFields = ['name', 'category', 'google_place_id'] as const;
const locationFields = ['address1', 'address2', 'city', 'state', 'zip', 'country', 'region_name', 'lat', 'lng'] as const;
type LocationField = (typeof locationFields)[number];
type Form = Record<(typeof listingFields)[number] | LocationField, string>;

const text = (value: string | number | null | undefined) => (value === null || value === undefined ? '' : String(value));

function formOf(listing: ListingDetail): Form {
  const location = listing.location;
  return {
    name: listing.name, category: text(listing.category), google_place_id: text(listing.google_place_id),
    ...(Object.fromEntries(locationFields.map((field) => [field, text(location?.[field])])) as Record<LocationField, string>),
  };
}

/** The fields that differ from the listing, as PATCH /listings/:id takes them, and the numbers that cannot be read. */
function editOf(listing: ListingDetail, form: Form): { body: ListingEditBody; unreadable: Record<string, string> } {
  const before = formOf(listing);
  const body: Record<string, unknown> = {};
  const location: Record<string, unknown> = {};
  const unreadable: Record<string, string> = {};
  for (const field of listingFields) {
    if (form[field].trim() === before[field].trim()) continue;
    body[field] = field === 'name' ? form[field] : form[field].trim() || null;
  }
  for (const field of locationFields) {
    const value = form[field].trim();
    if (value === before[field].trim()) continue;
    if (field === 'lat' || field === 'lng') {
      const number = Number(value);
      if (value && !Number.isFinite(number)) unreadable[`location.${field}`] = 'expected a number such as 44.65';
      location[field] = value ? number : null;
    } else location[field] = field === 'country' ? value.toUpperCase() || null : value || null;
  }
  if (Object.keys(location).length) body.location = location;
  return { body: body as ListingEditBody, unreadable };
}

export function EditListingModal({ listing, opened, onClose, onSaved }: {
  listing: ListingDetail;
  opened: boolean;
  onClose: () => void;
  onSaved: (updated: ListingDetail, fieldsChanged: number) => Promise<void>;
}) {
  const [form, setForm] = useState<Form>(() => formOf(listing));
  const [serverError, setServerError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (opened) {
      setForm(formOf(listing));
      setServerError(null);
    }
  }, [opened, listing]);

  const { body, unreadable } = useMemo(() => editOf(listing, form), [listing, form]);
  const nothingChanged = Object.keys(body).length === 0;
  const local = useMemo(() => ({ ...(nothingChanged ? {} : schemaErrors(listingEditBody, body)), ...unreadable }), [body, unreadable, nothingChanged]);
  const invalid = Object.keys(local).length > 0;

  const set = (field: keyof Form) => (event: ChangeEvent<HTMLInputElement>) => {
    const value = event.currentTarget.value;
    setForm((current) => ({ ...current, [field]: value }));
    setServerError(null);
  };
  const input = (field: keyof Form, path: string, extra: { placeholder?: string; required?: boolean; description?: string } = {}) => (
    <TextInput label={fieldLabel(field)} value={form[field]} onChange={set(field)} error={fieldError(path, local, serverError)} {...extra} />
  );

  async function save() {
    setBusy(true);
    setServerError(null);
    try {
      const reply = await api.patch<ListingDetail & { fields_changed: number }>(`/api/v1/pipeline/listings/${listing.id}`, body);
      const { fields_changed: fieldsChanged, ...updated } = reply;
      await onSaved(updated, fieldsChanged);
      onClose();
    } catch (caught) {
      setServerError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened={opened} onClose={() => !busy && onClose()} title={`Edit ${listing.name}`} size="lg" centered>
      <Stack>
        <Alert color="violet" variant="light">
          Saving marks this listing as <b>manually modified</b>: imports stop overwriting the fields you change here (unless a
          source's settings say to override manual edits). Every change is written to the timeline with your name.
        </Alert>
        {input('name', 'name', { required: true })}
        <SimpleGrid cols={2}>
          {input('category', 'category', { placeholder: 'e.g. Restaurant' })}
          {input('google_place_id', 'google_place_id')}
        </SimpleGrid>
        {input('address1', 'location.address1')}
        {input('address2', 'location.address2')}
        <SimpleGrid cols={2}>
          {input('city', 'location.city')}
          {input('state', 'location.state')}
          {input('zip', 'location.zip')}
          {input('country', 'location.country', { placeholder: 'CA', description: 'Two-letter code' })}
          {input('region_name', 'location.region_name')}
        </SimpleGrid>
        <SimpleGrid cols={2}>
          {input('lat', 'location.lat', { placeholder: '44.65' })}
          {input('lng', 'location.lng', { placeholder: '-63.57' })}
        </SimpleGrid>
        <ErrorAlert error={serverError} title="Not saved" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} disabled={busy}>Cancel</Button>
          <Button onClick={() => void save()} loading={busy} disabled={nothingChanged || invalid}>
            {nothingChanged ? 'Nothing changed yet' : 'Save changes'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
