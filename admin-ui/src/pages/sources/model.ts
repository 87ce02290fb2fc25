// What the Sources page works with: DMOs and configs as the API sends them (types taken from the
// contract's schemas), the words a content admin reads for their codes, and the pure helpers the
// config form edits config_params with. The server's own schemas check every change as it is typed.
import { formatPath } from '@contract/errors';
import type { z } from 'zod';
import {
  canonicalFields, configBody, credentialNames, dmoBody, dmoTypes, fileSourceTypes, mergePolicies, namedSchedules, ownImportKeys, resolveConfig,
  sourceTypes,
  type CanonicalField, type ConfigBody, type ConfigParams, type DmoBody, type MergePolicy, type SourceType,
} from '@contract/sources';

export { canonicalFields, credentialNames, fileSourceTypes, mergePolicies, namedSchedules, ownImportKeys, resolveConfig, sourceTypes };
export type { CanonicalField, ConfigParams, MergePolicy, SourceType };

/** A DMO as GET /dmos answers it: the body it was created with, plus its id and timestamps. */
export type Dmo = DmoBody & { id: number; created_at: string; updated_at: string };
/** A config as GET /configs answers it: its credentials only named, each "set". */
export type Config = Omit<ConfigBody, 'credentials'> & {
  id: number; version: number; created_at: string; updated_at: string; next_run_at: string | null; credentials?: Record<string, 'set'>;
};

export type DmoTypeId = keyof typeof dmoTypes;
export const dmoTypeIds = Object.keys(dmoTypes).map(Number) as DmoTypeId[];
export const dmoTypeLabel = (id: number) => dmoTypes[id as DmoTypeId] ?? `type ${id}`;

export const isFileSource = (type: SourceType) => fileSourceTypes.includes(type);

const sourceTypeWords: Record<SourceType, string> = {
  csv: 'CSV file', json: 'JSON file', xlsx: 'Spreadsheet (XLSX)', wordpress: 'WordPress site', drupal: 'Drupal site',
  website: 'Website (scraped)', api: 'JSON API', poi: 'POI data set (GeoJSON)',
};
export const sourceTypeLabel = (type: string) => sourceTypeWords[type as SourceType] ?? type;
/** What happens when a config of this type runs, in a content admin's words. */
export function sourceTypeHint(type: SourceType): string {
  if (isFileSource(type)) return 'You upload a file each time it runs.';
  if (type === 'wordpress' || type === 'drupal') return 'Fetched from the site\'s REST API each time it runs.';
  if (type === 'poi') return 'Fetched from its address each time it runs, or uploaded when it has none.';
  if (type === 'website') return 'The site\'s pages are read each time it runs, politely (robots.txt, one request a second).';
  return 'Fetched from the API page by page each time it runs.';
}

/** config_params for a new source type: the old type's own import settings (a CSV's delimiter) go, the rest stays. */
export function withSourceType(params: ConfigParams, from: SourceType, to: SourceType): ConfigParams {
  if (from === to || !isPlainObject(params.import)) return params;
  const kept = Object.fromEntries(Object.entries(params.import).filter(([key]) => !ownImportKeys[from].includes(key) || ownImportKeys[to].includes(key)));
  const next: Record<string, unknown> = { ...params, import: kept };
  if (!Object.keys(kept).length) delete next.import;
  return next as ConfigParams;
}

const scheduleWords: Record<(typeof namedSchedules)[number], string> = {
  manual: 'Only when started by hand', hourly: 'Every hour', daily: 'Every day', weekly: 'Every week', monthly: 'Every month',
};
export const isNamedSchedule = (value: string): value is (typeof namedSchedules)[number] =>
  (namedSchedules as readonly string[]).includes(value);
export const scheduleLabel = (value: string) => (isNamedSchedule(value) ? scheduleWords[value] : `Cron: ${value}`);
export const scheduleOptions = namedSchedules.map((value) => ({ value, label: scheduleWords[value] }));

const mergePolicyWords: Record<MergePolicy, string> = {
  latest_wins: 'The newest import wins',
  skip_if_exists: 'Keep what production has; only fill new listings',
  field_level_merge: 'Fill empty fields only, keep the rest',
};
export const mergePolicyOptions = mergePolicies.map((value) => ({ value, label: `${mergePolicyWords[value]} (${value})` }));

const tableWords: Record<string, string> = {
  listings: 'Listing', locations: 'Location', listing_info: 'DMO’s own', contact_info: 'Contact',
  listing_images: 'Images', attributes: 'Attributes', opening_hours: 'Opening hours',
};
/** "Location: address1" for locations.address1. */
export function fieldLabel(field: string): string {
  const [table = '', column = ''] = field.split('.');
  return `${tableWords[table] ?? table}: ${column.replace(/_/g, ' ')}`;
}
export const canonicalOptions = canonicalFields.map((field) => ({ value: field, label: `${fieldLabel(field)} (${field})` }));

const delimiterWords: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe (|)' };
export const delimiterLabel = (delimiter: string) => delimiterWords[delimiter] ?? `“${delimiter}”`;

// ---------------------------------------------------------------- the config being edited

