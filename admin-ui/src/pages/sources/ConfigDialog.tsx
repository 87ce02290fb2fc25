// Create or edit a config: which DMO, what kind of source, when it runs, and the config_params an admin
// sets most (field mapping from a sample CSV, identity, snapshot and deletion guard, normalisation,
// validation, promotion), with an Advanced (JSON) tab for everything else. Every change is checked with
// the server's own schema and each message is shown next to its field; a save the server refuses
// shows its message the same way. Saving a config with unfinished runs asks what becomes of them.
import { useCallback, useMemo, useState, type ReactNode } from 'react';
import {
  Alert, Box, Button, Divider, Group, JsonInput, List, Modal, MultiSelect, Radio, Select, SimpleGrid, Stack, Switch,
  Tabs, Text, TextInput, Title,
} from '@mantine/core';
import { ApiError } from '../../app/api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { NumberText } from './fields';
import { MappingSection, type SampleInfo } from './MappingSection';
import { SourceSettings, type CredentialEdits, type ImportParamSetter } from './SourceSettings';
import {
  canonicalOptions, draftBody, draftOf, formatPath, isFileSource, isNamedSchedule, mergePolicyOptions, messageAt, newDraft,
  credentialNames, ownImportKeys, problemsFromDetails, resolveConfig, scheduleOptions, sourceTypeHint, sourceTypeLabel, sourceTypes, validateConfig,
  withParam, withSourceType,
  type CanonicalField, type Config, type ConfigDraft, type ConfigParams, type Dmo, type FieldProblem, type MergePolicy,
} from './model';
import { PendingRunsDialog, pendingRunsOf, type PendingRun } from './PendingRunsDialog';
import { sourcesApi, useLastUploadColumns, type PendingRunsChoice } from './queries';

const p = (...path: string[]) => formatPath(['config_params', ...path]);
const mappingRoot = p('transform', 'map_fields');

/** Paths the form shows next to a field; a problem anywhere else is listed for the JSON tab. */
const formPaths = [
  'dmo_id', 'name', 'source_type', 'data_domain', 'schedule', 'active', p('transform', 'map_fields'),
  p('import', 'source_id_column'), p('import', 'source_id_fields'), p('import', 'full_snapshot'), p('import', 'max_delete_ratio'),
  p('transform', 'round_lat_lng'), p('transform', 'list_separator'), p('transform', 'normalize_fields'),
  p('validate', 'required_fields'), p('promote', 'merge_policy'), p('promote', 'override_manual'), p('promote', 'auto_promote'),
  // the source settings section shows each type's own import keys
  ...[...new Set(Object.values(ownImportKeys).flat())].filter((key) => key !== 'query').map((key) => p('import', key)),
];
const shownInForm = (problem: FieldProblem) => formPaths.some((path) => messageAt([problem], path) !== undefined);

const sourceTypeOptions = sourceTypes.map((type) => ({
  value: type, label: `${sourceTypeLabel(type)} (${type})${isFileSource(type) ? ': file upload' : ''}`,
}));
const cronMode = 'cron';

export interface SavedConfig {
  config: Config;
  created: boolean;
  cancelledRuns: PendingRun[];
}

