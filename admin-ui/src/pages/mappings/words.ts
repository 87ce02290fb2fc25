// How links and their conflicts read for a content admin.
import type { ConflictKind, MappingRow, MatchMethod } from '@contract/mappings';

export const matchMethodWords: Record<MatchMethod, string> = {
  created: 'Its import made the listing',
  match_hash: 'Same name and address',
  fuzzy: 'Similar name, close by',
  manual: 'Matched by a person',
};

/** How the link was made, with how sure the matching was when it was not certain. */
export function linkedBy(row: Pick<MappingRow, 'match_method' | 'certainty_score'>): string {
  const how = row.match_method ? matchMethodWords[row.match_method] : 'By an import';
  return row.certainty_score !== null && row.certainty_score < 1 ? `${how} (${Math.round(row.certainty_score * 100)}% sure)` : how;
}

export const conflictLabels: Record<ConflictKind, string> = {
  record_claimed_twice: 'Two sources, one record',
  two_listings: 'On two listings',
  same_dmo_twice: 'Same DMO twice on a listing',
};
