// Identities of a source record. Both are stored forever (bridge rows, listings.match_hash), so
// the text they hash is frozen: `dmo_id` and the normalize()d fields joined with '|'.
import { sha1Hex } from './hashes';
import { normalize } from './normalize';

/** `import.source_id_fields` when a config does not set it; callers pass the values in this order. */
export const defaultSourceIdFields = ['name', 'address1', 'city'] as const;

/**
 * The source_id of a record whose source has no id of its own:
 * sha1(dmo_id | normalize(field 1) | normalize(field 2) | ...).
 */
export function generatedSourceId(dmoId: number, fields: readonly (string | null | undefined)[]): string {
  if (!Number.isSafeInteger(dmoId) || dmoId <= 0) throw new RangeError(`dmo_id must be a positive whole number, got ${dmoId}`);
  // With no fields every record of the DMO would get the same id and collapse into one listing.
  if (fields.length === 0) throw new RangeError('import.source_id_fields must name at least one field');
  return sha1Hex([String(dmoId), ...fields.map(normalize)].join('|'));
}

/** listings.match_hash: the same place from any source, by normalised name, street and city. */
export function matchHash(
  name: string | null | undefined,
  address1: string | null | undefined,
  city: string | null | undefined,
): string {
  return sha1Hex([normalize(name), normalize(address1), normalize(city)].join('|'));
}