export function ConfigDialog({ config, dmos, initialDmoId, onClose, onSaved }: {
  config: Config | null;
  dmos: Dmo[];
  initialDmoId: number | null;
  onClose: () => void;
  onSaved: (saved: SavedConfig) => void;
}) {
  const [draft, setDraft] = useState<ConfigDraft>(() => (config ? draftOf(config) : newDraft(initialDmoId)));
  const [touched, setTouched] = useState(false);
  const [droppedSample, setSample] = useState<SampleInfo | null>(null);
  const lastUpload = useLastUploadColumns(config && isFileSource(config.source_type) ? config.id : null).data;
  // a dropped sample wins; otherwise an existing config offers the columns of its last uploaded file
  const uploadedSample = useMemo<SampleInfo | null>(() => (lastUpload
    ? { fileName: lastUpload.fileName, delimiter: null, encoding: null, headers: lastUpload.columns, suggested: {}, fromRun: lastUpload.runId }
    : null), [lastUpload]);
  const sample = droppedSample ?? uploadedSample;
  const [tab, setTab] = useState<string>('form');
  const [jsonText, setJsonText] = useState('');
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [scheduleMode, setScheduleMode] = useState(isNamedSchedule(draft.schedule) ? draft.schedule : cronMode);
  const [identityMode, setIdentityMode] = useState(draft.config_params.import?.source_id_column ? 'column' : 'fields');
  const [serverProblems, setServerProblems] = useState<FieldProblem[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'save' | PendingRunsChoice | null>(null);
  const [pendingRuns, setPendingRuns] = useState<PendingRun[] | null>(null);

  const problems = useMemo(() => [...validateConfig(draft), ...serverProblems], [draft, serverProblems]);
  const params = draft.config_params;
  const resolved = useMemo(() => resolveConfig(params, draft.source_type), [params, draft.source_type]);
  const otherProblems = problems.filter((problem) => !shownInForm(problem));
  const blocked = problems.length > 0 || jsonError !== null;

  const update = useCallback((change: Partial<ConfigDraft>) => {
    setDraft((current) => ({ ...current, ...change }));
    setTouched(true);
    setServerProblems([]);
  }, []);
  const setParams = useCallback((next: ConfigParams) => update({ config_params: next }), [update]);
  const takeSample = useCallback((next: SampleInfo) => {
    setSample(next);
    setTouched(true);
  }, []);
  // the mapping table (30 selects) re-renders only when its own fields or their messages change
  const mappingProblemsKey = JSON.stringify(touched ? problems.filter((problem) => problem.path.startsWith(mappingRoot)) : []);
  const mappingProblems = useMemo(() => JSON.parse(mappingProblemsKey) as FieldProblem[], [mappingProblemsKey]);
  const show = (path: string) => (touched ? messageAt(problems, path) : undefined);
  const param = <S extends keyof ConfigParams, K extends keyof NonNullable<ConfigParams[S]> & string>(section: S, key: K) => ({
    error: show(p(section, key)),
    set: (value: NonNullable<ConfigParams[S]>[K] | undefined) => setParams(withParam(params, section, key, value)),
  });

  function changeTab(next: string | null) {
    if (!next || next === tab) return;
    if (next === 'json') {
      setJsonText(JSON.stringify(params, null, 2));
      setJsonError(null);
    } else if (jsonError) return; // the form cannot show JSON that does not parse: fix it first
    setTab(next);
  }

  function editJson(text: string) {
    setJsonText(text);
    let parsed: unknown;
    try {
      parsed = text.trim() ? JSON.parse(text) : {};
    } catch (caught) {
      setJsonError(`This is not valid JSON yet: ${(caught as Error).message}`);
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      setJsonError('config_params is an object: { "import": {…}, "transform": {…}, … }');
      return;
    }
    setJsonError(null);
    setParams(parsed as ConfigParams);
  }

  async function save(choice?: PendingRunsChoice) {
    setTouched(true);
    if (blocked) return;
    setBusy(choice ?? 'save');
    setError(null);
    try {
      const body = draftBody(draft);
      const saved = config ? await sourcesApi.updateConfig(config.id, body, choice) : await sourcesApi.createConfig(body);
      onSaved({ config: saved, created: !config, cancelledRuns: choice === 'cancel' ? pendingRuns ?? [] : [] });
    } catch (caught) {
      const pending = pendingRunsOf(caught);
      if (pending && !choice) setPendingRuns(pending);
      else {
        setPendingRuns(null);
        setError(caught);
        if (caught instanceof ApiError) setServerProblems(problemsFromDetails(caught.details));
      }
    } finally {
      setBusy(null);
    }
  }

  const dmoOptions = dmos.map((dmo) => ({ value: String(dmo.id), label: dmo.name }));
  const importParam = params.import ?? {};
  const headers = sample?.headers ?? null;
  const ratio = importParam.max_delete_ratio;

  const basics = (
    <Stack gap="sm">
      <SimpleGrid cols={2}>
        <Select label="DMO" required data={dmoOptions} value={draft.dmo_id ? String(draft.dmo_id) : null} searchable
          allowDeselect={false} description="The organisation whose data this config reads"
          error={touched && draft.dmo_id === null ? 'Choose the DMO this config reads data for' : show('dmo_id')}
          onChange={(value) => update({ dmo_id: value ? Number(value) : null })} />
        <TextInput label="Name (optional)" placeholder="e.g. Monthly CSV export" value={draft.name} error={show('name')}
          description="Shown beside the config's number" onChange={(e) => update({ name: e.currentTarget.value })} />
        <Select label="Source type" required data={sourceTypeOptions} value={draft.source_type} allowDeselect={false}
          description={sourceTypeHint(draft.source_type)} error={show('source_type')}
          onChange={(value) => value && update({
            source_type: value as ConfigDraft['source_type'],
            config_params: withSourceType(draft.config_params, draft.source_type, value as ConfigDraft['source_type']),
            // a credential typed for the old type is not sent; the server drops the stored ones of the old type
            credentials: Object.fromEntries(Object.entries(draft.credentials)
              .filter(([name]) => credentialNames[value as ConfigDraft['source_type']].includes(name))),
          })} />
        <TextInput label="Data domain" value={draft.data_domain} error={show('data_domain')}
          description="What the records are: listings unless told otherwise" onChange={(e) => update({ data_domain: e.currentTarget.value })} />
        <Select label="Schedule" data={[...scheduleOptions, { value: cronMode, label: 'A cron pattern' }]} value={scheduleMode}
          allowDeselect={false} error={scheduleMode !== cronMode ? show('schedule') : undefined}
          description={isFileSource(draft.source_type) && draft.schedule !== 'manual' ? 'A file source waits for your upload at each scheduled run' : 'When it runs by itself'}
          onChange={(value) => {
            if (!value) return;
            setScheduleMode(value);
            update({ schedule: value === cronMode ? '' : value });
          }} />
        {scheduleMode === cronMode ? (
          <TextInput label="Cron pattern" placeholder="0 3 * * *  (every day at 03:00)" value={draft.schedule} error={show('schedule')}
            description="minute hour day-of-month month day-of-week" onChange={(e) => update({ schedule: e.currentTarget.value })} />
        ) : <div />}
      </SimpleGrid>
      <Switch label="Active" checked={draft.active} error={show('active')}
        description="An inactive config is kept but cannot be run, by hand or on schedule"
        onChange={(e) => update({ active: e.currentTarget.checked })} />
    </Stack>
  );

  const importSetter: ImportParamSetter = (key) => param('import', key);
  const credentialEdits: CredentialEdits = {
    stored: Object.keys(config?.source_type === draft.source_type ? config.credentials ?? {} : {}),
    changes: draft.credentials,
    change: (name, value) => {
      const next = { ...draft.credentials };
      if (value === undefined) delete next[name];
      else next[name] = value;
      update({ credentials: next });
    },
  };
  const sourceSettings = <SourceSettings sourceType={draft.source_type} values={importParam} param={importSetter} credentials={credentialEdits} />;

  const sourceId = param('import', 'source_id_column');
  const sourceIdFields = param('import', 'source_id_fields');
  const identity = (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">How a record is recognised again in the next import. Changing this later makes every record look new once.</Text>
      <Radio.Group value={identityMode} onChange={(mode) => {
        setIdentityMode(mode);
        // one or the other: an id column wins over fields, so keep only the chosen one
        setParams(withParam(withParam(params, 'import', 'source_id_column', undefined), 'import', 'source_id_fields', undefined));
      }}>
        <Group>
          <Radio value="column" label="Each record has its own id in a column" />
          <Radio value="fields" label="Make the id from some fields" />
        </Group>
      </Radio.Group>
      {identityMode === 'column' ? (
        headers ? (
          <Select label="Id column" data={importParam.source_id_column && !headers.includes(importParam.source_id_column) ? [importParam.source_id_column, ...headers] : headers}
            value={importParam.source_id_column ?? null} clearable searchable placeholder="Choose the column with the record's id"
            error={sourceId.error} onChange={(value) => sourceId.set(value ?? undefined)} />
        ) : (
          <TextInput label="Id column" placeholder="e.g. ID (drop a sample CSV to choose from its columns)" value={importParam.source_id_column ?? ''}
            error={sourceId.error} onChange={(e) => sourceId.set(e.currentTarget.value)} />
        )
      ) : (
        <MultiSelect label="Id from these fields" data={canonicalOptions} searchable clearable
          value={importParam.source_id_fields ?? []} placeholder={`Default: ${resolved.import.source_id_fields.join(', ')}`}
          error={sourceIdFields.error} onChange={(value) => sourceIdFields.set(value as CanonicalField[])} />
      )}
    </Stack>
  );

  const fullSnapshot = param('import', 'full_snapshot');
  const maxDelete = param('import', 'max_delete_ratio');
  const importing = (
    <SimpleGrid cols={2}>
      <Switch label="Each import is the DMO's complete list" checked={resolved.import.full_snapshot} error={fullSnapshot.error}
        description="Listings missing from an import are then proposed for deletion (import.full_snapshot)"
        onChange={(e) => fullSnapshot.set(e.currentTarget.checked === isFileSource(draft.source_type) ? undefined : e.currentTarget.checked)} />
      <NumberText label="Most an import may delete (share, 0 to 1)" value={ratio}
        placeholder={`${resolved.import.max_delete_ratio} (default)`} error={maxDelete.error}
        description={`If an import would delete more than ${typeof ratio === 'number' && ratio >= 0 && ratio <= 1 ? Math.round(ratio * 100) : Math.round(resolved.import.max_delete_ratio * 100)} % of the DMO's listings, none of its deletions are proposed (import.max_delete_ratio)`}
        onValue={(value) => maxDelete.set(value as number | undefined)} />
    </SimpleGrid>
  );

  const round = param('transform', 'round_lat_lng');
  const separator = param('transform', 'list_separator');
  const normalizeFields = param('transform', 'normalize_fields');
  const normalising = (
    <SimpleGrid cols={3}>
      <NumberText label="Decimals kept in coordinates" value={params.transform?.round_lat_lng}
        placeholder={`${resolved.transform.round_lat_lng} (default)`} error={round.error}
        description="transform.round_lat_lng; 5 decimals ≈ 1 m" onValue={(value) => round.set(value as number | undefined)} />
      <TextInput label="Separator of lists in a cell" value={params.transform?.list_separator ?? ''}
        placeholder={`${resolved.transform.list_separator} (default)`} error={separator.error}
        description="Between image URLs or attributes in one CSV cell" onChange={(e) => separator.set(e.currentTarget.value)} />
      <MultiSelect label="Fields to normalise" data={canonicalOptions} searchable clearable value={params.transform?.normalize_fields ?? []}
        placeholder="None" error={normalizeFields.error} description="transform.normalize_fields"
        onChange={(value) => normalizeFields.set(value as CanonicalField[])} />
    </SimpleGrid>
  );

  const required = param('validate', 'required_fields');
  const validating = (
    <MultiSelect label="Fields every record must have" data={canonicalOptions} searchable clearable
      value={params.validate?.required_fields ?? []} placeholder="Only the defaults" error={required.error}
      description="A record always needs a name and either coordinates or a city; a record missing a field chosen here is rejected with its line (validate.required_fields)"
      onChange={(value) => required.set(value as CanonicalField[])} />
  );

  const policy = param('promote', 'merge_policy');
  const overrideManual = param('promote', 'override_manual');
  const autoPromote = param('promote', 'auto_promote');
  const promoting = (
    <Stack gap="sm">
      <Select label="When a listing already exists" data={mergePolicyOptions} value={params.promote?.merge_policy ?? null} clearable
        placeholder={`Default: ${mergePolicyOptions.find((o) => o.value === resolved.promote.merge_policy)?.label}`} error={policy.error}
        description="promote.merge_policy" onChange={(value) => policy.set((value ?? undefined) as MergePolicy | undefined)} />
      <Switch label="Imports may overwrite fields a person edited by hand" checked={resolved.promote.override_manual}
        error={overrideManual.error} description="promote.override_manual"
        onChange={(e) => overrideManual.set(e.currentTarget.checked || undefined)} />
      <Switch label="Promote without review when no row needs a person" checked={resolved.promote.auto_promote}
        error={autoPromote.error} description="promote.auto_promote: rows with warnings, deletions and possible matches still wait for review"
        onChange={(e) => autoPromote.set(e.currentTarget.checked || undefined)} />
    </Stack>
  );

  const section = (title: string, body: ReactNode) => (
    <Box component="section">
      <Title order={5} mb="xs">{title}</Title>
      {body}
    </Box>
  );

  const problemList = (list: FieldProblem[]) => (
    <List size="sm">{list.map((problem) => <List.Item key={`${problem.path}:${problem.message}`}><b>{problem.path}</b>: {problem.message}</List.Item>)}</List>
  );

  return (
    <>
      <Modal opened onClose={onClose} size={1040} title={config ? `Edit config #${config.id}${config.name ? ` ${config.name}` : ''} (version ${config.version})` : 'New config'}>
        <Tabs value={tab} onChange={changeTab} keepMounted={false}>
          <Tabs.List mb="md">
            <Tabs.Tab value="form">Settings</Tabs.Tab>
            <Tabs.Tab value="json">Advanced (JSON)</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="form">
            <Stack gap="lg">
              {touched && otherProblems.length > 0 && (
                <Alert color="red" title="Settings outside this form have problems (see Advanced (JSON))" data-testid="other-problems">
                  {problemList(otherProblems)}
                </Alert>
              )}
              {section('Source', basics)}
              <Divider />
              {section('Where the records come from', sourceSettings)}
              <Divider />
              {section('Field mapping', (
                <MappingSection params={params} onParams={setParams} sample={sample} onSample={takeSample} problems={mappingProblems} />
              ))}
              <Divider />
              {section('Identity', identity)}
              <Divider />
              {section('Snapshot and deletions', importing)}
              <Divider />
              {section('Normalisation', normalising)}
              <Divider />
              {section('Validation', validating)}
              <Divider />
              {section('Promotion', promoting)}
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="json">
            <Stack gap="sm">
              <Text size="sm" c="dimmed">
                The whole of config_params, including settings the form does not show (geocoding, match thresholds, source-specific
                import settings). Checked as you type with the server&apos;s rules.
              </Text>
              <JsonInput label="config_params" value={jsonText} onChange={editJson} autosize minRows={14} maxRows={28}
                spellCheck={false} error={jsonError ?? undefined} data-testid="config-json" />
              {problems.some((problem) => problem.path.startsWith('config_params')) && (
                <Alert color="red" title="The server would refuse this" data-testid="json-problems">
                  {problemList(problems.filter((problem) => problem.path.startsWith('config_params')))}
                </Alert>
              )}
            </Stack>
          </Tabs.Panel>
        </Tabs>
        <Box pos="sticky" bottom={0} bg="var(--mantine-color-body)" pt="sm" mt="md" style={{ zIndex: 2, borderTop: '1px solid var(--mantine-color-gray-3)' }}>
          <Stack gap="xs">
            <ErrorAlert error={error} title={config ? 'The config was not saved' : 'The config was not created'} />
            <Group justify="flex-end">
              {touched && blocked && (
                <Text size="sm" c="red" data-testid="blocked-hint">
                  {jsonError ? 'Fix the JSON to save.' : `Fix the ${problems.length === 1 ? 'problem' : `${problems.length} problems`} marked in red to save.`}
                </Text>
              )}
              <Button variant="default" onClick={onClose}>Cancel</Button>
              <Button onClick={() => void save()} loading={busy === 'save'} disabled={touched && blocked}>
                {config ? 'Save changes' : 'Create config'}
              </Button>
            </Group>
          </Stack>
        </Box>
      </Modal>
      <PendingRunsDialog runs={pendingRuns} action="save your changes" busy={busy === 'keep' || busy === 'cancel' ? busy : null}
        onChoose={(choice) => void save(choice)} onClose={() => setPendingRuns(null)} />
    </>
  );
}
