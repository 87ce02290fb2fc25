// The stage step in set-based SQL over a run's staged rows: within-run duplicates, part and record
// actions, deletions with the mass-delete guard, proposals and counts. It runs in one transaction,
// from a clean slate each time, so a retried stage job gives the same answer.
import { visibilityNotes, visibilityRules } from './listings';
import type { Queryable } from './pool';
import { fuzzyMatchesTable } from './stage-match';

/** A list of texts as a SQL literal of type text[]. */
const textArray = (texts: string[]) => `ARRAY[${texts.map((text) => `'${text.replace(/'/g, "''")}'`).join(', ')}]::text[]`;

/**
 * What a row says when it meets a person's visibility decision (listings.ts visibilityNotes). They
 * sit among the warnings so a reviewer sees them, but they are notes: promote keeps the decision
 * whatever the row, so they do not hold the row back from the proposal.
 */
const visibilityNoteList = textArray(Object.values(visibilityNotes));

/**
 * The pipeline's proposal (DESIGN.md, Approval) as SQL over a row's action and warnings: insert,
 * update and unchanged rows without warnings (visibility notes aside). One expression, used wherever
 * a step sets it.
 */
const proposalOf = (action: string, warnings = 'warnings') =>
  `coalesce(${action} IN ('insert', 'update', 'unchanged') AND (${warnings} - ${visibilityNoteList}) = '[]'::jsonb, false)`;

const partActions = ['l_action', 'li_action', 'location_action', 'contact_action', 'images_action', 'open_action', 'attributes_action'];

/** Forgets what an earlier try of this stage step decided (a reviewer's overrides stay). */
export async function resetStageDecisions(db: Queryable, runId: number): Promise<void> {
  await db.query('DELETE FROM staging.rows WHERE job_id = $1 AND file_seq = 0', [runId]);
  await db.query(
    `UPDATE staging.rows SET action = NULL, ${partActions.map((a) => `${a} = NULL`).join(', ')}, duplicate_of = NULL
      WHERE job_id = $1 AND NOT action_overridden AND (action IS NOT NULL OR duplicate_of IS NOT NULL)`,
    [runId],
  );
}

/** A row whose source_id or match_hash equals an earlier row's (by rec_num) is a duplicate of it. */
export async function markDuplicates(db: Queryable, runId: number): Promise<void> {
  await db.query(
    `WITH firsts AS (
       SELECT id,
              first_value(id) OVER (PARTITION BY source_id ORDER BY rec_num) AS first_by_source,
              first_value(id) OVER (PARTITION BY match_hash ORDER BY rec_num) AS first_by_hash
         FROM staging.rows WHERE job_id = $1 AND file_seq > 0)
     UPDATE staging.rows r
        SET action = 'duplicate', ${partActions.map((a) => `${a} = 'duplicate'`).join(', ')},
            ok_to_promote = ${proposalOf("'duplicate'")},
            duplicate_of = CASE WHEN f.first_by_source <> r.id THEN f.first_by_source ELSE f.first_by_hash END
       FROM firsts f
      WHERE r.id = f.id AND (f.first_by_source <> r.id OR f.first_by_hash <> r.id) AND NOT r.action_overridden`,
    [runId],
  );
}

/**
 * Each part is compared with what the same source delivered last time (listing_info.source_hashes),
 * or, for a source new to the listing, with the listing's current shared parts (listings.part_hashes).
 * The record's action and the pipeline's proposal follow from the parts, in the same single pass over
 * the run's rows: each rewrite of a 100k-row run costs seconds.
 * Restoring is a change too, but only of what an import soft-deleted (listings.ts visibilityRules): a
 * listing_info a person hid, or a listing a person archived, compares as its data says and gets a
 * note saying promote keeps it down. A listing comes back with a listing_info that will be visible.
 */
