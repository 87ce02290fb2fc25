// The edge of the run endpoints (executeStage, uploadStageFile, /jobs, /staging), as zod schemas: the
// server parses requests with them and the admin UI takes its types from them. Responses are described
// as they travel, in JSON: timestamps are ISO 8601 strings. Pure: zod and pure domain modules only
// (the browser imports this file), no node:, no database.
import { z } from 'zod';
import { canonicalRecordSchema, contactSchema } from '../domain/canonical';
import { idQuery, idSchema, maxBigSerialId } from './sources';

import type { SourceType } from '../domain/config-params';
import { runStages, runStatuses } from '../domain/run-lifecycle';

export { runStages, runStatuses, type RunStatus } from '../domain/run-lifecycle';
export const recordActions = ['insert', 'update', 'unchanged', 'duplicate', 'delete', 'possible_match'] as const;
export type RecordAction = (typeof recordActions)[number];
export const reviewStatuses = ['pending', 'approved', 'rejected'] as const;
export type ReviewStatus = (typeof reviewStatuses)[number];

const runId = idSchema(maxBigSerialId);
const positive = z.coerce.number().int().positive();
// pages beyond this are empty for any run this product can hold; the cap keeps OFFSET a plain number
export const pageNumber = positive.max(1_000_000);
/** A query-string flag: only the words true and false, so a typo is a 400 rather than a silent false. */
const flag = z.enum(['true', 'false'], { error: 'expected true or false' }).transform((value) => value === 'true');
const timestamp = z.iso.datetime();

// ---------------------------------------------------------------- starting a run

/** The file types a run of each file source accepts, as <input accept> lists. */
export const acceptedUploads: Partial<Record<SourceType, readonly string[]>> = {
  csv: ['.csv', '.txt', 'text/csv'],
  json: ['.json', '.ndjson', '.jsonl', 'application/json', 'application/x-ndjson'],
  xlsx: ['.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  poi: ['.geojson', '.json', '.ndjson', '.csv', 'application/geo+json', 'application/json', 'text/csv'],
};

/** What a run of this source type accepts; empty (any file) for a type that has no list yet. */
export const acceptedUploadsFor = (sourceType: SourceType): string[] => [...(acceptedUploads[sourceType] ?? [])];

/** A source type's files in words, for "is not a … file". */
export const uploadKinds: Partial<Record<SourceType, string>> = { csv: 'CSV', json: 'JSON or NDJSON', xlsx: 'XLSX workbook', poi: 'GeoJSON, JSON or CSV' };

export const executeStageBody = z.union([
  z.strictObject({ configId: runId }),
  z.strictObject({ jobId: runId, continue: z.literal(true) }),
]);
export type ExecuteStageBody = z.infer<typeof executeStageBody>;
export const executeStageResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('waiting_for_input'), inputType: z.literal('file'), jobId: z.number(), accept: z.array(z.string()) }),
  z.object({ status: z.literal('queued'), jobId: z.number() }),
  /** a second trigger while the config has a run in flight answers with that run (DESIGN.md: one at a time) */
  z.object({ status: z.enum(['running', 'promoting']), jobId: z.number(), existing: z.literal(true) }),
]);
export type ExecuteStageResponse = z.infer<typeof executeStageResponse>;

/** POST /uploadStageFile answers 201 with this; `bytes` is the size of the stored file. */
export const uploadResponse = z.object({ fileId: z.number(), bytes: z.number() });
export type UploadResponse = z.infer<typeof uploadResponse>;

// ---------------------------------------------------------------- runs

export const jobsQuery = z.object({
  configId: idQuery(maxBigSerialId).optional(),
  status: z.enum(runStatuses).optional(),
  page: pageNumber.default(1),
  pageSize: positive.max(500).default(100),
});

export const runResults = z.object({
  records_total: z.number(),
  records_new: z.number(),
  records_updated: z.number(),
  records_deleted: z.number(),
  records_duplicates: z.number(),
  records_unchanged: z.number(),
  records_possible_match: z.number(),
  records_error: z.number(),
});
export type RunResults = z.infer<typeof runResults>;

