// The edge of /api/v1/pipeline/dmos and /configs, as zod schemas: the server parses requests with them
// and the admin UI takes its types from them. Pure: zod and pure domain modules only (the browser
// imports this file), no node:, no database.
import { z } from 'zod';
import { canonicalFields } from '../domain/canonical';
import {
  configParamsSchema, credentialNames, importSection, importSectionFor, scheduleSchema, sourceTypes, type SourceType,
} from '../domain/config-params';

// What a config form needs beside the bodies, from the domain modules the server validates with.
export { canonicalFields, type CanonicalField } from '../domain/canonical';
export {
  configParamsFor, configParamsSchema, credentialNames, fileSourceTypes, mergePolicies, namedSchedules, needsUpload, ownImportKeys, resolveConfig, sourceTypes,
  type ConfigParams, type MergePolicy, type ResolvedConfig, type SourceType,
} from '../domain/config-params';

// Ids of serial (int4) tables stop here; larger ones would reach PostgreSQL as an out-of-range error.
export const maxSerialId = 2_147_483_647;
// Ids of bigserial tables (configs, runs, staged rows, files), as far as JavaScript numbers are exact.
export const maxBigSerialId = Number.MAX_SAFE_INTEGER;
/** An id in a JSON body: a whole number from 1 to max. */
export const idSchema = (max = maxSerialId) => z.number().int().positive().max(max);
/** An id in a query string: digits only (a coerced number would read " 1", "1e3" and "0x10" as ids too). */
export const idQuery = (max = maxSerialId) => {
  const error = `expected an id: a whole number from 1 to ${max}`;
  return z.string({ error: `${error}, given once` }).regex(/^\d{1,16}$/, { error }).transform(Number).pipe(z.number().min(1, { error }).max(max, { error }));
};

export const dmoTypes = { 1: 'scraped', 2: 'travel site', 3: 'client', 4: 'partner' } as const;

export const dmoBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  dmo_type_id: z.number().int().min(1).max(4, { message: 'expected 1 scraped, 2 travel site, 3 client or 4 partner' }),
  domain_url: z.string().url().nullish(),
  min_lat: z.number().min(-90).max(90).nullish(),
  max_lat: z.number().min(-90).max(90).nullish(),
  min_lng: z.number().min(-180).max(180).nullish(),
  max_lng: z.number().min(-180).max(180).nullish(),
});
export type DmoBody = z.infer<typeof dmoBody>;
export const dmoPatch = dmoBody.partial();
export type DmoPatch = z.infer<typeof dmoPatch>;

// A config's fields as a caller may send them, without defaults: a PATCH changes only what it names.
const configFields = {
  dmo_id: idSchema(),
  name: z.string().trim().max(200).nullish(),
  source_type: z.enum(sourceTypes, { error: `expected one of ${sourceTypes.join(', ')}` }),
  data_domain: z.string().regex(/^[a-z][a-z0-9_]*$/, { message: 'expected a lowercase word such as listings' }),
  schedule: scheduleSchema,
  active: z.boolean(),
  config_params: configParamsSchema,
  /** Set (a string) or remove (null) a credential; never sent back, GET shows which are set. */
  credentials: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, { message: 'expected a credential name such as api_key' }),
    z.string().min(1, { message: 'send null to remove a credential' }).max(4096).nullable()),
};

/** Credentials this source type does not have, each at its path. */
export function credentialIssues(sourceType: SourceType, credentials: Record<string, unknown> | undefined): z.core.$ZodIssue[] {
  const allowed = credentialNames[sourceType];
  return Object.keys(credentials ?? {}).filter((name) => !allowed.includes(name)).map((name) => ({
    code: 'custom', input: undefined, path: ['credentials', name],
    message: allowed.length ? `not a credential of ${sourceType} sources; expected ${allowed.join(' or ')}` : `${sourceType} sources have no credentials`,
  }));
}

/**
 * What config_params break of its source type's own import settings (a sheet on a CSV config), under
 * `config_params.import`; what the shared schema already refuses is not said twice.
 */
export function sourceTypeIssues(sourceType: SourceType, params: unknown): z.core.$ZodIssue[] {
  const section = (params as { import?: unknown } | null)?.import;
  if (section === undefined) return [];
  const said = new Set((importSection.safeParse(section).error?.issues ?? []).map((issue) => `${issue.path.join('.')}:${issue.message}`));
  return (importSectionFor(sourceType).safeParse(section).error?.issues ?? [])
    .filter((issue) => !said.has(`${issue.path.join('.')}:${issue.message}`))
    .map((issue) => ({ ...issue, path: ['config_params', 'import', ...issue.path] }));
}

export const configBody = z
  .strictObject({
    ...configFields,
    data_domain: configFields.data_domain.default('listings'),
    schedule: configFields.schedule.default('manual'),
    active: configFields.active.default(true),
    config_params: configFields.config_params.default({}),
    credentials: configFields.credentials.optional(),
  })
  .superRefine((body, context) => {
    for (const issue of [...sourceTypeIssues(body.source_type, body.config_params), ...credentialIssues(body.source_type, body.credentials)]) {
      context.addIssue({ ...issue, code: 'custom' } as never);
    }
  });
/** What a caller sends (defaults not yet applied) and what the server works with. */
export type ConfigBodyInput = z.input<typeof configBody>;
export type ConfigBody = z.infer<typeof configBody>;

export const pendingRunsChoice = z.enum(['keep', 'cancel']);
// no defaults here: zod's .partial() keeps them, and a PATCH of the name alone would reset the rest
export const configPatch = z.strictObject(configFields).partial().extend({ on_pending_runs: pendingRunsChoice.optional() });
export type ConfigPatch = z.infer<typeof configPatch>;
export const configDeleteQuery = z.object({ on_pending_runs: pendingRunsChoice.optional() });

// ---------------------------------------------------------------- suggest-mapping

/** More columns than this is not a listings export; the limit keeps the matching cheap. */
export const maxSuggestHeaders = 500;
export const maxHeaderLength = 200;

export const suggestMappingBody = z.strictObject({
  headers: z
    .array(z.string().trim().min(1, { message: 'a column name is empty' }).max(maxHeaderLength))
    .min(1, { message: 'send at least one column name' })
    .max(maxSuggestHeaders, { message: `at most ${maxSuggestHeaders} columns` }),
});
export type SuggestMappingBody = z.infer<typeof suggestMappingBody>;

export const suggestedField = z.object({ source: z.string(), confidence: z.number().min(0).max(1) });
export const suggestMappingResponse = z.object({
  /** sniffed from a sample file; null when only headers were sent */
  delimiter: z.string().nullable(),
  encoding: z.string().nullable(),
  headers: z.array(z.string()),
  /** canonical field → the column that most likely holds it; fields with no likely column are absent */
  mapping: z.partialRecord(z.enum(canonicalFields), suggestedField),
});
export type SuggestMappingResponse = z.infer<typeof suggestMappingResponse>;
