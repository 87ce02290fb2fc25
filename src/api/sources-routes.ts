// /api/v1/pipeline/dmos and /configs, and the mapping a new CSV's columns suggest.
import type { Request } from 'express';
import type { PipelineContext } from '../context';
import {
  configBody, configDeleteQuery, configParamsFor, credentialIssues, type ConfigPatch, configPatch, dmoBody, dmoPatch, maxBigSerialId, maxSuggestHeaders, suggestMappingBody,
  type SuggestMappingResponse,
} from '../contract/sources';
import * as configs from '../db/configs';
import { deleteCredentials, setCredentials, storedCredentialNames } from '../db/credentials';
import { inTransaction } from '../db/pool';
import { credentialNames } from '../domain/config-params';
import { applyRunEvent } from '../db/runs';
import { removeRunJobs } from '../queues/run-flow';
import { nextRunAt, nextRunsAt, syncConfigSchedule } from '../queues/schedules';
import { suggestMapping } from '../domain/suggest-mapping';
import { Readable } from 'node:stream';
import { resolveConfig } from '../domain/config-params';
import { leafPathsOf, type SourceFields } from '../domain/record-paths';
import { openCsv } from '../sources/csv';
import { openJsonFile } from '../sources/json-file';
import { SourceError, type OpenedSource, type SourceInput } from '../sources/source';
import { openXlsx } from '../sources/xlsx';
import { ApiError, notFound, parseInput } from './errors';
import { sampleRecords } from '../sources/iterate';
import { idParam, type RouteSpec } from './routes';
import { readUploadStream } from './upload';

/** As much of a sample file as the CSV reader sniffs delimiter and encoding from. */
const sampleBytes = 64 * 1024;

async function assertDmoExists(ctx: PipelineContext, dmoId: number) {
  if (!(await configs.getDmo(ctx.db, dmoId))) {
    throw new ApiError(400, 'invalid_request', `dmo_id: DMO ${dmoId} does not exist`);
  }
}

/** A change to a config with unfinished runs needs the caller to say what becomes of them. */
async function settlePendingRuns(ctx: PipelineContext, configId: number, choice: 'keep' | 'cancel' | undefined) {
  const pending = await configs.pendingRunsOfConfig(ctx.db, configId);
  if (!pending.length || choice === 'keep') return;
  if (!choice) {
    throw new ApiError(
      409, 'pending_runs',
      `Config ${configId} has unfinished runs (${pending.map((run) => `${run.id} ${run.status}`).join(', ')}); ` +
        'send on_pending_runs: "keep" to let them finish with the old settings, or "cancel" to cancel them',
      { runs: pending },
    );
  }
  for (const run of pending) {
    const move = await applyRunEvent(ctx.db, run.id, 'cancelled', { errorSummary: `Cancelled because config ${configId} was changed` });
    if (move.moved) await removeRunJobs(ctx, run.id);
  }
}

/** The names of the credentials a config has set, each "set": the values never leave the server. */
const credentialsShown = (names: string[] | undefined) => Object.fromEntries((names ?? []).map((name) => [name, 'set' as const]));

/** A config as the API shows it: its credentials as set, and when its schedule next starts a run (null for manual or inactive). */
async function withNextRun(ctx: PipelineContext, config: configs.ConfigRow) {
  const names = await storedCredentialNames(ctx.db, [config.id]);
  return { ...config, credentials: credentialsShown(names.get(config.id)), next_run_at: await nextRunAt(ctx, config.id) };
}

/** Credentials can only be stored encrypted: without SECRETS_KEY, a config that sets one is refused. */
function assertCanStore(ctx: PipelineContext, credentials: Record<string, string | null> | undefined) {
  const setting = Object.entries(credentials ?? {}).find(([, value]) => value !== null);
  if (setting && !ctx.settings.SECRETS_KEY) {
    throw new ApiError(400, 'secrets_key_missing',
      `credentials.${setting[0]}: this server cannot store credentials because SECRETS_KEY is not set; ` +
      'set SECRETS_KEY (32 random bytes in base64, e.g. openssl rand -base64 32) on the server and workers, then save again');
  }
}

