// The bridge as admins read it: one row per DMO source record (its 'listing' and 'listing_info' bridge
// rows side by side) with the listing it feeds, and the conflicts among those links, found in SQL and
// put in words by domain/mapping-conflicts.ts. Changes to the links are db/remap.ts.
import type { MappingList, MappingRow } from '../contract/mappings';
import { describeConflict, type ConflictFacts } from '../domain/mapping-conflicts';
import type { Queryable } from './pool';

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export interface MappingFilter {
  listingId?: number;
  dmoId?: number;
  sourceId?: string;
  conflictsOnly?: boolean;
}

/** A page row before its conflicts are put in words: the link, and the facts behind each conflict it is in. */
type MappingQueryRow = Omit<MappingRow, 'conflicts'> & {
  info_listing_name: string | null;
  claimed_twice: boolean;
  two_listings: boolean;
  same_dmo_twice: boolean;
  /** the other source records feeding its listing_info */
  claimers: { dmo_name: string; source_id: string }[] | null;
  /** the source ids of the DMO's other records on the same listing */
  same_dmo_sources: string[] | null;
};

/**
 * The source records asked for, each with its links and which conflicts it is in. The two bridge rows
 * of a record are joined FULL, so a record missing one of them is still listed. The filters go into
 * both sides, so an indexed lookup (by DMO, source or listing) never reads the whole bridge.
 */
function linkedRecords(filter: MappingFilter, param: (value: unknown) => string): string {
  const keys: string[] = [];
  if (filter.dmoId !== undefined) keys.push(`b.dmo_id = ${param(filter.dmoId)}`);
  if (filter.sourceId !== undefined) keys.push(`b.source_id = ${param(filter.sourceId)}`);
  if (filter.listingId !== undefined) {
    // linked to the listing, or its DMO record is on it
    const listing = param(filter.listingId);
    keys.push(`(b.dmo_id, b.source_id) IN (
      SELECT k.dmo_id, k.source_id FROM pipeline.bridge_source_target k WHERE k.target_type = 'listing' AND k.target_id = ${listing}
      UNION
      SELECT k.dmo_id, k.source_id FROM pipeline.bridge_source_target k
        JOIN public.listing_info kli ON kli.id = k.target_id AND k.target_type = 'listing_info' WHERE kli.listing_id = ${listing})`);
  }
  const side = (targetType: string) =>
    `(SELECT * FROM pipeline.bridge_source_target b WHERE b.target_type = '${targetType}'${keys.map((key) => ` AND ${key}`).join('')})`;
  return `
    records AS (
      SELECT coalesce(bl.dmo_id, bi.dmo_id) AS dmo_id, coalesce(bl.source_id, bi.source_id) AS source_id,
             bi.target_id AS listing_info_id, bl.target_id AS bridge_listing_id,
             bl.certainty_score, bl.match_method, bl.job_id, coalesce(bl.updated_at, bi.updated_at) AS linked_at
        FROM ${side('listing')} bl
        FULL JOIN ${side('listing_info')} bi ON bi.dmo_id = bl.dmo_id AND bi.source_id = bl.source_id),
    linked AS (
      SELECT r.*, li.listing_id AS info_listing_id, coalesce(r.bridge_listing_id, li.listing_id) AS listing_id, li.info_visible,
             -- two source records claiming one listing_info
             EXISTS (SELECT 1 FROM pipeline.bridge_source_target o
                      WHERE o.target_type = 'listing_info' AND o.target_id = r.listing_info_id
                        AND (o.dmo_id <> r.dmo_id OR o.source_id <> r.source_id)) AS claimed_twice,
             -- one source record linked to one listing while its listing_info is on another
             coalesce(r.bridge_listing_id <> li.listing_id, false) AS two_listings,
             -- a listing with another record of the same DMO: likely a bad merge
             EXISTS (SELECT 1 FROM public.listing_info o
                      WHERE o.listing_id = li.listing_id AND o.dmo_id = r.dmo_id AND o.id <> li.id) AS same_dmo_twice
        FROM records r LEFT JOIN public.listing_info li ON li.id = r.listing_info_id)`;
}

const inConflict = '(k.claimed_twice OR k.two_listings OR k.same_dmo_twice)';

