// One page of a run's staged rows: what each row would do, its warnings, the pipeline's proposal and
// the reviewer's decision. A click on a row opens its diff; the checkboxes make a selection.
import { Badge, Checkbox, Group, Table, Text, Tooltip, UnstyledButton } from '@mantine/core';
import type { StagedRow } from '@contract/runs';
import { actionColours, actionWords, partActions, reviewColours, reviewWords } from './words';

export function PartBadges({ row }: { row: StagedRow }) {
  const all = partActions(row).filter((part) => part.action);
  // a new listing is new in every part: one badge says so
  if (all.length > 1 && all.every((part) => part.action === all[0]!.action) && all[0]!.action !== 'update') {
    const action = all[0]!.action!;
    return <Badge size="xs" variant="light" color={actionColours[action]}>all parts {actionWords[action]}</Badge>;
  }
  const shown = all.filter((part) => part.action !== 'unchanged');
  if (!shown.length) return <Text size="xs" c="dimmed">no change</Text>;
  return (
    <Group gap={4} wrap="wrap">
      {shown.map((part) => (
        <Badge key={part.column} size="xs" variant="light" color={actionColours[part.action!]} data-part={part.column}
          data-action={part.action}>
          {part.action === 'update' ? `${part.changed} changed` : `${part.label} ${actionWords[part.action!]}`}
        </Badge>
      ))}
    </Group>
  );
}

export function ReviewBadge({ status }: { status: StagedRow['review_status'] }) {
  return <Badge size="sm" variant="light" color={reviewColours[status]} data-review={status}>{reviewWords[status]}</Badge>;
}

interface Props {
  rows: StagedRow[];
  selectable: boolean;
  selected: Set<number>;
  onToggle(id: number): void;
  onToggleAll(ids: number[], on: boolean): void;
  onOpen(id: number): void;
  openRow?: number;
}

export function RowsTable({ rows, selectable, selected, onToggle, onToggleAll, onOpen, openRow }: Props) {
  const ids = rows.map((row) => row.id);
  const checked = ids.filter((id) => selected.has(id)).length;
  return (
    <Table.ScrollContainer minWidth={960}>
      <Table highlightOnHover verticalSpacing={6} fz="sm" aria-label="Staged rows" data-testid="rows-table">
        <Table.Thead>
          <Table.Tr>
            {selectable && (
              <Table.Th w={36}>
                <Checkbox
                  aria-label="Select every row of this page"
                  checked={checked > 0 && checked === ids.length}
                  indeterminate={checked > 0 && checked < ids.length}
                  onChange={(event) => onToggleAll(ids, event.currentTarget.checked)}
                />
              </Table.Th>
            )}
            <Table.Th w={60}>Row</Table.Th>
            <Table.Th>Name</Table.Th>
            <Table.Th>City</Table.Th>
            <Table.Th>Source id</Table.Th>
            <Table.Th>What changes</Table.Th>
            <Table.Th>Warnings</Table.Th>
            <Table.Th w={80}>Proposed</Table.Th>
            <Table.Th w={100}>Decision</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr
              key={row.id}
              data-row-id={row.id}
              data-rec-num={row.rec_num}
              onClick={() => onOpen(row.id)}
              style={{ cursor: 'pointer' }}
              bg={openRow === row.id ? 'var(--mantine-color-indigo-light)' : undefined}
            >
              {selectable && (
                <Table.Td onClick={(event) => event.stopPropagation()}>
                  <Checkbox aria-label={`Select row ${row.rec_num}`} checked={selected.has(row.id)} onChange={() => onToggle(row.id)} />
                </Table.Td>
              )}
              <Table.Td>{row.file_seq === 0 ? '–' : row.rec_num}</Table.Td>
              <Table.Td>
                <UnstyledButton onClick={(event) => (event.stopPropagation(), onOpen(row.id))} fz="sm" fw={500} ta="left">
                  {row.name || <Text span c="dimmed" fz="sm">(no name)</Text>}
                </UnstyledButton>
              </Table.Td>
              <Table.Td>{row.city ?? ''}</Table.Td>
              <Table.Td><Text size="xs" ff="monospace" lineClamp={1} maw={160} title={row.source_id}>{row.source_id}</Text></Table.Td>
              <Table.Td maw={280}><PartBadges row={row} /></Table.Td>
              <Table.Td maw={220}>
                {row.warnings.length > 0 && (
                  <Tooltip label={row.warnings.join('\n')} multiline maw={400} withinPortal>
                    <Text size="xs" c="orange.8" lineClamp={2} data-testid="row-warnings">
                      {row.warnings.length > 1 ? `${row.warnings.length} warnings: ` : ''}{row.warnings[0]}
                    </Text>
                  </Tooltip>
                )}
              </Table.Td>
              <Table.Td>{row.ok_to_promote ? <Text size="sm">Yes</Text> : <Text size="sm" c="dimmed">No</Text>}</Table.Td>
              <Table.Td><ReviewBadge status={row.review_status} /></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
