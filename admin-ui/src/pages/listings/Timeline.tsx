// A listing's history, newest first: when, who (a person or an import run), what happened to which
// part, and for a changed field its old and new value.
import { Anchor, Badge, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { ListingDetail } from '@contract/listings';
import { useSession } from '../../app/auth';
import { formatDate } from '../../components/format';
import { fieldLabel, valueWords } from './words';

type Entry = ListingDetail['timeline'][number];

const changeWords: Record<Entry['change'], { label: string; colour: string }> = {
  insert: { label: 'Added', colour: 'green' },
  update: { label: 'Changed', colour: 'blue' },
  delete: { label: 'Soft-deleted', colour: 'orange' },
  restore: { label: 'Restored', colour: 'teal' },
  hide: { label: 'Hidden', colour: 'gray' },
  show: { label: 'Shown again', colour: 'teal' },
  archive: { label: 'Archived', colour: 'dark' },
  unarchive: { label: 'Un-archived', colour: 'teal' },
  match: { label: 'Matched', colour: 'grape' },
  unmerge: { label: 'Unmerged', colour: 'grape' },
};

/** An old or new value in words; a listing id (a record moved by a match or an unmerge) links to that listing. */
function Value({ field, value }: { field: string; value: string | null }) {
  if (field === 'listing_id' && value !== null) {
    return <Anchor component={Link} to={`/admin/listings/${value}`} size="sm">Listing #{value}</Anchor>;
  }
  return <>{valueWords(field, value) ?? 'empty'}</>;
}

/** Who made a change, in words: "You", or the name the server gives with the entry. */
function usePerson() {
  const session = useSession();
  return (entry: Entry) => (entry.user_id === session.user.id ? 'You' : entry.user_name ?? `User #${entry.user_id}`);
}

/** The listing's timeline, or only some of its entries (the ones a change just added). */
export function Timeline({ listing, entries = listing.timeline, compact = false }: {
  listing: ListingDetail; entries?: Entry[]; compact?: boolean;
}) {
  const person = usePerson();
  if (!entries.length) return <Text c="dimmed" size="sm">No change has been recorded yet.</Text>;

  const part = (entry: Entry) => {
    if (entry.entity_type === 'listing') return 'Listing';
    if (entry.entity_type === 'location') return 'Location';
    if (entry.entity_type === 'listing_info') {
      const info = listing.listing_info.find((candidate) => candidate.id === entry.entity_id);
      return info ? `Record from ${info.dmo_name}` : `DMO record #${entry.entity_id}`;
    }
    return entry.entity_type.replace(/_/g, ' ');
  };

  return (
    <Table verticalSpacing={compact ? 2 : 'xs'} striped={!compact} data-testid={compact ? 'timeline-latest' : 'timeline'}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>When</Table.Th>
          <Table.Th>Who</Table.Th>
          <Table.Th>What</Table.Th>
          <Table.Th>Part</Table.Th>
          <Table.Th>Field</Table.Th>
          <Table.Th>Old → new</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {entries.map((entry, i) => {
          const words = changeWords[entry.change];
          return (
            <Table.Tr key={i} data-change={entry.change}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(entry.changed_at)}</Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                {entry.user_id !== null ? person(entry)
                  : entry.job_id !== null ? <Anchor component={Link} to={`/admin/runs/${entry.job_id}`} size="sm">Run #{entry.job_id}</Anchor>
                  : '–'}
              </Table.Td>
              <Table.Td><Badge color={words.colour} variant="light">{words.label}</Badge></Table.Td>
              <Table.Td>{part(entry)}</Table.Td>
              <Table.Td>{entry.field ? fieldLabel(entry.field) : '–'}</Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>
                {entry.field ? (
                  <>
                    <Text span size="sm" c="dimmed" td={entry.old_value === null || entry.field === 'listing_id' ? undefined : 'line-through'}>
                      <Value field={entry.field} value={entry.old_value} />
                    </Text>
                    {' → '}
                    <Text span size="sm"><Value field={entry.field} value={entry.new_value} /></Text>
                  </>
                ) : '–'}
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