export interface ConfigDraft {
  dmo_id: number | null;
  name: string;
  source_type: SourceType;
  data_domain: string;
  schedule: string;
  active: boolean;
  config_params: ConfigParams;
  /** Credentials to set (a string) or remove (null) with the save; the server never sends them back. */
  credentials: Record<string, string | null>;
}

export function newDraft(dmoId: number | null): ConfigDraft {
  return { dmo_id: dmoId, name: '', source_type: 'csv', data_domain: 'listings', schedule: 'manual', active: true, config_params: {}, credentials: {} };
}

export function draftOf(config: Config): ConfigDraft {
  return {
    dmo_id: config.dmo_id, name: config.name ?? '', source_type: config.source_type, data_domain: config.data_domain,
    schedule: config.schedule, active: config.active, config_params: config.config_params ?? {}, credentials: {},
  };
}

/** The body POST and PATCH /configs get: every field, so a save says exactly what the form shows. */
export function draftBody(draft: ConfigDraft) {
  return {
    dmo_id: draft.dmo_id ?? undefined,
    name: draft.name.trim() ? draft.name : null,
    source_type: draft.source_type,
    data_domain: draft.data_domain,
    schedule: draft.schedule,
    active: draft.active,
    config_params: draft.config_params,
    ...(Object.keys(draft.credentials).length ? { credentials: draft.credentials } : {}),
  };
}

type Section = keyof ConfigParams;
type SectionValue<S extends Section> = NonNullable<ConfigParams[S]>;
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * config_params with one key set, or removed when the value is empty (so the default applies); a
 * section left empty is removed too, and everything else (keys the form does not show) is kept.
 */
export function withParam<S extends Section, K extends keyof SectionValue<S> & string>(
  params: ConfigParams, section: S, key: K, value: SectionValue<S>[K] | undefined,
): ConfigParams {
  const current = isPlainObject(params[section]) ? { ...(params[section] as Record<string, unknown>) } : {};
  const empty = value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
  if (empty) delete current[key];
  else current[key] = value;
  const next: Record<string, unknown> = { ...params };
  if (Object.keys(current).length) next[section] = current;
  else delete next[section];
  return next as ConfigParams;
}

/** transform.map_fields with one canonical field pointed at a source column, or unmapped. */
export function withMapping(params: ConfigParams, field: CanonicalField, column: string | undefined): ConfigParams {
  const current = isPlainObject(params.transform?.map_fields) ? { ...params.transform!.map_fields } : {};
  if (column) current[field] = column;
  else delete current[field];
  return withParam(params, 'transform', 'map_fields', Object.keys(current).length ? current : undefined);
}

export function mappingOf(params: ConfigParams): Partial<Record<CanonicalField, string>> {
  return isPlainObject(params.transform?.map_fields) ? params.transform!.map_fields : {};
}

// ---------------------------------------------------------------- messages by field

export { formatPath };

export interface FieldProblem {
  path: string;
  message: string;
}

export function problemsOf(error: z.ZodError | undefined): FieldProblem[] {
  return (error?.issues ?? []).map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** The server's 400 details ({path, message}) as problems to show beside the fields. */
export function problemsFromDetails(details: unknown): FieldProblem[] {
  if (!Array.isArray(details)) return [];
  return details.flatMap((detail) =>
    isPlainObject(detail) && typeof detail.path === 'string' && typeof detail.message === 'string'
      ? [{ path: detail.path, message: detail.message }] : []);
}

/** The messages for a field and its items (`validate.required_fields[2]` belongs to `validate.required_fields`). */
export function messageAt(problems: FieldProblem[], path: string): string | undefined {
  const hits = problems.filter((p) => p.path === path || p.path.startsWith(`${path}[`) || p.path.startsWith(`${path}.`));
  return hits.length ? [...new Set(hits.map((p) => p.message))].join('; ') : undefined;
}

export const validateConfig = (draft: ConfigDraft) => problemsOf(configBody.safeParse(draftBody(draft)).error);

export interface DmoDraft {
  name: string;
  dmo_type_id: number | null;
  domain_url: string;
  min_lat: number | null;
  max_lat: number | null;
  min_lng: number | null;
  max_lng: number | null;
}

export function dmoDraftOf(dmo: Dmo | null): DmoDraft {
  return {
    name: dmo?.name ?? '', dmo_type_id: dmo?.dmo_type_id ?? null, domain_url: dmo?.domain_url ?? '',
    min_lat: dmo?.min_lat ?? null, max_lat: dmo?.max_lat ?? null, min_lng: dmo?.min_lng ?? null, max_lng: dmo?.max_lng ?? null,
  };
}

export function dmoDraftBody(draft: DmoDraft) {
  return {
    name: draft.name,
    dmo_type_id: draft.dmo_type_id ?? undefined,
    domain_url: draft.domain_url.trim() ? draft.domain_url.trim() : null,
    min_lat: draft.min_lat, max_lat: draft.max_lat, min_lng: draft.min_lng, max_lng: draft.max_lng,
  };
}

export const validateDmo = (draft: DmoDraft) => problemsOf(dmoBody.safeParse(dmoDraftBody(draft)).error);
