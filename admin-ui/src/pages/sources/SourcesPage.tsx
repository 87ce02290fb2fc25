// Sources: the DMOs and their configs, with create/edit/delete and "Run now". The config dialog has its
// own address (/admin/sources/configs/new?dmo=3, /admin/sources/configs/12), so a reload or a link
// opens it again.
import { useState } from 'react';
import { Button, Center, Group, Loader, Modal, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { IfAllowed } from '../../app/auth';
import { ErrorAlert } from '../../components/ErrorAlert';
import { ConfigDialog, type SavedConfig } from './ConfigDialog';
import { DmoDialog } from './DmoDialog';
import { sourceTypeLabel, type Config, type Dmo } from './model';
import { PendingRunsDialog, pendingRunsOf, type PendingRun } from './PendingRunsDialog';
import { sourcesApi, useConfig, useConfigs, useDmos, useLastRuns, useRefreshSources, type PendingRunsChoice } from './queries';
import { ConfigTable, DmoTable } from './SourceTables';

const sourcesPath = '/admin/sources';

export default function SourcesPage() {
  const navigate = useNavigate();
  const { id: configParam } = useParams<{ id?: string }>();
  const [search] = useSearchParams();
  const dmos = useDmos();
  const configs = useConfigs();
  const lastRuns = useLastRuns((configs.data ?? []).map((config) => config.id));
  const refresh = useRefreshSources();

  const [dmoDialog, setDmoDialog] = useState<{ dmo: Dmo | null } | null>(null);
  const [deletingDmo, setDeletingDmo] = useState<Dmo | null>(null);
  const [deletingConfig, setDeletingConfig] = useState<Config | null>(null);
  const [starting, setStarting] = useState<number | null>(null);

  const editingId = configParam && configParam !== 'new' && /^\d+$/.test(configParam) ? Number(configParam) : null;
  const editing = useConfig(editingId);
  const closeConfigDialog = () => navigate(sourcesPath);

  async function runNow(config: Config) {
    setStarting(config.id);
    try {
      const reply = await sourcesApi.runNow(config.id);
      void refresh();
      if ('existing' in reply) {
        notifications.show({ title: `Run #${reply.jobId} of this config is already ${reply.status}`,
          message: 'A config runs one run at a time: here it is.', autoClose: 8_000 });
      }
      // a file source waits for its file: the run's page opens its upload dialog on ?upload=1
      navigate(reply.status === 'waiting_for_input' ? `/admin/runs/${reply.jobId}?upload=1` : `/admin/runs/${reply.jobId}`);
    } catch (caught) {
      notifications.show({ color: 'red', title: `Config #${config.id} could not start a run`, message: (caught as Error).message, autoClose: 10_000 });
    } finally {
      setStarting(null);
    }
  }

  function saved({ config, created, cancelledRuns }: SavedConfig) {
    void refresh();
    const cancelled = cancelledRuns.length ? `; runs ${cancelledRuns.map((run) => `#${run.id}`).join(', ')} were cancelled` : '';
    notifications.show({
      color: 'green',
      message: created ? `Config #${config.id} was created` : `Config #${config.id} was saved (version ${config.version})${cancelled}`,
    });
    closeConfigDialog();
  }

  const loadError = dmos.error ?? configs.error;
  if (loadError) return <ErrorAlert error={loadError} title="The sources could not be loaded" />;
  if (!dmos.data || !configs.data) return <Center py="xl"><Loader aria-label="Loading" /></Center>;
  const dmoList = dmos.data;
  const configList = configs.data;

  const initialDmo = Number(search.get('dmo'));
  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={2}>Sources</Title>
          <Text c="dimmed" size="sm">
            A DMO is an organisation that sends listings; each of its configs says where its data comes from, how its columns map
            onto listings, and what happens when it is imported.
          </Text>
        </div>
        <IfAllowed permission="pipeline:write">
          <Group>
            <Button variant="default" onClick={() => setDmoDialog({ dmo: null })}>New DMO</Button>
            <Button onClick={() => navigate(`${sourcesPath}/configs/new`)} disabled={!dmoList.length}
              title={dmoList.length ? undefined : 'Create a DMO first'}>New config</Button>
          </Group>
        </IfAllowed>
      </Group>

      <Stack gap="xs">
        <Title order={4}>DMOs</Title>
        <DmoTable dmos={dmoList} configs={configList} onEdit={(dmo) => setDmoDialog({ dmo })} onDelete={setDeletingDmo}
          onAddConfig={(dmo) => navigate(`${sourcesPath}/configs/new?dmo=${dmo.id}`)} />
      </Stack>

      <Stack gap="xs">
        <Title order={4}>Configs</Title>
        <ConfigTable configs={configList} dmos={dmoList} lastRuns={lastRuns} starting={starting} onRun={(config) => void runNow(config)}
          onEdit={(config) => navigate(`${sourcesPath}/configs/${config.id}`)} onDelete={setDeletingConfig} />
      </Stack>

      {dmoDialog && (
        <DmoDialog dmo={dmoDialog.dmo} onClose={() => setDmoDialog(null)} onSaved={(dmo) => {
          setDmoDialog(null);
          void refresh();
          notifications.show({ color: 'green', message: `DMO ${dmo.name} was saved` });
        }} />
      )}
      {deletingDmo && <DeleteDmoDialog dmo={deletingDmo} onClose={() => setDeletingDmo(null)} onDeleted={() => {
        setDeletingDmo(null);
        void refresh();
      }} />}
      {deletingConfig && <DeleteConfigDialog config={deletingConfig} onClose={() => setDeletingConfig(null)} onDeleted={() => {
        setDeletingConfig(null);
        void refresh();
      }} />}

      {configParam === 'new' && (
        <ConfigDialog config={null} dmos={dmoList} initialDmoId={dmoList.some((dmo) => dmo.id === initialDmo) ? initialDmo : null}
          onClose={closeConfigDialog} onSaved={saved} />
      )}
      {editingId !== null && editing.data && (
        <ConfigDialog key={`${editing.data.id}:${editing.data.version}`} config={editing.data} dmos={dmoList} initialDmoId={null}
          onClose={closeConfigDialog} onSaved={saved} />
      )}
      {editingId !== null && editing.error && (
        <Modal opened onClose={closeConfigDialog} title={`Config #${editingId}`}>
          <ErrorAlert error={editing.error} title="This config could not be opened" />
        </Modal>
      )}
      {configParam !== undefined && configParam !== 'new' && editingId === null && (
        <Modal opened onClose={closeConfigDialog} title="No such config">
          <Text>There is no config at this address. Pick one from the table.</Text>
        </Modal>
      )}
    </Stack>
  );
}

