// What a config may say (config_params), checked with zod so an error names the field path, and the
// defaults DESIGN.md gives. Every section and key is optional.
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { canonicalFields } from './canonical';
import { nearestKey, unknownKeyMessage } from './nearest-key';

export const sourceTypes = ['csv', 'json', 'xlsx', 'wordpress', 'drupal', 'website', 'api', 'poi'] as const;
export type SourceType = (typeof sourceTypes)[number];
/** Sources an admin uploads a file for; the others fetch (poi fetches from import.base_url, or takes an upload without one). */
export const fileSourceTypes: readonly SourceType[] = ['csv', 'json', 'xlsx'];

/** Whether a run of this config waits for an uploaded file. */
export function needsUpload(sourceType: SourceType, params: { import?: { base_url?: string } }): boolean {
  return fileSourceTypes.includes(sourceType) || (sourceType === 'poi' && !params.import?.base_url);
}

export const mergePolicies = ['latest_wins', 'skip_if_exists', 'field_level_merge'] as const;
export type MergePolicy = (typeof mergePolicies)[number];

const canonicalField = z.enum(canonicalFields, {
  error: (issue) => `unknown canonical field ${JSON.stringify(issue.input)}; expected one of ${canonicalFields.join(', ')}`,
});
const ratio = z.number().min(0).max(1);

/** A section that refuses keys it does not know, naming the one a typo was probably meant to be. */
function section<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? issue.keys.map((key) => unknownKeyMessage(key, known)).join('; ') : undefined),
  });
}

