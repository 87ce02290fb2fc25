// The links between DMO source records and listings that cannot all be right (DESIGN.md, Hashes: one
// listing_info maps to exactly one source record; one listing may map to many source records, but
// two from the same DMO are usually one place merged with another). Their names, and the words a
// content admin reads for each, with what would fix it. The SQL that finds them is db/mappings.ts.

export const conflictKinds = [
  /** two source records claim one DMO record (listing_info) */
  'record_claimed_twice',
  /** one source record is linked to one listing while its DMO record is on another */
  'two_listings',
  /** a listing has several records from the same DMO: likely a bad merge */
  'same_dmo_twice',
] as const;
export type ConflictKind = (typeof conflictKinds)[number];

export interface ListingRef {
  id: number;
  name: string | null;
}

export type ConflictFacts =
  | { kind: 'record_claimed_twice'; infoId: number; listing: ListingRef | null; dmoName: string; others: { dmoName: string; sourceId: string }[] }
  | { kind: 'two_listings'; dmoName: string; linked: ListingRef; shownOn: ListingRef }
  | { kind: 'same_dmo_twice'; dmoName: string; listing: ListingRef; otherSourceIds: string[] };

const listingWords = (listing: ListingRef) => (listing.name ? `“${listing.name}” (listing #${listing.id})` : `listing #${listing.id}`);

/** "A", "A and B", "A, B and C" */
export function listOf(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function describeConflict(facts: ConflictFacts): string {
  switch (facts.kind) {
    case 'record_claimed_twice': {
      const claimers = listOf(['this one', ...facts.others.map((other) => `${other.sourceId} from ${other.dmoName}`)]);
      const where = facts.listing ? ` on ${listingWords(facts.listing)}` : '';
      return `${facts.others.length + 1} source records feed the same ${facts.dmoName} record (#${facts.infoId}${where}): ${claimers}. ` +
        'Only one of them should: each import of either overwrites what the other said.';
    }
    case 'two_listings':
      return `Linked to two listings: the link says ${listingWords(facts.linked)}, but the ${facts.dmoName} record is shown on ` +
        `${listingWords(facts.shownOn)}. Match it to the right listing to put both in agreement.`;
    case 'same_dmo_twice': {
      const count = facts.otherSourceIds.length + 1;
      return `${listingWords(facts.listing)} has ${count} records from ${facts.dmoName} ` +
        `(${listOf(['this one', ...facts.otherSourceIds])}): probably different places merged by mistake, or a duplicate in ${facts.dmoName}'s ` +
        'data. Give the one that does not belong its own listing.';
    }
  }
}
