// One staged row against production, side by side: the changed fields named at the top and marked in
// the table, contact details field by field, images and attributes as lists, and where coordinates the
// source lacked came from. A row matched by name and place says so with its evidence. With
// pipeline:review, the row's decisions: approve, reject, another action, and for a possible match the
// listing it is, chosen from its candidates.
import { Fragment, useState } from 'react';
import {
  Alert, Anchor, Badge, Button, Card, Drawer, Group, List, Loader, Menu, NumberInput, Stack, Table, Text, Title,
} from '@mantine/core';
import type { MatchCandidate, StagedRow } from '@contract/runs';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useRowDetail, type DiffEntry, type RowDetail as Detail } from './review-api';
import { PartBadges, ReviewBadge } from './RowsTable';
import type { Decide } from './decisions';
import {
  actionColours, actionWords, agreementWords, candidatePlace, contactLabel, coordinatesOrigin, distanceWords, evidenceWords, fieldLabel,
  namesAlikeWords, overrides, sureWords,
} from './words';

const isEmpty = (value: unknown) =>
  value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0);
const sameValue = (a: unknown, b: unknown) =>
  (isEmpty(a) && isEmpty(b)) || (!isEmpty(a) && !isEmpty(b) && JSON.stringify(a) === JSON.stringify(b)) ||
  (typeof a !== 'object' && typeof b !== 'object' && String(a) === String(b));

const webLink = (text: string) => /^https?:\/\//i.test(text);

function Value({ value }: { value: unknown }) {
  if (isEmpty(value)) return <Text size="sm" c="dimmed" fs="italic">empty</Text>;
  if (Array.isArray(value)) {
    return (
      <List size="sm" spacing={2}>
        {value.map((item, i) => {
          const text = typeof item === 'string' ? item : JSON.stringify(item);
          return (
            <List.Item key={i} style={{ wordBreak: 'break-all' }}>
              {webLink(text) ? <Anchor href={text} target="_blank" rel="noopener noreferrer" size="sm">{text}</Anchor> : text}
            </List.Item>
          );
        })}
      </List>
    );
  }
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return <Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{text}</Text>;
}

interface DiffLine {
  key: string;
  label: string;
  staged: unknown;
  production: unknown;
  changed: boolean;
}

/** The diff as table lines: contact becomes one line per contact field. */
function diffLines(diff: DiffEntry[]): DiffLine[] {
  return diff.flatMap((entry): DiffLine[] => {
    if (entry.field === 'contact') {
      const staged = (entry.staged ?? {}) as Record<string, unknown>;
      const production = (entry.production ?? {}) as Record<string, unknown>;
      const keys = [...new Set([...Object.keys(staged), ...Object.keys(production)])];
      if (!keys.length) return [{ key: 'contact', label: 'Contact', staged: null, production: null, changed: false }];
      return keys.map((key) => ({
        key: `contact.${key}`, label: contactLabel(key), staged: staged[key], production: production[key],
        changed: entry.changed && !sameValue(staged[key], production[key]),
      }));
    }
    return [{ key: entry.field, label: fieldLabel(entry.field), staged: entry.staged, production: entry.production, changed: entry.changed }];
  });
}

