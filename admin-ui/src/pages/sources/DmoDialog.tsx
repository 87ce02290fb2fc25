// Create or edit a DMO: its name, its type (which decides whose name and location win on a shared
// listing) and optionally its website and geographic box. Checked with the server's own schema as typed.
import { useMemo, useState, type FormEvent } from 'react';
import { Button, Group, Modal, NumberInput, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { ApiError } from '../../app/api';
import { ErrorAlert } from '../../components/ErrorAlert';
import {
  dmoDraftBody, dmoDraftOf, dmoTypeIds, dmoTypeLabel, messageAt, problemsFromDetails, validateDmo,
  type Dmo, type DmoDraft, type FieldProblem,
} from './model';
import { sourcesApi } from './queries';

const typeOptions = dmoTypeIds.map((id) => ({ value: String(id), label: `${dmoTypeLabel(id)} (${id})` }));

export function DmoDialog({ dmo, onClose, onSaved }: { dmo: Dmo | null; onClose: () => void; onSaved: (dmo: Dmo) => void }) {
  const [draft, setDraft] = useState<DmoDraft>(() => dmoDraftOf(dmo));
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [serverProblems, setServerProblems] = useState<FieldProblem[]>([]);
  const problems = useMemo(() => [...validateDmo(draft), ...serverProblems], [draft, serverProblems]);

  const update = (change: Partial<DmoDraft>) => {
    setDraft((current) => ({ ...current, ...change }));
    setTouched(true);
    setServerProblems([]);
  };
  const show = (path: string) => (touched ? messageAt(problems, path) : undefined);
  const coordinate = (path: 'min_lat' | 'max_lat' | 'min_lng' | 'max_lng', label: string) => (
    <NumberInput label={label} value={draft[path] ?? ''} decimalScale={6} error={show(path)}
      onChange={(value) => update({ [path]: typeof value === 'number' ? value : null })} />
  );

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (problems.length) return;
    setBusy(true);
    setError(null);
    try {
      const body = dmoDraftBody(draft);
      onSaved(dmo ? await sourcesApi.updateDmo(dmo.id, body) : await sourcesApi.createDmo(body));
    } catch (caught) {
      setError(caught);
      if (caught instanceof ApiError) setServerProblems(problemsFromDetails(caught.details));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened onClose={onClose} title={dmo ? `Edit DMO ${dmo.name}` : 'New DMO'} size="lg">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput label="Name" required data-autofocus value={draft.name} error={show('name')}
            onChange={(e) => update({ name: e.currentTarget.value })} />
          <Select label="Type" required data={typeOptions} value={draft.dmo_type_id ? String(draft.dmo_type_id) : null}
            description="When several DMOs deliver the same listing, its name and location come from the strongest: client, then partner, then travel site, then scraped."
            error={touched && draft.dmo_type_id === null ? 'Choose the kind of source this DMO is' : show('dmo_type_id')}
            onChange={(value) => update({ dmo_type_id: value ? Number(value) : null })} allowDeselect={false} />
          <TextInput label="Website (optional)" placeholder="https://www.example.org" value={draft.domain_url}
            error={show('domain_url')} onChange={(e) => update({ domain_url: e.currentTarget.value })} />
          <div>
            <Text size="sm" fw={500}>Area (optional)</Text>
            <Text size="xs" c="dimmed" mb={4}>Listings outside this box get a warning in review.</Text>
            <SimpleGrid cols={4}>
              {coordinate('min_lat', 'South (min latitude)')}
              {coordinate('max_lat', 'North (max latitude)')}
              {coordinate('min_lng', 'West (min longitude)')}
              {coordinate('max_lng', 'East (max longitude)')}
            </SimpleGrid>
          </div>
          <ErrorAlert error={error} title={dmo ? 'The DMO was not saved' : 'The DMO was not created'} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={busy} disabled={touched && problems.length > 0}>{dmo ? 'Save' : 'Create DMO'}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