// The import settings every source type has, then each type's own: `import` is strict per source
// type, so a key another type uses (a sheet name on a CSV) is refused like a typo, naming its path.
const commonImport = {
  source_id_column: z.string().min(1).optional(),
  source_id_fields: z.array(canonicalField).min(1).optional(),
  full_snapshot: z.boolean().optional(),
  max_delete_ratio: ratio.optional(),
  /** Not a full snapshot: a record missed by this many runs of the config in a row is proposed for a soft delete; 0: never (a feed of changes only). */
  unseen_runs_before_delete: z.number().int().min(0).max(1000).optional(),
  split_records: z.number().int().min(1).max(1_000_000).optional(),
  split_bytes: z.number().int().min(1024).optional(),
};
const siteUrl = z.string().url().refine((url) => /^https?:\/\//i.test(url), { message: 'expected an http(s) URL' });
/** Extra query parameters a site wants on every list request (a language, a status filter). */
const extraQuery = z.record(z.string().min(1), z.string()).optional();
/** A dotted path into a JSON record or document (`data.items`, `acf.phone`). */
const jsonPath = z.string().min(1).max(200);

const importByType = {
  csv: {
    delimiter: z.string().length(1).optional(),
    encoding: z.enum(['auto', 'utf-8', 'latin1', 'windows-1252']).optional(),
  },
  json: {
    /** Where the records are in a JSON document that is not itself an array (`data.items`); unset: the top-level array, or NDJSON. */
    records_path: jsonPath.optional(),
  },
  xlsx: {
    /** The sheet to read, by name; unset: the first. */
    sheet: z.string().min(1).max(31).optional(),
  },
  wordpress: {
    base_url: siteUrl.optional(),
    /** The REST route of the post type: posts, pages, or a custom type's rest_base such as listings. */
    post_type: z.string().regex(/^[a-z0-9_-]+$/i, { message: 'expected a REST route name such as posts or listings' }).optional(),
    per_page: z.number().int().min(1).max(100).optional(),
    /** Ask for _embed (featured media, terms): on by default. */
    embed: z.boolean().optional(),
    query: extraQuery,
    /** The WordPress user of an application password (the password itself is a credential). */
    username: z.string().min(1).max(200).optional(),
  },
  drupal: {
    base_url: siteUrl.optional(),
    entity_type: z.string().regex(/^[a-z0-9_]+$/, { message: 'expected a machine name such as node' }).optional(),
    bundle: z.string().regex(/^[a-z0-9_]+$/, { message: 'expected a machine name such as listing' }).optional(),
    /** Relationships to include and resolve (`field_image`, `field_tags`). */
    include: z.array(z.string().regex(/^[a-z0-9_.]+$/, { message: 'expected a relationship field name such as field_image' })).optional(),
    page_limit: z.number().int().min(1).max(50).optional(),
    query: extraQuery,
    /** The Drupal user for HTTP Basic authentication (the password itself is a credential). */
    username: z.string().min(1).max(200).optional(),
  },
  api: {
    /** The first page's URL. */
    base_url: siteUrl.optional(),
    /** Where a page's list of records is (`data.hotels`); unset: the page is the list. */
    records_path: jsonPath.optional(),
    pagination: section({
      /** page: ?page=1,2…; offset: ?offset=0,100…; cursor: the next page's cursor from cursor_path; next_url: the next page's URL from next_path; none: one page. */
      type: z.enum(['page', 'offset', 'cursor', 'next_url', 'none']),
      /** The query parameter of the page number, offset or cursor (page, offset, cursor by default). */
      param: z.string().min(1).max(100).optional(),
      /** The query parameter of the page size, and the size asked for. */
      size_param: z.string().min(1).max(100).optional(),
      page_size: z.number().int().min(1).max(10_000).optional(),
      /** The first page's number (page) or offset (offset). */
      start: z.number().int().min(0).optional(),
      cursor_path: jsonPath.optional(),
      next_path: jsonPath.optional(),
      max_pages: z.number().int().min(1).max(1_000_000).optional(),
    }).optional(),
    /** How the API key (a credential) is sent: a header (X-Api-Key, or Authorization with a scheme) or a query parameter. */
    auth: section({
      header: z.string().regex(/^[A-Za-z0-9-]+$/, { message: 'expected a header name such as X-Api-Key' }).optional(),
      scheme: z.string().regex(/^[A-Za-z]+$/, { message: 'expected a scheme such as Bearer' }).optional(),
      query_param: z.string().min(1).max(100).optional(),
    }).optional(),
    query: extraQuery,
    /** Requests per second to the API, shared by the whole fleet. */
    rate_per_sec: z.number().min(1 / 60, { message: 'expected at least one request a minute (1/60)' }).max(100).optional(),
  },
  website: {
    /** The first list page. */
    base_url: siteUrl.optional(),
    /** Each listing on a list page, and the link to its detail page when the fields are read there. */
    list: section({
      item: z.string().min(1).max(500),
      link: z.string().min(1).max(500).optional(),
    }).optional(),
    /** The next list page: a link (`a[rel=next]`), or a URL pattern with {page} counted from 1 (or start). */
    next: section({
      link: z.string().min(1).max(500).optional(),
      page_pattern: z.string().min(1).max(2000).refine((value) => value.includes('{page}'), { message: 'expected a URL with {page} in it' }).optional(),
      start: z.number().int().min(0).optional(),
    }).refine((next) => !(next.link && next.page_pattern), { message: 'set link or page_pattern, not both' }).optional(),
    /** Each source field: a selector (in the detail page, or in the list item without one), the text or an attribute, one value or all. */
    fields: z.record(z.string().min(1).max(100), section({
      selector: z.string().min(1).max(500),
      attr: z.string().min(1).max(100).optional(),
      many: z.boolean().optional(),
    })).refine((fields) => !('url' in fields), { message: 'url is the page each record was read from: give this field another name', path: ['url'] }).optional(),
    max_pages: z.number().int().min(1).max(100_000).optional(),
    /** Per host, shared by the whole fleet: requests per second (default 1) and at a time (default 2). */
    rate_per_sec: z.number().min(1 / 60, { message: 'expected at least one request a minute (1/60)' }).max(50).optional(),
    concurrency: z.number().int().min(1).max(16).optional(),
  },
  poi: {
    /** A GeoJSON or POI export to fetch; unset: the file is uploaded with each run. */
    base_url: siteUrl.optional(),
    /** geojson (a FeatureCollection), json (a list of records with coordinates) or csv; unset: told from the content. */
    format: z.enum(['geojson', 'json', 'csv']).optional(),
    records_path: jsonPath.optional(),
  },
} as const satisfies Record<SourceType, z.ZodRawShape>;

/**
 * The credentials a config of each type may set: kept apart from config_params, encrypted at rest
 * (db/credentials.ts), never shown back.
 */
export const credentialNames: Record<SourceType, readonly string[]> = {
  csv: [], json: [], xlsx: [], poi: [], website: [],
  wordpress: ['application_password'],
  drupal: ['password'],
  api: ['api_key'],
};

/** The import keys only this source type has: what a change of type leaves behind. */
export const ownImportKeys = Object.fromEntries(sourceTypes.map((type) => [type, Object.keys(importByType[type])])) as Record<SourceType, string[]>;

// Before the source type is known (a body's shape, a config read back), import takes the keys of any
// type; configParamsFor checks it against the config's own type.
const anyImportFields = Object.assign({}, commonImport, ...Object.values(importByType)) as typeof commonImport &
  typeof importByType.csv & typeof importByType.json & typeof importByType.xlsx & typeof importByType.wordpress & typeof importByType.drupal &
  typeof importByType.api & typeof importByType.website & typeof importByType.poi;

/**
 * An import section of these keys; any other is refused at its own path (`import.source_id_colum`),
 * naming the key it was probably meant to be, or the source types that do have it.
 */
function importSectionOf<Shape extends z.ZodRawShape>(shape: Shape, sourceType?: SourceType) {
  const known = Object.keys(shape);
  return z.looseObject(shape).superRefine((value, context) => {
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const near = nearestKey(key, known);
      const owners = sourceTypes.filter((type) => key in importByType[type]);
      const message = near ? `unknown key; did you mean ${near}?`
        : owners.length ? `not a setting of ${sourceType} sources (${owners.join(', ')} sources have it)`
        : `unknown key; expected one of ${known.join(', ')}`;
      context.addIssue({ code: 'custom', path: [key], message });
    }
  });
}
export const importSection = importSectionOf(anyImportFields);
/** The `import` section a config of this source type may have. */
export const importSectionFor = (sourceType: SourceType) => importSectionOf({ ...commonImport, ...importByType[sourceType] }, sourceType);

