// Turns one raw source record into a canonical record: map the config's fields, read typed values,
// and sort what is wrong into rejections (unreadable: the record goes to job_errors) and warnings
// (doubtful: the record is staged but not proposed for promotion).
import { contactKeys, emptyCanonicalRecord, type CanonicalField, type CanonicalRecord, type ContactKey } from './canonical';
import type { ResolvedConfig } from './config-params';
import { toCountryCode } from './country';
import { htmlToText } from './html-text';
import { generatedSourceId, matchHash } from './identity';
import { partHashes, type PartHashes } from './hashes';
import { parseOpeningHours } from './opening-hours';
import { idAt, readPath } from './record-paths';
import { isBlank, isLikelyEmail, isLikelyUrl, readList, readNumber } from './values';

export type RawRecord = Record<string, unknown>;

export interface FieldProblem {
  field: CanonicalField | 'record';
  reason: string;
}

export type ReadOutcome =
  | { ok: true; record: CanonicalRecord; sourceId: string; matchHash: string; hashes: PartHashes; warnings: string[] }
  | { ok: false; problems: FieldProblem[]; sourceId: string | null };

export interface DmoContext {
  dmoId: number;
  box: { min_lat: number; max_lat: number; min_lng: number; max_lng: number } | null;
}

const contactFields = Object.fromEntries(contactKeys.map((key) => [`contact_info.${key}`, key])) as
  Record<`contact_info.${ContactKey}`, ContactKey>;

const textFields = {
  'listings.name': 'name',
  'listings.category': 'category',
  'listings.google_place_id': 'google_place_id',
  'locations.address1': 'address1',
  'locations.address2': 'address2',
  'locations.city': 'city',
  'locations.state': 'state',
  'locations.zip': 'zip',
  'locations.region_name': 'region_name',
  'listing_info.description': 'description',
  'listing_info.name': 'info_name',
} as const;

/** The canonical field a record property comes from, for error messages and required_fields. */
const recordValue: Partial<Record<CanonicalField, (record: CanonicalRecord) => unknown>> = {
  ...Object.fromEntries(Object.entries(textFields).map(([field, key]) => [field, (r: CanonicalRecord) => r[key]])),
  ...Object.fromEntries(Object.entries(contactFields).map(([field, key]) => [field, (r: CanonicalRecord) => r.contact[key]])),
  'locations.country': (r) => r.country,
  'locations.lat': (r) => r.lat,
  'locations.lng': (r) => r.lng,
  'listing_images.image': (r) => (r.images.length ? r.images : null),
  'attributes.names': (r) => (r.attributes.length ? r.attributes : null),
  'opening_hours.text': (r) => r.opening_text,
};

/** A source value as text: HTML turned into its text, a list of values joined (a JSON source's tags). */
function sourceText(raw: unknown): string | null {
  if (isBlank(raw)) return null;
  if (Array.isArray(raw)) return raw.map(sourceText).filter((item) => item !== null).join(', ') || null;
  if (typeof raw === 'object') return null;
  return htmlToText(String(raw));
}

function cleanText(raw: unknown): string | null {
  const text = sourceText(raw);
  return text === null ? null : text.replace(/\s+/g, ' ').trim() || null;
}

/** Multi-line text keeps its line breaks; only runs of spaces fold. */
function cleanLongText(raw: unknown): string | null {
  const text = sourceText(raw);
  return text === null ? null : text.replace(/\r\n?/g, '\n').replace(/[ \t]+/g, ' ').trim() || null;
}

function readListValue(raw: unknown, separator: string): string[] {
  if (Array.isArray(raw)) return raw.map((item) => cleanText(item)).filter((item): item is string => item !== null);
  return readList(raw, separator);
}

export class RecordReader {
  private readonly mapping: [CanonicalField, string][];

  constructor(private readonly config: ResolvedConfig, private readonly dmo: DmoContext) {
    this.mapping = Object.entries(config.transform.map_fields) as [CanonicalField, string][];
  }

  /** Source fields the mapping names; a CSV must have each as a column. */
  mappedSourceFields(): string[] {
    const fields = this.mapping.map(([, source]) => source);
    if (this.config.import.source_id_column) fields.push(this.config.import.source_id_column);
    return [...new Set(fields)];
  }