function DeleteDmoDialog({ dmo, onClose, onDeleted }: { dmo: Dmo; onClose: () => void; onDeleted: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await sourcesApi.deleteDmo(dmo.id);
      notifications.show({ color: 'green', message: `DMO ${dmo.name} was deleted` });
      onDeleted();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal opened onClose={onClose} title={`Delete DMO ${dmo.name}?`}>
      <Stack>
        <Text>The DMO is removed for good. A DMO that still has configs or listings cannot be deleted: delete or move those first.</Text>
        <ErrorAlert error={error} title="The DMO was not deleted" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Keep it</Button>
          <Button color="red" onClick={() => void remove()} loading={busy}>Delete DMO</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function DeleteConfigDialog({ config, onClose, onDeleted }: { config: Config; onClose: () => void; onDeleted: () => void }) {
  const [busy, setBusy] = useState<'delete' | PendingRunsChoice | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [pendingRuns, setPendingRuns] = useState<PendingRun[] | null>(null);
  async function remove(choice?: PendingRunsChoice) {
    setBusy(choice ?? 'delete');
    setError(null);
    try {
      await sourcesApi.deleteConfig(config.id, choice);
      notifications.show({ color: 'green', message: `Config #${config.id} was deleted` });
      onDeleted();
    } catch (caught) {
      const pending = pendingRunsOf(caught);
      if (pending && !choice) setPendingRuns(pending);
      else {
        setPendingRuns(null);
        setError(caught);
      }
    } finally {
      setBusy(null);
    }
  }
  return (
    <>
      <Modal opened={pendingRuns === null} onClose={onClose} title={`Delete config #${config.id}?`}>
        <Stack>
          <Text>
            Config #{config.id}{config.name ? ` (${config.name})` : ''}, a {sourceTypeLabel(config.source_type)} source, will not run again,
            by hand or on schedule. Its past runs stay in the history and its listings stay in production.
          </Text>
          <ErrorAlert error={error} title="The config was not deleted" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Keep it</Button>
            <Button color="red" onClick={() => void remove()} loading={busy === 'delete'}>Delete config</Button>
          </Group>
        </Stack>
      </Modal>
      <PendingRunsDialog runs={pendingRuns} action="delete the config" busy={busy === 'keep' || busy === 'cancel' ? busy : null}
        onChoose={(choice) => void remove(choice)} onClose={() => setPendingRuns(null)} />
    </>
  );
}
