// How a listing's states and changes read for a content admin, the same on the list and on a listing's page.
import { Badge, Group, Tooltip } from '@mantine/core';
import type { ListingDetail, ListingStatus } from '@contract/listings';
import { dmoTypes } from '@contract/sources';
import { formatDate } from '../../components/format';

export const statusWords: Record<ListingStatus, { label: string; colour: string; explain: string }> = {
  active: { label: 'Active', colour: 'green', explain: 'Kept up to date by imports.' },
  missing_from_import: {
    label: 'Missing from import', colour: 'orange',
    explain: 'The latest import of its source no longer had it, so it was taken off the site. Restore brings it back.',
  },
  removed: { label: 'Hidden by an admin', colour: 'gray', explain: 'A person took it off the site; imports keep it hidden until someone shows it again.' },
  archived: { label: 'Archived', colour: 'dark', explain: 'Off the site for every DMO; imports keep it archived until someone un-archives it.' },
  merged: {
    label: 'Merged away', colour: 'grape',
    explain: 'A person moved every record shown on it to other listings (on the Mappings page), so it is off the site. It is kept for its history.',
  },
};

export const dmoTypeName = (typeId: number) => dmoTypes[typeId as keyof typeof dmoTypes] ?? `type ${typeId}`;

export function StatusBadge({ status }: { status: ListingStatus }) {
  const words = statusWords[status];
  return (
    <Tooltip label={words.explain} multiline w={260} withArrow>
      <Badge color={words.colour} variant="light" data-status={status}>{words.label}</Badge>
    </Tooltip>
  );
}

export function VisibleBadge({ visible }: { visible: boolean }) {
  return visible
    ? <Badge color="teal" variant="dot">On the site</Badge>
    : <Badge color="red" variant="dot">Not on the site</Badge>;
}

export function ManualBadge({ at }: { at?: string | null }) {
  return (
    <Tooltip label={`Edited by a person${at ? ` on ${formatDate(at)}` : ''}: imports no longer overwrite the fields that were edited.`} multiline w={260} withArrow>
      <Badge color="violet" variant="light" data-testid="manual-badge">Manually modified</Badge>
    </Tooltip>
  );
}

export function ListingBadges({ listing }: { listing: Pick<ListingDetail, 'listing_visible' | 'listing_status' | 'manually_modified'> & { manually_modified_at?: string | null } }) {
  return (
    <Group gap={6} wrap="wrap">
      <VisibleBadge visible={listing.listing_visible} />
      <StatusBadge status={listing.listing_status} />
      {listing.manually_modified && <ManualBadge at={listing.manually_modified_at} />}
    </Group>
  );
}

/** Field names of the timeline and the edit form in words. */
export const fieldLabels: Record<string, string> = {
  name: 'Name', category: 'Category', google_place_id: 'Google place id', description: 'Description',
  address1: 'Address', address2: 'Address line 2', city: 'City', state: 'State / province', zip: 'Postal code',
  country: 'Country', lat: 'Latitude', lng: 'Longitude', region_name: 'Region',
  info_status: 'Status', listing_status: 'Listing status', info_visible: 'Shown', listing_visible: 'Shown', listing_id: 'Listing',
  local_phone: 'Phone', international_phone: 'International phone', email: 'Email', website_url: 'Website',
  facebook_url: 'Facebook', instagram_url: 'Instagram', youtube_url: 'YouTube', tiktok_url: 'TikTok', twitter_url: 'X / Twitter',
  pinterest_url: 'Pinterest', tripadvisor_url: 'Tripadvisor', yelp_url: 'Yelp',
};
export const fieldLabel = (field: string) => fieldLabels[field] ?? field.replace(/_/g, ' ');

/** A status value on the timeline (old → new) in words. */
export const valueWords = (field: string | null, value: string | null) =>
  value !== null && (field === 'info_status' || field === 'listing_status') && value in statusWords
    ? statusWords[value as ListingStatus].label
    : value;

/** Only web addresses become links: a `javascript:` URL from a feed must stay text. */
export function safeHttpUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * The address of one of our stored image copies, for an <img> or a link: a path on this server
 * (/images/…), or an http(s) address (the image host of the settings). Anything else (a
 * `javascript:` URL) is not used.
 */
export function storedImageUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  if (value.startsWith('/') && !value.startsWith('//')) return value;
  return safeHttpUrl(value);
}

/** A stored image's small copy (for a thumbnail) and the large one (to open), each falling back to the stored copy itself. */
export function imageCopies(image: { image: string; variants: Record<string, { url: string }> | null }) {
  const canonical = storedImageUrl(image.image);
  return {
    thumb: storedImageUrl(image.variants?.thumb?.url) ?? canonical,
    large: storedImageUrl(image.variants?.large?.url) ?? canonical,
  };
}

/** "1 picture" / "3 pictures" */
export const pictures = (count: number) => `${count} ${count === 1 ? 'picture' : 'pictures'}`;
