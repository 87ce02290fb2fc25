// The review page's words for the pipeline's values: tabs, part names, field names, decisions, match
// evidence and where a row's coordinates came from.
import type { MatchCandidate, RecordAction, ReviewStatus, RunStatus, StagedRow } from '@contract/runs';

/** The tabs, in the order a reviewer works through them. */
export const tabs: { action: RecordAction; label: string }[] = [
  { action: 'insert', label: 'New' },
  { action: 'update', label: 'Updates' },
  { action: 'unchanged', label: 'Unchanged' },
  { action: 'duplicate', label: 'Duplicates' },
  { action: 'delete', label: 'Deletions' },
  { action: 'possible_match', label: 'Possible matches' },
];
export const tabLabel = (action: RecordAction) => tabs.find((t) => t.action === action)?.label ?? action;

/** What a tab means and what the reviewer should do with it, in plain words. */
export const tabNotes: Record<RecordAction, string> = {
  insert: 'Listings this source sends for the first time. Promote creates them in production.',
  update: 'Listings already in production whose data changed in this file. Open a row to see what changed.',
  unchanged: 'Listings that are the same as last time. Promote only records that they were seen again.',
  duplicate: 'Rows that repeat an earlier row of the same file. They are never proposed; promote skips them unless you change their action.',
  delete:
    'Listings in production that are missing from this file. Deletions are never proposed: approve the ones you want removed ' +
    'from production. Promote hides them from the site (a soft delete: hidden, not erased).',
  possible_match:
    'Rows that look like a listing we already have, but not surely. They are never proposed: open each one and match it to a listing or make a new one.',
};

export const actionWords: Record<RecordAction, string> = {
  insert: 'new', update: 'changed', unchanged: 'unchanged', duplicate: 'duplicate', delete: 'deleted', possible_match: 'possible match',
};
export const actionColours: Record<RecordAction, string> = {
  insert: 'green', update: 'blue', unchanged: 'gray', duplicate: 'yellow', delete: 'red', possible_match: 'orange',
};

export const reviewWords: Record<ReviewStatus, string> = { pending: 'Pending', approved: 'Approved', rejected: 'Rejected' };
export const reviewColours: Record<ReviewStatus, string> = { pending: 'gray', approved: 'green', rejected: 'red' };

type PartColumn = 'l_action' | 'li_action' | 'location_action' | 'contact_action' | 'images_action' | 'open_action' | 'attributes_action';
/**
 * The parts of a listing whose actions a row carries, with their names for a person; `changed` names
 * what an update of the part changed (DESIGN.md, comparison hashes: the listing part is its name, the
 * DMO's record is its description).
 */
export const parts: { column: PartColumn; label: string; changed: string }[] = [
  { column: 'l_action', label: 'listing', changed: 'name' },
  { column: 'li_action', label: 'record', changed: 'description' },
  { column: 'location_action', label: 'location', changed: 'location' },
  { column: 'contact_action', label: 'contact', changed: 'contact' },
  { column: 'images_action', label: 'images', changed: 'images' },
  { column: 'open_action', label: 'hours', changed: 'hours' },
  { column: 'attributes_action', label: 'attributes', changed: 'attributes' },
];
export const partActions = (row: StagedRow) => parts.map((part) => ({ ...part, action: row[part.column] }));

export const fieldLabels: Record<string, string> = {
  name: 'Name', category: 'Category', google_place_id: 'Google place id', address1: 'Address', address2: 'Address line 2',
  city: 'City', state: 'State / province', zip: 'Postcode', country: 'Country', lat: 'Latitude', lng: 'Longitude',
  region_name: 'Region', info_name: 'Name at this source', description: 'Description', contact: 'Contact', images: 'Images',
  attributes: 'Attributes',
};
export const fieldLabel = (field: string) => fieldLabels[field] ?? field.replace(/_/g, ' ');

export const contactLabels: Record<string, string> = {
  name: 'Contact name', email: 'Email', local_phone: 'Phone', international_phone: 'International phone', website_url: 'Website',
  facebook_url: 'Facebook', instagram_url: 'Instagram', youtube_url: 'YouTube', tiktok_url: 'TikTok', twitter_url: 'Twitter / X',
  pinterest_url: 'Pinterest', tripadvisor_url: 'Tripadvisor', yelp_url: 'Yelp',
};
export const contactLabel = (key: string) => contactLabels[key] ?? key.replace(/_/g, ' ');

/** The action a reviewer may set on a row instead of the pipeline's, and what it does. */
export const overrides: { action: 'insert' | 'update' | 'unchanged' | 'delete'; label: string; needsListing: boolean }[] = [
  { action: 'insert', label: 'New listing (insert)', needsListing: false },
  { action: 'update', label: 'Update the listing (update)', needsListing: false },
  { action: 'unchanged', label: 'Leave the listing as it is (unchanged)', needsListing: true },
  { action: 'delete', label: 'Hide the listing from the site (delete)', needsListing: true },
];