/** GET /jobs/:id, and each of GET /jobs. */
export const runResponse = z.object({
  id: z.number(),
  config_id: z.number(),
  dmo_id: z.number(),
  status: z.enum(runStatuses),
  stage: z.enum(runStages),
  progress: z.object({ stage: z.enum(runStages), done: z.number(), total: z.number(), percent: z.number().min(0).max(100) }),
  created_at: timestamp,
  started_at: timestamp.nullable(),
  /** when staging ended: ready for review, or on to promote unattended */
  staged_at: timestamp.nullable(),
  /** when the run finished: promoted, failed, cancelled or superseded */
  finished_at: timestamp.nullable(),
  error_summary: z.string().nullable(),
  /** why a snapshot proposes none of its deletions, when it would delete too much */
  delete_guard: z.string().nullable(),
  results: runResults.nullable(),
  promote_results: z.record(z.string(), z.number()).nullable(),
});
export type RunResponse = z.infer<typeof runResponse>;

// ---------------------------------------------------------------- files of a run

export const jobFile = z.object({
  id: z.number(),
  job_id: z.number(),
  /** upload: the file an admin sent, kept as sent; raw: the gzipped NDJSON files the import wrote */
  kind: z.enum(['upload', 'raw']),
  seq: z.number(),
  storage_key: z.string(),
  original_name: z.string().nullable(),
  format: z.string(),
  data_domain: z.string(),
  dmo_id: z.number(),
  file_date: z.string(),
  bytes: z.number(),
  record_count: z.number().nullable(),
  first_rec_num: z.number().nullable(),
  created_at: timestamp,
});
export type JobFile = z.infer<typeof jobFile>;

export const maxPreviewRecords = 100;
export const previewQuery = z.object({ limit: positive.max(maxPreviewRecords).default(20) });

/** GET /jobs/:id/files/:fileId/preview: the first records of a file, as the import read or will read them. */
export const filePreview = z.object({
  columns: z.array(z.string()),
  records: z.array(z.object({
    /** the record's first line in the uploaded file */
    line: z.number().nullable(),
    /** raw files only: the run's record number and the source's own id */
    rec_num: z.number().nullable(),
    source_id: z.string().nullable(),
    fields: z.record(z.string(), z.unknown()),
  })),
  /** uploaded files only: lines within the previewed part that cannot be read as a record */
  problems: z.array(z.object({ line: z.number().nullable(), reason: z.string() })),
});
export type FilePreview = z.infer<typeof filePreview>;

// ---------------------------------------------------------------- errors of a run

export const errorsQuery = z.object({ page: pageNumber.default(1), pageSize: positive.max(1000).default(100) });

export const jobError = z.object({
  id: z.number(),
  file_id: z.number().nullable(),
  file_seq: z.number().nullable(),
  rec_num: z.number().nullable(),
  line: z.number().nullable(),
  field: z.string().nullable(),
  error_type: z.enum(['parse_error', 'validation_error']),
  error_message: z.string(),
  original_record: z.record(z.string(), z.unknown()).nullable(),
  /** the source column the field was read from, under the run's own mapping, and what the record held there */
  column: z.string().nullable(),
  value: z.string().nullable(),
  created_at: timestamp,
});
export type JobError = z.infer<typeof jobError>;
export const errorsPage = z.object({ errors: z.array(jobError), total: z.number() });

/** The fixed columns of GET /jobs/:id/errors.csv; the columns of the record as it was read follow them. */
export const errorsCsvColumns = ['line', 'field', 'reason', 'value'] as const;

// ---------------------------------------------------------------- staged rows and review

const actionOrNull = z.enum(recordActions).nullable();
export const geocodeStatuses = ['not_needed', 'pending', 'found', 'not_found', 'failed', 'out_of_bounds'] as const;

/** A production listing a staged row may be, with the evidence behind its confidence. */
export const matchCandidate = z.object({
  listing_id: z.number(),
  confidence: z.number(),
  name: z.string().nullable(),
  city: z.string().nullable(),
  name_similarity: z.number(),
  distance_m: z.number().nullable(),
  /** phone, website, address: true agree, false disagree, null cannot tell */
  evidence: z.object({
    name_similarity: z.number(),
    distance_m: z.number().nullable(),
    phone: z.boolean().nullable(),
    website: z.boolean().nullable(),
    address: z.boolean().nullable(),
  }),
});
export type MatchCandidate = z.infer<typeof matchCandidate>;