const originOf = (url: string | undefined) => {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
};

/**
 * A stored credential goes to the site of import.base_url: whoever moves base_url to another site must
 * send the credentials again (or null them), or anyone who may edit a config could have a password
 * that is never shown sent to a server of their own.
 */
async function assertCredentialsFollow(ctx: PipelineContext, current: configs.ConfigRow, patch: ConfigPatch): Promise<void> {
  if (patch.config_params === undefined) return;
  const before = originOf(current.config_params.import?.base_url);
  const after = originOf(patch.config_params.import?.base_url);
  if (before === after) return;
  const stored = (await storedCredentialNames(ctx.db, [current.id])).get(current.id) ?? [];
  // a change of type drops the old type's credentials anyway
  const sourceType = patch.source_type ?? current.source_type;
  const kept = stored.filter((name) => credentialNames[sourceType].includes(name) && !(name in (patch.credentials ?? {})));
  if (kept.length) {
    throw new ApiError(400, 'invalid_request',
      `credentials.${kept[0]}: import.base_url moves to ${after ?? 'no site'}; send the credentials again with this change (or null to remove them): ` +
      'a stored credential is never sent to another site than the one it was set for');
  }
}

export function sourceRoutes(ctx: PipelineContext): RouteSpec[] {
  return [
    { method: 'get', path: '/dmos', access: 'pipeline:read', handler: async () => ({ dmos: await configs.listDmos(ctx.db) }) },
    {
      method: 'post', path: '/dmos', access: 'pipeline:write',
      handler: async (req, res) => {
        const dmo = await configs.createDmo(ctx.db, parseInput(dmoBody, req.body));
        res.status(201);
        return dmo;
      },
    },
    {
      method: 'get', path: '/dmos/:id', access: 'pipeline:read',
      handler: async (req) => (await configs.getDmo(ctx.db, idParam(req))) ?? Promise.reject(notFound(`DMO ${req.params.id}`)),
    },
    {
      method: 'patch', path: '/dmos/:id', access: 'pipeline:write',
      handler: async (req) => {
        const dmo = await configs.updateDmo(ctx.db, idParam(req), parseInput(dmoPatch, req.body));
        return dmo ?? Promise.reject(notFound(`DMO ${req.params.id}`));
      },
    },
    {
      method: 'delete', path: '/dmos/:id', access: 'pipeline:write',
      handler: async (req) => {
        const id = idParam(req);
        if (await configs.dmoInUse(ctx.db, id)) {
          throw new ApiError(409, 'in_use', `DMO ${id} still has configs or listings; delete or move those first`);
        }
        if (!(await configs.deleteDmo(ctx.db, id))) throw notFound(`DMO ${id}`);
        return { deleted: id };
      },
    },
    {
      method: 'get', path: '/configs', access: 'pipeline:read',
      handler: async () => {
        const next = await nextRunsAt(ctx);
        const list = await configs.listConfigs(ctx.db);
        const names = await storedCredentialNames(ctx.db, list.map((config) => config.id));
        return {
          configs: list.map((config) => ({ ...config, credentials: credentialsShown(names.get(config.id)), next_run_at: next.get(config.id) ?? null })),
        };
      },
    },
    {
      method: 'post', path: '/configs', access: 'pipeline:write',
      handler: async (req, res) => {
        const body = parseInput(configBody, req.body);
        await assertDmoExists(ctx, body.dmo_id);
        assertCanStore(ctx, body.credentials);
        res.status(201);
        const config = await inTransaction(ctx.db, async (client) => {
          const created = await configs.createConfig(client, body);
          await setCredentials(client, created.id, body.credentials ?? {}, ctx.settings.SECRETS_KEY);
          return created;
        });
        await syncConfigSchedule(ctx, config, config.id);
        return withNextRun(ctx, config);
      },
    },
    {
      // pipeline:read: it reads only what the caller sends, stores nothing and changes nothing
      method: 'post', path: '/configs/suggest-mapping', access: 'pipeline:read',
      handler: (req) => suggestMappingFor(req, ctx.settings.UPLOAD_MAX_BYTES),
    },
    {
      method: 'get', path: '/configs/:id', access: 'pipeline:read',
      handler: async (req) => {
        const config = await configs.getConfig(ctx.db, idParam(req, 'id', maxBigSerialId));
        if (!config) throw notFound(`Config ${req.params.id}`);
        return withNextRun(ctx, config);
      },
    },
    {
      method: 'patch', path: '/configs/:id', access: 'pipeline:write',
      handler: async (req) => {
        const id = idParam(req, 'id', maxBigSerialId);
        const { on_pending_runs, ...patch } = parseInput(configPatch, req.body);
        const current = await configs.getConfig(ctx.db, id);
        if (!current) throw notFound(`Config ${id}`);
        // a new type or new params are checked together: a csv config's delimiter is refused on a wordpress one
        const sourceType = patch.source_type ?? current.source_type;
        if (patch.source_type !== undefined || patch.config_params !== undefined) {
          parseInput(configParamsFor(sourceType), patch.config_params ?? current.config_params, 'config_params');
        }
        const wrongCredential = credentialIssues(sourceType, patch.credentials)[0];
        if (wrongCredential) throw new ApiError(400, 'invalid_request', `credentials.${String(wrongCredential.path[1])}: ${wrongCredential.message}`);
        assertCanStore(ctx, patch.credentials);
        await assertCredentialsFollow(ctx, current, patch);
        if (patch.dmo_id !== undefined) await assertDmoExists(ctx, patch.dmo_id);
        await settlePendingRuns(ctx, id, on_pending_runs);
        const config = await inTransaction(ctx.db, async (client) => {
          const updated = (await configs.updateConfig(client, id, patch))!;
          // a credential of the old type has nothing to do with the new one
          const stale = (await storedCredentialNames(client, [id])).get(id)?.filter((name) => !credentialNames[sourceType].includes(name)) ?? [];
          await setCredentials(client, id, { ...Object.fromEntries(stale.map((name) => [name, null])), ...patch.credentials }, ctx.settings.SECRETS_KEY);
          return updated;
        });
        await syncConfigSchedule(ctx, config, id);
        return withNextRun(ctx, config);
      },
    },
    {
      method: 'delete', path: '/configs/:id', access: 'pipeline:write',
      handler: async (req) => {
        const id = idParam(req, 'id', maxBigSerialId);
        const choice = parseInput(configDeleteQuery, { ...req.query, ...(req.body ?? {}) }).on_pending_runs;
        if (!(await configs.getConfig(ctx.db, id))) throw notFound(`Config ${id}`);
        await settlePendingRuns(ctx, id, choice);
        await configs.deleteConfig(ctx.db, id);
        await deleteCredentials(ctx.db, id);
        await syncConfigSchedule(ctx, null, id);
        return { deleted: id };
      },
    },
  ];
}