  read(raw: RawRecord): ReadOutcome {
    const { transform, validate, import: importConfig } = this.config;
    const record = emptyCanonicalRecord();
    const problems: FieldProblem[] = [];
    const warnings: string[] = [];
    const value = (source: string) => readPath(raw, source);

    for (const [field, source] of this.mapping) {
      const rawValue = value(source);
      if (field in textFields) {
        const key = textFields[field as keyof typeof textFields];
        record[key] = key === 'description' ? cleanLongText(rawValue) : cleanText(rawValue);
      } else if (field in contactFields) {
        record.contact[contactFields[field as keyof typeof contactFields]] = cleanText(rawValue);
      } else if (field === 'locations.lat' || field === 'locations.lng') {
        if (isBlank(rawValue)) continue;
        const number = readNumber(rawValue);
        if (!number.ok) problems.push({ field, reason: `${number.reason} (column ${source})` });
        else record[field === 'locations.lat' ? 'lat' : 'lng'] = number.value;
      } else if (field === 'locations.country') {
        const text = cleanText(rawValue);
        if (text) {
          record.country = toCountryCode(text);
          if (!record.country) warnings.push(`locations.country: "${text}" is not a country we know`);
        }
      } else if (field === 'listing_images.image') {
        record.images = readListValue(rawValue, transform.list_separator);
      } else if (field === 'attributes.names') {
        record.attributes = readListValue(rawValue, transform.list_separator);
      } else if (field === 'opening_hours.text') {
        record.opening_text = cleanText(rawValue);
        if (record.opening_text) {
          const parsed = parseOpeningHours(record.opening_text);
          record.opening = parsed.periods;
          for (const problem of parsed.problems) warnings.push(`opening_hours.text: ${problem}`);
        }
      }
    }

    for (const field of transform.normalize_fields) {
      const key = textFields[field as keyof typeof textFields];
      if (key && record[key]) record[key] = record[key]!.toUpperCase() === record[key] ? titleCase(record[key]!) : record[key];
    }

    const sourceId = this.sourceId(raw, record);
    if (!record.name) {
      const nameSource = this.mapping.find(([field]) => field === 'listings.name')?.[1];
      // HTML becomes its text: a "name" that is only a tag (<img …>) has none
      const given = nameSource === undefined ? undefined : value(nameSource);
      const onlyMarkup = typeof given === 'string' && !isBlank(given);
      problems.push({ field: 'listings.name', reason: onlyMarkup ? 'a name is required (the value is only HTML markup, which has no text)' : 'a name is required' });
    }
    const hasCoordinates = record.lat !== null && record.lng !== null;
    if (!hasCoordinates && !record.city && !problems.some((p) => p.field === 'locations.lat' || p.field === 'locations.lng')) {
      problems.push({ field: 'locations.city', reason: 'a city or both coordinates are required' });
    }
    for (const field of validate.required_fields) {
      const read = recordValue[field];
      if (read && isBlank(read(record)) && !problems.some((p) => p.field === field)) {
        problems.push({ field, reason: 'required by validate.required_fields' });
      }
    }
    if (importConfig.source_id_column && isBlank(value(importConfig.source_id_column))) {
      problems.push({ field: 'record', reason: `the id column ${importConfig.source_id_column} is empty` });
    }
    if (problems.length) return { ok: false, problems, sourceId };

    warnings.push(...this.doubts(record));
    return {
      ok: true,
      record,
      sourceId: sourceId!,
      matchHash: matchHash(record.name, record.address1, record.city),
      hashes: partHashes(record, transform.round_lat_lng),
      warnings,
    };
  }

  private sourceId(raw: RawRecord, record: CanonicalRecord): string | null {
    const column = this.config.import.source_id_column;
    if (column) return idAt(raw, column);
    const values = this.config.import.source_id_fields.map((field) => recordValue[field]?.(record));
    if (values.every(isBlank)) return null;
    return generatedSourceId(this.dmo.dmoId, values.map((v) => (Array.isArray(v) ? v.join('|') : (v as string | null))));
  }

  /** Readable but doubtful values: the row is staged with these and not proposed for promotion. */
  private doubts(record: CanonicalRecord): string[] {
    const warnings: string[] = [];
    const rules = this.config.validate.business_rules;
    const [minLat, maxLat] = rules.lat_bounds ?? [-90, 90];
    const [minLng, maxLng] = rules.lng_bounds ?? [-180, 180];
    if (record.lat !== null && (record.lat < minLat || record.lat > maxLat)) {
      warnings.push(`locations.lat: ${record.lat} is outside ${minLat}..${maxLat}`);
    }
    if (record.lng !== null && (record.lng < minLng || record.lng > maxLng)) {
      warnings.push(`locations.lng: ${record.lng} is outside ${minLng}..${maxLng}`);
    }
    if ((record.lat === null) !== (record.lng === null)) warnings.push('locations: only one of lat and lng is given');
    const box = rules.dmo_geographic_bounds ?? this.dmo.box;
    if (box && record.lat !== null && record.lng !== null &&
        (record.lat < box.min_lat || record.lat > box.max_lat || record.lng < box.min_lng || record.lng > box.max_lng)) {
      warnings.push(`locations: ${record.lat},${record.lng} is outside the DMO's area`);
    }
    if (record.contact.email && !isLikelyEmail(record.contact.email)) {
      warnings.push(`contact_info.email: "${record.contact.email}" does not look like an email address`);
    }
    for (const [field, key] of Object.entries(contactFields)) {
      const url = record.contact[key];
      if (key.endsWith('_url') && url && !isLikelyUrl(url)) warnings.push(`${field}: "${url}" is not an http(s) URL`);
    }
    for (const image of record.images) {
      if (!isLikelyUrl(image)) warnings.push(`listing_images.image: "${image}" is not an http(s) URL`);
    }
    for (const [field, type] of Object.entries(this.config.validate.data_types)) {
      const read = recordValue[field as CanonicalField];
      const current = read?.(record);
      if (typeof current !== 'string') continue;
      if (type === 'email' && !isLikelyEmail(current)) warnings.push(`${field}: "${current}" is not an email address`);
      if (type === 'url' && !isLikelyUrl(current)) warnings.push(`${field}: "${current}" is not an http(s) URL`);
      if (type === 'numeric' && !readNumber(current).ok) warnings.push(`${field}: "${current}" is not a number`);
    }
    return warnings;
  }
}

function titleCase(text: string): string {
  return text.toLowerCase().replace(/(^|[\s'-])(\p{L})/gu, (_, sep: string, letter: string) => sep + letter.toUpperCase());
}