/** Why the rows of a run that is not awaiting review cannot be decided. */
export function readOnlyReason(status: RunStatus, errorSummary: string | null): string | null {
  switch (status) {
    case 'awaiting_review':
      return null;
    case 'promoting':
      return 'This run is being promoted: its approved rows are being written to production. The rows can no longer be changed.';
    case 'promoted':
      return 'This run was promoted: its approved rows are in production. The rows are shown as they were decided and can no longer be changed.';
    case 'superseded':
      return `This run was superseded: a newer run of the same source was staged after it${errorSummary ? ` (${errorSummary})` : ''}. ` +
        'Its rows are shown for reference only; review the newer run instead.';
    case 'cancelled':
      return `This run was cancelled${errorSummary ? ` (${errorSummary})` : ''}. Its rows are shown for reference only and cannot be approved or promoted.`;
    case 'failed':
      return `This run failed${errorSummary ? `: ${errorSummary}` : ''}. Retry it from the Runs page; its rows cannot be reviewed until it is staged again.`;
    default:
      return 'This run is not staged yet. Its rows can be reviewed when it reaches "awaiting review"; this page updates by itself.';
  }
}

export const plural = (n: number, one: string, many = `${one}s`) => (n === 1 ? one : many);

// ---------------------------------------------------------------- matching and geocoding

const percent = (share: number) => Math.round(share * 100);

/**
 * "78% sure". Short of certain it never reads 100%: a score of 0.996 is still the matcher's guess,
 * and 100% is what a person's own match says.
 */
export const sureWords = (confidence: number) => `${confidence >= 1 ? 100 : Math.min(99, percent(confidence))}% sure`;

/** "40 m away", "1.2 km away", "12 km away". */
export function distanceWords(metres: number): string {
  if (metres < 1000) return `${Math.round(metres)} m away`;
  const km = metres / 1000;
  return `${km < 10 ? km.toFixed(1).replace(/\.0$/, '') : Math.round(km)} km away`;
}

export const namesAlikeWords = (similarity: number) => `names ${percent(similarity)}% alike`;

const comparedParts = ['phone', 'website', 'address'] as const;

/** What the source and the listing agree or disagree on: "same phone", "different website". Unknown says nothing. */
export function agreementWords(evidence: MatchCandidate['evidence']): string[] {
  return comparedParts.flatMap((part) =>
    evidence[part] === true ? [`same ${part}`] : evidence[part] === false ? [`different ${part}`] : []);
}

/** A candidate's evidence, strongest signals first: "78 m away · names 85% alike · same phone". */
export function evidenceWords(evidence: MatchCandidate['evidence']): string[] {
  return [
    ...(evidence.distance_m === null ? [] : [distanceWords(evidence.distance_m)]),
    namesAlikeWords(evidence.name_similarity),
    ...agreementWords(evidence),
  ];
}

/** "Jardin botanique, Montréal" (or the listing's number when production gave it no name). */
export const candidatePlace = (candidate: Pick<MatchCandidate, 'listing_id' | 'name' | 'city'>) =>
  [candidate.name || `Listing #${candidate.listing_id}`, candidate.city].filter(Boolean).join(', ');

const providerNames: Record<string, string> = {
  google: 'Google Places', nominatim: 'OpenStreetMap (Nominatim)', gazetteer: 'the offline gazetteer',
};
const precisionWords: Record<string, string> = {
  rooftop: 'at the building', street: 'on the street', postcode: 'at the postcode area — approximate',
  city: 'at the city centre — low precision', region: 'somewhere in the region — low precision', approximate: 'approximate',
};

/**
 * Where a row's coordinates came from when the source sent none, or why it has none; null when the
 * source gave them (nothing to say) or the row predates geocoding.
 */
export function coordinatesOrigin(row: Pick<StagedRow, 'geocode_status' | 'geocode_provider' | 'geocode_precision' | 'lat' | 'lng' | 'file_seq'>): string | null {
  const provider = row.geocode_provider ? providerNames[row.geocode_provider] ?? row.geocode_provider : null;
  const precision = row.geocode_precision ? precisionWords[row.geocode_precision] ?? row.geocode_precision : null;
  switch (row.geocode_status) {
    case 'found':
      if (row.geocode_provider === 'production') return 'Coordinates from the production listing: the source sent none.';
      if (row.geocode_provider === 'gazetteer') return 'Placed by the offline gazetteer at the city centre — low precision. The source sent no coordinates.';
      return `Coordinates from ${provider ?? 'the geocoder'}${precision ? `, ${precision}` : ''}. The source sent none.`;
    case 'not_found':
      return 'Not found: check the address. The source sent no coordinates and no place was found for its address.';
    case 'out_of_bounds':
      return `Outside the DMO's area: the place ${provider ?? 'the geocoder'} found for this address is outside it, so it was not used. Check the address.`;
    case 'failed':
      return 'Not placed this time: the geocoder did not answer. The next run of this source tries again.';
    case 'pending':
      return 'Waiting for the geocoder.';
    case 'not_needed':
      return row.file_seq > 0 && (row.lat === null || row.lng === null)
        ? 'No coordinates: the source sent none and geocoding is off for this source.'
        : null;
    default:
      return null;
  }
}