export const rowsQuery = z.object({
  jobId: idQuery(maxBigSerialId),
  action: z.enum(recordActions).optional(),
  review: z.enum(reviewStatuses).optional(),
  /** rows the pipeline proposes for promotion (ok_to_promote), or the others */
  proposed: flag.optional(),
  /** rows with at least one warning, or the rows without */
  warnings: flag.optional(),
  q: z.string().max(200).optional(),
  page: pageNumber.default(1),
  pageSize: positive.max(500).default(50),
});
export type RowsQuery = z.infer<typeof rowsQuery>;

/** One source record of a run as staged (or a deletion the stage step proposes: file_seq 0). */
export const stagedRow = canonicalRecordSchema
  .omit({ contact: true, country: true })
  .extend({
    id: z.number(),
    job_id: z.number(),
    file_seq: z.number(),
    rec_num: z.number(),
    line: z.number().nullable(),
    dmo_id: z.number(),
    source_id: z.string(),
    match_hash: z.string().nullable(),
    listing_id: z.number().nullable(),
    listing_info_id: z.number().nullable(),
    match_method: z.enum(['bridge', 'match_hash', 'fuzzy', 'manual']).nullable(),
    /** the record's own action: insert when its listing_info is new, update when any part changed, ... */
    action: actionOrNull,
    l_action: actionOrNull,
    li_action: actionOrNull,
    location_action: actionOrNull,
    contact_action: actionOrNull,
    images_action: actionOrNull,
    open_action: actionOrNull,
    attributes_action: actionOrNull,
    duplicate_of: z.number().nullable(),
    // a proposed deletion carries what production has, which may predate the country rule
    country: z.string().nullable(),
    contact: contactSchema.partial(),
    warnings: z.array(z.string()),
    ok_to_promote: z.boolean(),
    review_status: z.enum(reviewStatuses),
    reviewed_by: z.number().nullable(),
    reviewed_at: timestamp.nullable(),
    action_overridden: z.boolean(),
    geocode_status: z.enum(geocodeStatuses).nullable(),
    /** who gave the coordinates when the source did not: production, gazetteer, google, nominatim */
    geocode_provider: z.string().nullable(),
    /** how exact they are: 'city' is a city centre (the offline gazetteer), not the door */
    geocode_precision: z.string().nullable(),
    /** the fuzzy match's confidence in 0..1 (a possible match: its best candidate's) */
    certainty_score: z.number().nullable(),
    promoted_at: timestamp.nullable(),
    promote_outcome: z.enum(['inserted', 'updated', 'deleted', 'unchanged', 'skipped']).nullable(),
  });
export type StagedRow = z.infer<typeof stagedRow>;
export const rowsPage = z.object({ rows: z.array(stagedRow), total: z.number() });

export const countsQuery = z.object({ jobId: idQuery(maxBigSerialId) });
/** GET /staging/counts: the numbers on the review tabs, for the whole run. */
export const stagingCounts = z.object({
  total: z.number(),
  actions: z.record(z.enum(recordActions), z.number()),
  review: z.record(z.enum(reviewStatuses), z.number()),
  /** approved rows by record action: what a promote would apply */
  approved: z.record(z.enum(recordActions), z.number()),
  /** rows with at least one warning */
  warnings: z.number(),
  /** rows the pipeline proposes for promotion (ok_to_promote) */
  proposed: z.number(),
});
export type StagingCounts = z.infer<typeof stagingCounts>;

export const reviewBody = z.strictObject({
  jobId: runId,
  ids: z.array(runId).max(10_000).optional(),
  filter: z.strictObject({
    action: z.enum(recordActions).optional(),
    review: z.enum(reviewStatuses).optional(),
    proposed: z.boolean().optional(),
    warnings: z.boolean().optional(),
  }).optional(),
  decision: z.enum(['approve', 'reject']),
  override_action: z.enum(['insert', 'update', 'unchanged', 'delete']).optional(),
  match_listing_id: idSchema().optional(),
  create_new: z.boolean().optional(),
}).refine((body) => body.ids || body.filter, { message: 'say which rows: ids or filter' });
export type ReviewBody = z.infer<typeof reviewBody>;
export const reviewResponse = z.object({ updated: z.number() });

export const promoteBody = z.strictObject({ jobId: runId });
export const promoteResponse = z.object({ jobId: z.number(), status: z.enum(['promoting', 'promoted']) });
