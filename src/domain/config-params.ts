// What a config may say (config_params), checked with zod so an error names the field path, and the
// defaults DESIGN.md gives. Every section and key is optional.
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { canonicalFields } from './canonical';
import { nearestKey, unknownKeyMessage } from './nearest-key';

export const sourceTypes = ['csv', 'json', 'wordpress', 'drupal', 'website', 'api', 'poi'] as const;
export type SourceType = (typeof sourceTypes)[number];
/** Sources an admin uploads a file for; the others fetch. */
export const fileSourceTypes: readonly SourceType[] = ['csv'];

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

const importFields = {
  base_url: z.string().url().optional(),
  post_type: z.string().min(1).optional(),
  bundle: z.string().min(1).optional(),
  source_id_column: z.string().min(1).optional(),
  source_id_fields: z.array(canonicalField).min(1).optional(),
  full_snapshot: z.boolean().optional(),
  max_delete_ratio: ratio.optional(),
  delimiter: z.string().length(1).optional(),
  encoding: z.enum(['auto', 'utf-8', 'latin1', 'windows-1252']).optional(),
  split_records: z.number().int().min(1).max(1_000_000).optional(),
  split_bytes: z.number().int().min(1024).optional(),
};
// Sources keep their own settings beside the common ones (a sheet name, a page size), so import takes
// keys it does not know; a key a typo away from a known one is refused, since it was surely meant.
const importSection = z.looseObject(importFields).superRefine((value, context) => {
  const known = Object.keys(importFields);
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const near = nearestKey(key, known);
    if (near) context.addIssue({ code: 'custom', path: [key], message: `unknown key; did you mean ${near}?` });
  }
});

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
  business_rules: z
    .strictObject({
      lat_bounds: bounds.optional(),
      lng_bounds: bounds.optional(),
      dmo_geographic_bounds: z
        .strictObject({ min_lat: z.number(), max_lat: z.number(), min_lng: z.number(), max_lng: z.number() })
        .optional(),
    })
    .optional(),
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

export const configParamsSchema = section({
  import: importSection.optional(),
  transform: transformSection.optional(),
  validate: validateSection.optional(),
  geocode: geocodeSection.optional(),
  stage: stageSection.optional(),
  promote: promoteSection.optional(),
});
export type ConfigParams = z.infer<typeof configParamsSchema>;

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
      source_id_fields: params.import?.source_id_fields ?? (['listings.name', 'locations.address1', 'locations.city'] as const),
      full_snapshot: params.import?.full_snapshot ?? fileSource,
      max_delete_ratio: params.import?.max_delete_ratio ?? 0.2,
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