export async function computeActions(db: Queryable, runId: number, options: { fuzzyMatches?: boolean } = {}): Promise<void> {
  // the stage's automatic fuzzy matches (stage-match.ts), applied in this same rewrite of the rows
  const matched = 'm.listing_id IS NOT NULL AND r.listing_id IS NULL';
  const fuzzy = options.fuzzyMatches
    ? {
        join: `LEFT JOIN ${fuzzyMatchesTable} m ON m.id = r.id`, listing: 'coalesce(r.listing_id, m.listing_id)',
        columns: ['listing_id', 'certainty_score', 'candidates'].map((c) => `CASE WHEN ${matched} THEN m.${c} END`),
      }
    : { join: '', listing: 'r.listing_id', columns: ['NULL::int', 'NULL::numeric', 'NULL::jsonb'] };
  if (options.fuzzyMatches) {
    // rows marked duplicates keep the listing they matched, as a bridge or hash match does: a
    // reviewer who makes one an insert or update after all must not create a second listing
    await db.query(
      `UPDATE staging.rows r SET listing_id = m.listing_id, match_method = 'fuzzy', certainty_score = m.certainty_score, match_candidates = m.candidates
         FROM ${fuzzyMatchesTable} m WHERE r.id = m.id AND r.job_id = $1 AND r.action = 'duplicate' AND r.listing_id IS NULL`,
      [runId]);
  }
  const compare = (part: string, newWhen: string, restoring: string) =>
    `CASE WHEN ${newWhen} THEN 'insert'
          WHEN b.prev->>'${part}' IS NOT DISTINCT FROM b.hashes->>'${part}' AND NOT ${restoring} THEN 'unchanged'
          ELSE 'update' END`;
  await db.query(
    `WITH base AS (
       SELECT r.id, r.hashes, r.warnings, ${fuzzy.listing} IS NULL AS new_listing, r.listing_info_id IS NULL AS new_info,
              ${fuzzy.columns[0]} AS fuzzy_listing_id, ${fuzzy.columns[1]} AS fuzzy_certainty, ${fuzzy.columns[2]} AS fuzzy_candidates,
              CASE WHEN li.id IS NOT NULL THEN li.source_hashes ELSE l.part_hashes END AS prev,
              coalesce(${visibilityRules.importRestoresInfo('li')}, false) AS info_restoring,
              coalesce(${visibilityRules.infoHeldHidden('li')}, false) AS info_held_hidden,
              coalesce(${visibilityRules.listingHeldArchived('l')}, false) AS listing_held_archived,
              coalesce(NOT l.listing_visible AND NOT ${visibilityRules.listingHeldArchived('l')}, false)
                AND NOT coalesce(${visibilityRules.infoHeldHidden('li')}, false) AS listing_restoring
         FROM staging.rows r
         ${fuzzy.join}
         LEFT JOIN public.listing_info li ON li.id = r.listing_info_id
         LEFT JOIN public.listings l ON l.id = ${fuzzy.listing}
        WHERE r.job_id = $1 AND r.file_seq > 0 AND r.action IS NULL),
     parts AS (
       SELECT b.id, b.fuzzy_listing_id, b.fuzzy_certainty, b.fuzzy_candidates,
              (b.warnings - ${visibilityNoteList})
                || CASE WHEN b.info_held_hidden THEN to_jsonb(ARRAY[$2::text]) ELSE '[]'::jsonb END
                || CASE WHEN b.listing_held_archived THEN to_jsonb(ARRAY[$3::text]) ELSE '[]'::jsonb END AS warnings,
              ${compare('listing', 'b.new_listing', 'b.listing_restoring')} AS l_action,
              ${compare('location', 'b.new_listing', 'false')} AS location_action,
              ${compare('attributes', 'b.new_listing', 'false')} AS attributes_action,
              ${compare('listing_info', 'b.new_info', 'b.info_restoring')} AS li_action,
              ${compare('contact', 'b.new_info', 'false')} AS contact_action,
              ${compare('images', 'b.new_info', 'false')} AS images_action,
              ${compare('opening', 'b.new_info', 'false')} AS open_action
         FROM base b),
     actions AS (
       SELECT p.*, CASE WHEN p.li_action = 'insert' THEN 'insert'
                        WHEN 'update' IN (${partActions.map((a) => `p.${a}`).join(', ')}) THEN 'update'
                        ELSE 'unchanged' END AS action
         FROM parts p)
     UPDATE staging.rows r SET
       ${partActions.map((a) => `${a} = a.${a}`).join(', ')}, action = a.action, warnings = a.warnings,
       ok_to_promote = ${proposalOf('a.action', 'a.warnings')},
       listing_id = coalesce(a.fuzzy_listing_id, r.listing_id),
       match_method = CASE WHEN a.fuzzy_listing_id IS NOT NULL THEN 'fuzzy' ELSE r.match_method END,
       certainty_score = CASE WHEN a.fuzzy_listing_id IS NOT NULL THEN a.fuzzy_certainty ELSE r.certainty_score END,
       match_candidates = CASE WHEN a.fuzzy_listing_id IS NOT NULL THEN a.fuzzy_candidates ELSE r.match_candidates END
       FROM actions a WHERE r.id = a.id`,
    [runId, visibilityNotes.infoHidden, visibilityNotes.listingArchived],
  );
}