const transformSection = section({
  map_fields: z.partialRecord(canonicalField, z.string().min(1)).optional(),
  normalize_fields: z.array(canonicalField).optional(),
  round_lat_lng: z.number().int().min(0).max(8).optional(),
  list_separator: z.string().min(1).max(3).optional(),
});

const bounds = z.tuple([z.number(), z.number()]);
const validateSection = section({
  required_fields: z.array(canonicalField).optional(),
  data_types: z.partialRecord(canonicalField, z.enum(['text', 'numeric', 'email', 'url', 'phone'])).optional(),
  business_rules: section({
    lat_bounds: bounds.optional(),
    lng_bounds: bounds.optional(),
    dmo_geographic_bounds: section({ min_lat: z.number(), max_lat: z.number(), min_lng: z.number(), max_lng: z.number() }).optional(),
  }).optional(),
});

const geocodeSection = section({
  provider: z.enum(['gazetteer', 'google', 'nominatim', 'none']).optional(),
  base_url: z.string().url().optional(),
  rate_per_sec: z.number().positive().optional(),
});

const stageSection = section({
  auto_match_threshold: ratio.optional(),
  review_threshold: ratio.optional(),
});

const promoteSection = section({
  merge_policy: z.enum(mergePolicies).optional(),
  conflict_resolution: z
    .partialRecord(z.enum(['listings', 'listing_info', 'locations', 'contact_info']), z.enum(mergePolicies))
    .optional(),
  update_bridge_table: z.boolean().optional(),
  override_manual: z.boolean().optional(),
  auto_promote: z.boolean().optional(),
});

