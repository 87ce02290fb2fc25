// The two tables of the Sources page: DMOs, and the configs that say how each DMO's data is read.
// Action buttons are only given to users who may take them (pipeline:write).
import { Anchor, Badge, Button, Group, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { RunResponse } from '@contract/runs';
import { IfAllowed, useSession } from '../../app/auth';
import { formatDate } from '../../components/format';
import { StatusBadge } from '../../components/StatusBadge';
import { dmoTypeLabel, isFileSource, scheduleLabel, sourceTypeLabel, type Config, type Dmo } from './model';

export function DmoTable({ dmos, configs, onEdit, onDelete, onAddConfig }: {
  dmos: Dmo[];
  configs: Config[];
  onEdit: (dmo: Dmo) => void;
  onDelete: (dmo: Dmo) => void;
  onAddConfig: (dmo: Dmo) => void;
}) {
  const canWrite = useSession().can('pipeline:write');
  if (!dmos.length) {
    return (
      <Text c="dimmed" data-testid="no-dmos">
        No DMO yet. {canWrite ? 'Create one with “New DMO”: it is the organisation whose listings you import.' : 'Someone with write access creates them.'}
      </Text>
    );
  }
  return (
    <Table striped highlightOnHover withTableBorder data-testid="dmo-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Name</Table.Th>
          <Table.Th>Type</Table.Th>
          <Table.Th>Website</Table.Th>
          <Table.Th>Configs</Table.Th>
          {canWrite && <Table.Th>Actions</Table.Th>}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {dmos.map((dmo) => (
          <Table.Tr key={dmo.id} data-dmo-id={dmo.id}>
            <Table.Td><Text fw={500} size="sm">{dmo.name}</Text><Text size="xs" c="dimmed">DMO {dmo.id}</Text></Table.Td>
            <Table.Td>{dmoTypeLabel(dmo.dmo_type_id)}</Table.Td>
            <Table.Td>{dmo.domain_url ? <Anchor href={dmo.domain_url} target="_blank" rel="noreferrer" size="sm">{dmo.domain_url}</Anchor> : '–'}</Table.Td>
            <Table.Td>{configs.filter((config) => config.dmo_id === dmo.id).length}</Table.Td>
            <IfAllowed permission="pipeline:write">
              <Table.Td>
                <Group gap="xs" wrap="nowrap">
                  <Button size="compact-sm" variant="light" onClick={() => onAddConfig(dmo)}>Add config</Button>
                  <Button size="compact-sm" variant="default" onClick={() => onEdit(dmo)}>Edit</Button>
                  <Button size="compact-sm" variant="subtle" color="red" onClick={() => onDelete(dmo)}>Delete</Button>
                </Group>
              </Table.Td>
            </IfAllowed>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function LastRun({ run }: { run: RunResponse | null | undefined }) {
  if (run === undefined) return <Text size="sm" c="dimmed">…</Text>;
  if (run === null) return <Text size="sm" c="dimmed">Never run</Text>;
  return (
    <Stack gap={0}>
      <Group gap={6}>
        <Anchor component={Link} to={`/admin/runs/${run.id}`} size="sm">#{run.id}</Anchor>
        <StatusBadge status={run.status} />
      </Group>
      <Text size="xs" c="dimmed">{formatDate(run.created_at)}</Text>
    </Stack>
  );
}

export function ConfigTable({ configs, dmos, lastRuns, starting, onRun, onEdit, onDelete }: {
  configs: Config[];
  dmos: Dmo[];
  lastRuns: Map<number, RunResponse | null | undefined>;
  starting: number | null;
  onRun: (config: Config) => void;
  onEdit: (config: Config) => void;
  onDelete: (config: Config) => void;
}) {
  const canWrite = useSession().can('pipeline:write');
  const dmoName = (id: number) => dmos.find((dmo) => dmo.id === id)?.name ?? `DMO ${id}`;
  if (!configs.length) {
    return (
      <Text c="dimmed" data-testid="no-configs">
        No config yet. {canWrite ? 'Add one with “New config” (or “Add config” on a DMO): it says how that DMO’s data is read and mapped.' : ''}
      </Text>
    );
  }
  return (
    <Table striped highlightOnHover withTableBorder data-testid="config-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Config</Table.Th>
          <Table.Th>DMO</Table.Th>
          <Table.Th>Source</Table.Th>
          <Table.Th>Schedule</Table.Th>
          <Table.Th miw={100}>Active</Table.Th>
          <Table.Th>Version</Table.Th>
          <Table.Th miw={180}>Last run</Table.Th>
          {canWrite && <Table.Th>Actions</Table.Th>}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {configs.map((config) => (
          <Table.Tr key={config.id} data-config-id={config.id}>
            <Table.Td>
              <Text fw={500} size="sm">#{config.id}{config.name ? ` ${config.name}` : ''}</Text>
              <Text size="xs" c="dimmed">{config.data_domain}</Text>
            </Table.Td>
            <Table.Td>{dmoName(config.dmo_id)}</Table.Td>
            <Table.Td>
              <Text size="sm">{sourceTypeLabel(config.source_type)}</Text>
              <Text size="xs" c="dimmed">{isFileSource(config.source_type) ? 'file upload' : config.source_type}</Text>
            </Table.Td>
            <Table.Td>
              <Text size="sm">{scheduleLabel(config.schedule)}</Text>
              {config.next_run_at && <Text size="xs" c="dimmed">next {formatDate(config.next_run_at)}</Text>}
            </Table.Td>
            <Table.Td>{config.active ? <Badge color="green" variant="light">active</Badge> : <Badge color="gray" variant="light">inactive</Badge>}</Table.Td>
            <Table.Td>{config.version}</Table.Td>
            <Table.Td><LastRun run={lastRuns.get(config.id)} /></Table.Td>
            <IfAllowed permission="pipeline:write">
              <Table.Td>
                <Group gap="xs" wrap="nowrap">
                  <Button size="compact-sm" onClick={() => onRun(config)} loading={starting === config.id} disabled={starting !== null && starting !== config.id}>
                    Run now
                  </Button>
                  <Button size="compact-sm" variant="default" onClick={() => onEdit(config)}>Edit</Button>
                  <Button size="compact-sm" variant="subtle" color="red" onClick={() => onDelete(config)}>Delete</Button>
                </Group>
              </Table.Td>
            </IfAllowed>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