export interface DeletionOutcome {
  proposed: number;
  visible: number;
  guard: string | null;
}

/** A source that is not a full snapshot: its records go only after this many of its runs missed them. */
export interface UnseenRule {
  configId: number;
  runs: number;
}

/**
 * The DMO's visible listing_info that become `delete` rows (a record rejected by validation counts as
 * seen). A full snapshot deletes every one the run did not see; a source that is not (`unseen`) only
 * those it delivered before and missed in its last `runs` staged runs, this one included. Past
 * max_delete_ratio the run says why and none is proposed.
 */
export async function proposeDeletions(db: Queryable, runId: number, dmoId: number, maxDeleteRatio: number, unseen?: UnseenRule): Promise<DeletionOutcome> {
  const params: unknown[] = [runId, dmoId];
  let candidates = '';
  if (unseen) {
    params.push(unseen.configId, unseen.runs);
    // last seen: this config's sighting, or the run of this config that last wrote the record
    candidates = `AND li.id IN (
        SELECT seen.id FROM (
          SELECT li2.id, greatest(s.last_seen_job_id, CASE WHEN lj.config_id = $3 THEN li2.last_job_id END) AS last_seen
            FROM public.listing_info li2
            LEFT JOIN pipeline.record_sightings s ON s.config_id = $3 AND s.listing_info_id = li2.id
            LEFT JOIN pipeline.jobs lj ON lj.id = li2.last_job_id
           WHERE li2.dmo_id = $2 AND li2.info_visible AND (s.listing_info_id IS NOT NULL OR lj.config_id = $3)) seen
         WHERE 1 + (SELECT count(*) FROM pipeline.jobs j
                     WHERE j.config_id = $3 AND j.id > seen.last_seen AND j.id < $1 AND j.staged_at IS NOT NULL) >= $4)`;
  }
  const inserted = await db.query(
    `INSERT INTO staging.rows (job_id, file_seq, rec_num, dmo_id, source_id, match_hash, name, category, google_place_id,
                               address1, address2, city, state, zip, country, lat, lng, region_name, info_name, description,
                               listing_id, listing_info_id, match_method, action, li_action, l_action, ok_to_promote, geocode_status,
                               warnings)
     SELECT $1, 0, li.id, li.dmo_id, coalesce(li.source_id, 'listing_info:' || li.id), l.match_hash, l.name, l.category,
            l.google_place_id, loc.address1, loc.address2, loc.city, loc.state, loc.zip, loc.country, loc.lat, loc.lng,
            loc.region_name, li.name, li.description, l.id, li.id, 'bridge', 'delete', 'delete',
            CASE WHEN EXISTS (SELECT 1 FROM public.listing_info other
                               WHERE other.listing_id = li.listing_id AND other.id <> li.id AND other.info_visible)
                 THEN 'unchanged' ELSE 'delete' END,
            false, 'not_needed', $${params.length + 1}::jsonb
       FROM public.listing_info li
       JOIN public.listings l ON l.id = li.listing_id
       LEFT JOIN public.locations loc ON loc.id = l.location_id
      WHERE li.dmo_id = $2 AND li.info_visible
        AND NOT EXISTS (SELECT 1 FROM staging.rows r WHERE r.job_id = $1 AND r.listing_info_id = li.id)
        AND NOT EXISTS (SELECT 1 FROM pipeline.job_errors e WHERE e.job_id = $1 AND e.source_id = li.source_id)
        ${candidates}`,
    [...params, JSON.stringify(unseen ? [`not seen in the last ${unseen.runs} runs of this config (import.unseen_runs_before_delete)`] : [])],
  );
  const proposed = inserted.rowCount ?? 0;
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM public.listing_info WHERE dmo_id = $1 AND info_visible',
    [dmoId],
  );
  const visible = rows[0]!.n;
  let guard: string | null = null;
  if (proposed > 0 && proposed > visible * maxDeleteRatio) {
    const percent = Math.round((proposed / visible) * 100);
    guard = `This ${unseen ? 'run' : 'file'} would delete ${proposed} of the DMO's ${visible} visible listings (${percent}%), more than ` +
      `import.max_delete_ratio allows (${Math.round(maxDeleteRatio * 100)}%). The ${unseen ? 'source may have missed pages' : 'file may be truncated'}, so no deletion ` +
      'is proposed: approve deletions one by one if those listings are really gone.';
    await db.query(
      `UPDATE staging.rows SET warnings = warnings || to_jsonb($2::text) WHERE job_id = $1 AND file_seq = 0`,
      [runId, 'mass-delete guard: this run would delete more than import.max_delete_ratio of the DMO'],
    );
  }
  await db.query('UPDATE pipeline.jobs SET delete_guard = $2 WHERE id = $1', [runId, guard]);
  return { proposed, visible, guard };
}

