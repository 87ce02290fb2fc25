// The review page's words for the pipeline's values: tabs, part names, field names, decisions.
import type { RecordAction, ReviewStatus, RunStatus, StagedRow } from '@contract/runs';

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