export async function listMappings(db: Queryable, filter: MappingFilter, limit: number, offset: number): Promise<MappingList> {
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const withLinked = `WITH ${linkedRecords(filter, param)}`;
  const where = filter.conflictsOnly ? `WHERE ${inConflict}` : '';
  const countParams = [...params];
  const total = await db.query<{ n: number }>(`${withLinked} SELECT count(*)::int AS n FROM linked k ${where}`, countParams);
  const page = await db.query<MappingQueryRow>(
    `${withLinked}
     SELECT k.dmo_id, d.name AS dmo_name, k.source_id, k.listing_info_id, k.listing_id, k.info_listing_id,
            l.name AS listing_name, loc.city AS listing_city, l.listing_visible, l.listing_status, k.info_visible,
            (SELECT count(*)::int FROM public.listing_info x WHERE x.listing_id = k.info_listing_id) AS records_on_listing,
            k.certainty_score, k.match_method, k.job_id, ${iso('k.linked_at')} AS linked_at,
            (SELECT name FROM public.listings WHERE id = k.info_listing_id) AS info_listing_name,
            k.claimed_twice, k.two_listings, k.same_dmo_twice,
            CASE WHEN k.claimed_twice THEN
              (SELECT jsonb_agg(jsonb_build_object('dmo_name', od.name, 'source_id', o.source_id) ORDER BY o.dmo_id, o.source_id)
                 FROM pipeline.bridge_source_target o JOIN public.dmos od ON od.id = o.dmo_id
                WHERE o.target_type = 'listing_info' AND o.target_id = k.listing_info_id
                  AND (o.dmo_id <> k.dmo_id OR o.source_id <> k.source_id)) END AS claimers,
            CASE WHEN k.same_dmo_twice THEN
              (SELECT jsonb_agg(coalesce(o.source_id, '#' || o.id) ORDER BY o.source_id, o.id) FROM public.listing_info o
                WHERE o.listing_id = k.info_listing_id AND o.dmo_id = k.dmo_id AND o.id <> k.listing_info_id) END AS same_dmo_sources
       FROM linked k JOIN public.dmos d ON d.id = k.dmo_id
       LEFT JOIN public.listings l ON l.id = k.listing_id
       LEFT JOIN public.locations loc ON loc.id = l.location_id
      ${where}
      ORDER BY k.listing_id NULLS LAST, k.dmo_id, k.source_id
      LIMIT ${param(limit)} OFFSET ${param(offset)}`,
    params,
  );
  return { rows: page.rows.map(withConflictWords), total: total.rows[0]!.n };
}

/** One source record as the list shows it, or null when the bridge does not know it. */
export async function getMapping(db: Queryable, dmoId: number, sourceId: string): Promise<MappingRow | null> {
  return (await listMappings(db, { dmoId, sourceId }, 1, 0)).rows[0] ?? null;
}

function withConflictWords(row: MappingQueryRow): MappingRow {
  const {
    info_listing_name: infoListingName, claimed_twice: claimedTwice, two_listings: twoListings, same_dmo_twice: sameDmoTwice,
    claimers, same_dmo_sources: sameDmoSources, ...mapping
  } = row;
  const shownOn = mapping.info_listing_id === null ? null : { id: mapping.info_listing_id, name: infoListingName };
  const facts: ConflictFacts[] = [];
  if (claimedTwice && mapping.listing_info_id !== null) {
    facts.push({ kind: 'record_claimed_twice', infoId: mapping.listing_info_id, listing: shownOn, dmoName: mapping.dmo_name,
      others: (claimers ?? []).map((other) => ({ dmoName: other.dmo_name, sourceId: other.source_id })) });
  }
  if (twoListings && shownOn && mapping.listing_id !== null) {
    facts.push({ kind: 'two_listings', dmoName: mapping.dmo_name, linked: { id: mapping.listing_id, name: mapping.listing_name }, shownOn });
  }
  if (sameDmoTwice && shownOn) {
    facts.push({ kind: 'same_dmo_twice', dmoName: mapping.dmo_name, listing: shownOn, otherSourceIds: sameDmoSources ?? [] });
  }
  return { ...mapping, conflicts: facts.map((fact) => ({ kind: fact.kind, message: describeConflict(fact) })) };
}