/**
 * A sample file (multipart `file`) or `{headers}` → the mapping its fields suggest. A CSV's header line
 * (only its start is read), an XLSX workbook's header row (the workbook is read up to that row), the
 * leaf paths of a JSON or NDJSON file's first records (a document's list by a `records_path` field).
 */
async function suggestMappingFor(req: Request, dropLimit: number): Promise<SuggestMappingResponse> {
  if (!req.is('multipart/form-data')) {
    const { headers } = parseInput(suggestMappingBody, req.body);
    const repeated = headers.find((name, i) => headers.indexOf(name) !== i);
    if (repeated) throw new ApiError(400, 'invalid_request', `headers: "${repeated}" is named twice; a mapping names each column once`);
    return { delimiter: null, encoding: null, headers, mapping: suggestMapping(headers) };
  }
  return readUploadStream(req, dropLimit, async (file, fileName, fields) => {
    const refuse = (problem: string) => new ApiError(400, 'invalid_sample', `${fileName}: ${problem}`);
    try {
      const sample = await sampleOf(file);
      if (!sample.bytes.length) throw refuse('the file is empty');
      const fromSource = (open: (input: SourceInput) => Promise<OpenedSource>) => open({ upload: Readable.from(sample.all()) } as SourceInput);
      let found: { delimiter: string | null; encoding: string | null; headers: string[] };
      if (isWorkbook(fileName, sample.bytes)) {
        const source = await fromSource((input) => openXlsx({ ...input, config: resolveConfig({}, 'xlsx') }, () => undefined));
        await source.records[Symbol.asyncIterator]().return?.(undefined);
        found = { delimiter: null, encoding: null, headers: source.fields ?? [] };
      } else if (isJson(fileName, sample.bytes)) {
        const recordsPath = fields.records_path?.trim();
        const config = resolveConfig({ import: recordsPath ? { records_path: recordsPath } : {} }, 'json');
        const source = await fromSource((input) => openJsonFile({ ...input, config }, () => undefined));
        found = { delimiter: null, encoding: source.format?.encoding ?? null, headers: await firstRecordPaths(source) };
      } else {
        if (!sample.complete && !/[\r\n]/.test(sample.bytes.toString('latin1'))) {
          throw refuse(`the header line is longer than ${sampleBytes / 1024} KiB; is this a CSV file?`);
        }
        const csv = await openCsv((async function* () {
          yield sample.bytes;
        })(), { encoding: 'auto' }, () => undefined);
        found = { delimiter: csv.delimiter, encoding: csv.encoding, headers: csv.headers };
      }
      if (found.headers.length > maxSuggestHeaders) {
        const what = found.delimiter ? `the header line has ${found.headers.length} columns` : `it has ${found.headers.length} fields`;
        throw refuse(`${what}; a listings export has at most ${maxSuggestHeaders}`);
      }
      return { ...found, mapping: suggestMapping(found.headers) };
    } catch (error) {
      if (error instanceof SourceError) throw refuse(error.message);
      throw error;
    } finally {
      file.resume();
    }
  });
}