function DiffTable({ detail }: { detail: Detail }) {
  const isDelete = detail.row.action === 'delete';
  const lines = diffLines(detail.diff);
  const changed = lines.filter((line) => line.changed);
  const origin = coordinatesOrigin(detail.row);
  return (
    <Stack gap="xs">
      {!detail.production && detail.row.action === 'possible_match' ? (
        <Text size="sm" data-testid="changed-fields">Not matched to a listing yet: the staged values are shown alone until it is.</Text>
      ) : !detail.production ? (
        <Text size="sm" data-testid="changed-fields">Not in production yet: promote would create it with the staged values.</Text>
      ) : isDelete ? (
        <Text size="sm" data-testid="changed-fields">
          This listing is in production but missing from the file. Approving it hides it from the site (soft delete: hidden, not erased).
        </Text>
      ) : changed.length ? (
        <Text size="sm" data-testid="changed-fields">
          <b>Changed:</b> {changed.map((line) => line.label).join(', ')}
        </Text>
      ) : (
        <Text size="sm" data-testid="changed-fields">Nothing differs from production.</Text>
      )}
      <Table withTableBorder withColumnBorders layout="fixed" fz="sm" aria-label="Staged against production" data-testid="diff-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={150}>Field</Table.Th>
            <Table.Th>Staged (this file)</Table.Th>
            <Table.Th>Production (now)</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {lines.map((line) => {
            const highlight = line.changed && !isDelete && detail.production;
            return (
              <Fragment key={line.key}>
                <Table.Tr data-field={line.key} data-changed={highlight ? 'true' : 'false'}
                  bg={highlight ? 'var(--mantine-color-yellow-light)' : undefined}>
                  <Table.Td fw={highlight ? 700 : 400}>{line.label}</Table.Td>
                  <Table.Td data-side="staged"><Value value={line.staged} /></Table.Td>
                  <Table.Td data-side="production">
                    {detail.production ? <Value value={line.production} /> : <Text size="sm" c="dimmed">–</Text>}
                  </Table.Td>
                </Table.Tr>
                {line.key === 'lng' && origin && (
                  <Table.Tr data-field="coordinates-origin">
                    <Table.Td><Text size="xs" c="dimmed">Coordinates</Text></Table.Td>
                    <Table.Td colSpan={2}><Text size="xs" c="dimmed" data-testid="coordinates-origin">{origin}</Text></Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            );
          })}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

/** A row the pipeline matched (or a reviewer did), with why: the listing it is and the evidence. */
function MatchSummary({ row, candidates }: { row: StagedRow; candidates: MatchCandidate[] }) {
  if (!row.listing_id || (row.match_method !== 'fuzzy' && row.match_method !== 'manual')) return null;
  const chosen = candidates.find((candidate) => candidate.listing_id === row.listing_id);
  const distance = chosen?.evidence.distance_m ?? null;
  const headline = row.match_method === 'fuzzy'
    ? [`Matched automatically to listing #${row.listing_id}`,
        ...(row.certainty_score === null ? [] : [sureWords(row.certainty_score)]),
        ...(distance === null ? [] : [distanceWords(distance)]),
        ...(chosen ? agreementWords(chosen.evidence) : [])]
    : [`Matched by a reviewer to listing #${row.listing_id}`];
  return (
    <Card withBorder padding="xs" data-testid="match-summary">
      <Text size="sm" fw={500}>{headline.join(' · ')}</Text>
      {chosen && (
        <Text size="xs" c="dimmed">
          In production: {candidatePlace(chosen)} · {namesAlikeWords(chosen.evidence.name_similarity)}.
          {row.match_method === 'fuzzy' && ' Promote adds this record to that listing instead of making a new one.'}
        </Text>
      )}
    </Card>
  );
}

function PossibleMatch({ detail, decide, busy }: { detail: Detail; decide?: Decide; busy: boolean }) {
  const [listingId, setListingId] = useState<number | string>('');
  const { candidates } = detail;
  const typed = typeof listingId === 'number' && listingId > 0 ? listingId : undefined;
  const match = (id: number) => decide?.({ ids: [detail.row.id], decision: 'approve', match_listing_id: id }, `matched to listing #${id} and approved`);
  return (
    <Card withBorder padding="sm" data-testid="possible-match">
      <Stack gap="xs">
        <Title order={5}>Which listing is it?</Title>
        <Text size="sm">
          This row looks like a listing that is already in production, but not surely enough to decide alone. Match it to that listing, or
          make a new listing of it. Either way the row is approved.
        </Text>
        {candidates.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="no-candidates">No candidates: the server listed no likely listing for this row.</Text>
        ) : (
          <Stack gap={6}>
            <Text size="xs" c="dimmed">
              {candidates.length === 1 ? 'The listing it may be:' : `The ${candidates.length} listings it may be, most likely first:`}
            </Text>
            {candidates.map((candidate, i) => (
              <Group key={candidate.listing_id} justify="space-between" wrap="nowrap" data-candidate={candidate.listing_id}>
                <div>
                  <Group gap={6}>
                    <Text size="sm" fw={500} data-testid="candidate-place">{candidatePlace(candidate)}</Text>
                    <Text size="xs" c="dimmed">listing #{candidate.listing_id}</Text>
                    {i === 0 && candidates.length > 1 && <Badge size="xs" variant="light">most likely</Badge>}
                  </Group>
                  <Text size="xs" data-testid="candidate-evidence">
                    {[sureWords(candidate.confidence), ...evidenceWords(candidate.evidence)].join(' · ')}
                  </Text>
                </div>
                {decide && (
                  <Button size="xs" variant="light" loading={busy} onClick={() => match(candidate.listing_id)}>
                    Match to listing #{candidate.listing_id}
                  </Button>
                )}
              </Group>
            ))}
          </Stack>
        )}
        {decide && (
          <Group align="flex-end" gap="xs">
            <NumberInput label="Another listing id" placeholder="e.g. 1234" min={1} allowDecimal={false} allowNegative={false}
              value={listingId} onChange={setListingId} w={160} size="xs" />
            <Button size="xs" variant="default" disabled={!typed} loading={busy} onClick={() => typed && match(typed)}>
              {typed ? `Match to listing #${typed}` : 'Match to listing #…'}
            </Button>
            <Button size="xs" variant="light" color="green" loading={busy}
              onClick={() => decide({ ids: [detail.row.id], decision: 'approve', create_new: true }, 'approved as a new listing')}>
              Make a new listing
            </Button>
          </Group>
        )}
      </Stack>
    </Card>
  );
}

function RowDecisions({ row, decide, busy }: { row: StagedRow; decide: Decide; busy: boolean }) {
  if (row.promoted_at) return <Text size="sm" c="dimmed">This row is already in production.</Text>;
  return (
    <Group gap="xs">
      <Button color="green" loading={busy} disabled={row.review_status === 'approved'}
        onClick={() => decide({ ids: [row.id], decision: 'approve' })}>
        Approve this row
      </Button>
      <Button color="red" variant="light" loading={busy} disabled={row.review_status === 'rejected'}
        onClick={() => decide({ ids: [row.id], decision: 'reject' })}>
        Reject this row
      </Button>
      <Menu withinPortal position="bottom-start">
        <Menu.Target>
          <Button variant="default" loading={busy}>Change its action…</Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>Set the action and approve the row</Menu.Label>
          {overrides.map((o) => (
            <Menu.Item key={o.action} disabled={o.action === row.action || (o.needsListing && !row.listing_info_id)}
              onClick={() => decide({ ids: [row.id], decision: 'approve', override_action: o.action }, `changed to ${o.action} and approved`)}>
              {o.label}
            </Menu.Item>
          ))}
        </Menu.Dropdown>
      </Menu>
    </Group>
  );
}

interface Props {
  runId: number;
  rowId: number | undefined;
  onClose(): void;
  /** absent when the user may not decide or the run is read-only */
  decide?: Decide;
  busy: boolean;
  message?: string | null;
  error?: unknown;
}

export function RowDetailDrawer({ runId, rowId, onClose, decide, busy, message, error }: Props) {
  const detail = useRowDetail(runId, rowId);
  const row = detail.data?.row;
  return (
    <Drawer opened={rowId !== undefined} onClose={onClose} position="right" size={760} padding="md"
      title={<Text component="span" fw={700} size="lg">{row ? `Row ${row.file_seq === 0 ? '(deletion)' : row.rec_num} · ${row.name ?? '(no name)'}` : 'Row'}</Text>}>
      {detail.isPending && rowId !== undefined && <Loader aria-label="Loading the row" />}
      <ErrorAlert error={detail.error} />
      {detail.data && row && (
        <Stack gap="sm" data-testid="row-detail">
          <Group gap="xs">
            {row.action && <Badge color={actionColours[row.action]} variant="filled">{actionWords[row.action]}</Badge>}
            <ReviewBadge status={row.review_status} />
            <Badge variant="outline" color={row.ok_to_promote ? 'green' : 'gray'}>{row.ok_to_promote ? 'proposed' : 'not proposed'}</Badge>
            {row.action_overridden && <Badge variant="outline" color="grape">action set by a reviewer</Badge>}
            <PartBadges row={row} />
          </Group>
          <Text size="xs" c="dimmed">
            Source id <Text span ff="monospace" size="xs">{row.source_id}</Text>
            {row.listing_id ? ` · listing #${row.listing_id}` : ''}{row.line ? ` · line ${row.line} of the file` : ''}
            {row.duplicate_of ? ` · repeats staged row ${row.duplicate_of}` : ''}
          </Text>
          {row.warnings.length > 0 && (
            <Alert color="orange" title="Warnings" p="xs">
              <List size="sm">{row.warnings.map((w, i) => <List.Item key={i}>{w}</List.Item>)}</List>
              <Text size="xs" mt={4}>A row with warnings is never proposed: approve it yourself if it is right.</Text>
            </Alert>
          )}
          {message && <Alert color="green" role="status" p="xs">{message}</Alert>}
          <ErrorAlert error={error} />
          {decide && <RowDecisions row={row} decide={decide} busy={busy} />}
          <MatchSummary row={row} candidates={detail.data.candidates} />
          {row.action === 'possible_match' && (
            <PossibleMatch detail={detail.data} decide={row.promoted_at ? undefined : decide} busy={busy} />
          )}
          <DiffTable detail={detail.data} />
        </Stack>
      )}
    </Drawer>
  );
}