const laterSections = {
  transform: transformSection.optional(),
  validate: validateSection.optional(),
  geocode: geocodeSection.optional(),
  stage: stageSection.optional(),
  promote: promoteSection.optional(),
};
export const configParamsSchema = section({ import: importSection.optional(), ...laterSections });
export type ConfigParams = z.infer<typeof configParamsSchema>;

/** The config_params a config of this source type may have: as configParamsSchema, import checked for the type. */
export function configParamsFor(sourceType: SourceType) {
  return section({ import: importSectionFor(sourceType).optional(), ...laterSections });
}

export const namedSchedules = ['manual', 'hourly', 'daily', 'weekly', 'monthly'] as const;
export const scheduleSchema = z.string().refine(
  (value) => {
    if ((namedSchedules as readonly string[]).includes(value)) return true;
    try {
      CronExpressionParser.parse(value);
      return value.trim().split(/\s+/).length >= 5;
    } catch {
      return false;
    }
  },
  { message: `expected ${namedSchedules.join(', ')} or a cron pattern such as "0 3 * * *"` },
);

/** The settings a run works with: the config's values over the defaults. */
export function resolveConfig(params: ConfigParams, sourceType: SourceType) {
  const fileSource = fileSourceTypes.includes(sourceType);
  return {
    import: {
      ...params.import,
      source_id_column: params.import?.source_id_column,
      post_type: params.import?.post_type ?? 'posts',
      per_page: params.import?.per_page ?? 100,
      embed: params.import?.embed ?? true,
      entity_type: params.import?.entity_type ?? 'node',
      page_limit: params.import?.page_limit ?? 50,
      // a scraped site is asked politely by default; an API's own limit is usually higher
      rate_per_sec: params.import?.rate_per_sec ?? (sourceType === 'website' ? 1 : 10),
      concurrency: params.import?.concurrency ?? 2,
      max_pages: params.import?.max_pages ?? 1_000,
      source_id_fields: params.import?.source_id_fields ?? (['listings.name', 'locations.address1', 'locations.city'] as const),
      full_snapshot: params.import?.full_snapshot ?? fileSource,
      max_delete_ratio: params.import?.max_delete_ratio ?? 0.2,
      unseen_runs_before_delete: params.import?.unseen_runs_before_delete ?? 3,
      delimiter: params.import?.delimiter,
      encoding: params.import?.encoding ?? 'auto',
      split_records: params.import?.split_records ?? 5_000,
      split_bytes: params.import?.split_bytes ?? 8 * 1024 * 1024,
    },
    transform: {
      map_fields: params.transform?.map_fields ?? {},
      normalize_fields: params.transform?.normalize_fields ?? [],
      round_lat_lng: params.transform?.round_lat_lng ?? 5,
      list_separator: params.transform?.list_separator ?? '|',
    },
    validate: {
      required_fields: params.validate?.required_fields ?? [],
      data_types: params.validate?.data_types ?? {},
      business_rules: params.validate?.business_rules ?? {},
    },
    geocode: { provider: params.geocode?.provider, base_url: params.geocode?.base_url, rate_per_sec: params.geocode?.rate_per_sec },
    stage: {
      auto_match_threshold: params.stage?.auto_match_threshold ?? 0.8,
      review_threshold: params.stage?.review_threshold ?? 0.5,
    },
    promote: {
      merge_policy: params.promote?.merge_policy ?? 'latest_wins',
      conflict_resolution: params.promote?.conflict_resolution ?? {},
      update_bridge_table: params.promote?.update_bridge_table ?? true,
      override_manual: params.promote?.override_manual ?? false,
      auto_promote: params.promote?.auto_promote ?? false,
    },
  };
}
export type ResolvedConfig = ReturnType<typeof resolveConfig>;