/** The start of a sample file, and the whole of it from its start for a reader that needs more. */
async function sampleOf(file: Readable) {
  const input = file[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < sampleBytes) {
    const next = await input.next();
    if (next.done) {
      ended = true;
      break;
    }
    parts.push(next.value as Buffer);
    size += (next.value as Buffer).length;
  }
  const whole = Buffer.concat(parts);
  // a chunk may run past the sample: the CSV reader is given the sample only, as the import's sniffing reads
  const bytes = whole.subarray(0, sampleBytes);
  const complete = ended && whole.length <= sampleBytes;
  async function* all() {
    yield whole;
    if (ended) return;
    for (let next = await input.next(); !next.done; next = await input.next()) yield next.value as Buffer;
  }
  return { bytes, complete, all };
}

const isWorkbook = (fileName: string, bytes: Buffer) =>
  /\.xlsx?$/i.test(fileName) || bytes.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 3, 4])) || bytes.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]));

function isJson(fileName: string, bytes: Buffer): boolean {
  if (/\.(json|ndjson|jsonl)$/i.test(fileName)) return true;
  const start = bytes.subarray(0, 1024).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return start.startsWith('[') || start.startsWith('{');
}

/** The leaf paths of a JSON source's first records; a sample cut short still gives the records before the cut. */
async function firstRecordPaths(source: OpenedSource): Promise<string[]> {
  const read: SourceFields[] = [];
  const records = source.records[Symbol.asyncIterator]();
  try {
    for (let next = await records.next(); !next.done && read.length < sampleRecords; next = await records.next()) read.push(next.value.fields);
  } catch (error) {
    if (!read.length) throw error;
  } finally {
    await records.return?.(undefined);
  }
  return leafPathsOf(read);
}