/**
 * Which of the DMO's records this run of a config saw (staged, or rejected by validation, which
 * counts as seen): what the unseen rule counts from. Idempotent: a stage done again writes the same.
 */
export async function recordSightings(db: Queryable, runId: number, configId: number, dmoId: number): Promise<void> {
  await db.query(
    `INSERT INTO pipeline.record_sightings (config_id, listing_info_id, last_seen_job_id)
     SELECT $2, seen.id, $1 FROM (
       SELECT r.listing_info_id AS id FROM staging.rows r WHERE r.job_id = $1 AND r.file_seq > 0 AND r.listing_info_id IS NOT NULL
       UNION
       SELECT li.id FROM pipeline.job_errors e JOIN public.listing_info li ON li.dmo_id = $3 AND li.source_id = e.source_id
        WHERE e.job_id = $1) seen
     ON CONFLICT (config_id, listing_info_id) DO UPDATE
       SET last_seen_job_id = greatest(pipeline.record_sightings.last_seen_job_id, EXCLUDED.last_seen_job_id)`,
    [runId, configId, dmoId],
  );
}

/**
 * Sets the proposal of every row that does not have it yet: the steps above set it as they decide a
 * row, so this writes only what they left, such as rows a reviewer's override changed.
 */
export async function proposeRows(db: Queryable, runId: number): Promise<void> {
  const proposal = proposalOf('action');
  await db.query(`UPDATE staging.rows SET ok_to_promote = ${proposal} WHERE job_id = $1 AND ok_to_promote <> ${proposal}`, [runId]);
}

/** A staged run's records by the record's action, as countResults writes them to job_results. */
export type StagedCounts = Record<'insert' | 'update' | 'unchanged' | 'duplicate' | 'delete' | 'possible_match', number>;

export async function countResults(db: Queryable, runId: number): Promise<StagedCounts> {
  const { rows } = await db.query<StagedCounts>(
    `UPDATE pipeline.job_results res SET
        records_new = c.new, records_updated = c.updated, records_unchanged = c.unchanged,
        records_duplicates = c.duplicates, records_deleted = c.deleted, records_possible_match = c.possible,
        records_error = (SELECT count(DISTINCT (file_seq, rec_num)) FROM pipeline.job_errors
                          WHERE job_id = $1 AND error_type = 'validation_error')
                      + (SELECT count(*) FROM pipeline.job_errors WHERE job_id = $1 AND error_type = 'parse_error'),
        updated_at = now()
       FROM (SELECT count(*) FILTER (WHERE action = 'insert') AS new,
                    count(*) FILTER (WHERE action = 'update') AS updated,
                    count(*) FILTER (WHERE action = 'unchanged') AS unchanged,
                    count(*) FILTER (WHERE action = 'duplicate') AS duplicates,
                    count(*) FILTER (WHERE action = 'delete') AS deleted,
                    count(*) FILTER (WHERE action = 'possible_match') AS possible
               FROM staging.rows WHERE job_id = $1) c
      WHERE res.job_id = $1
      RETURNING res.records_new AS insert, res.records_updated AS update, res.records_unchanged AS unchanged,
                res.records_duplicates AS duplicate, res.records_deleted AS delete, res.records_possible_match AS possible_match`,
    [runId],
  );
  return rows[0] ?? { insert: 0, update: 0, unchanged: 0, duplicate: 0, delete: 0, possible_match: 0 };
}

/** True when a newer run of the config already reached review or production: this one is stale. */
export async function newerRunStaged(db: Queryable, runId: number, configId: number): Promise<boolean> {
  const newer = await db.query(
    `SELECT 1 FROM pipeline.jobs WHERE config_id = $1 AND id > $2 AND status IN ('awaiting_review', 'promoting', 'promoted')`,
    [configId, runId],
  );
  return (newer.rowCount ?? 0) > 0;
}

/** Rows a human must look at before the run can go to production unattended. */
export async function rowsNeedingReview(db: Queryable, runId: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM staging.rows WHERE job_id = $1 AND NOT ok_to_promote',
    [runId],
  );
  return rows[0]!.n;
}
