-- Up Migration
-- Geocoding and fuzzy matching (issue 9).

-- The cache, keyed by provider and normalised address: one provider call per distinct address, ever.
-- A row is claimed (status 'pending' with a lease) before the call, so a retry, a resumed run and two
-- workers racing make no second call. No earlier version wrote the old table, so it is replaced.
DROP TABLE pipeline.geocode_cache;
CREATE TABLE pipeline.geocode_cache (
  provider      text NOT NULL CHECK (provider IN ('gazetteer', 'google', 'nominatim')),
  -- md5 of address, so the key fits a job id
  address_key   text NOT NULL,
  -- the address as it is sent (the first staged row's spelling; the key is of its normalised form)
  address       text NOT NULL,
  status        text NOT NULL CHECK (status IN ('pending', 'found', 'not_found', 'failed')),
  lat           numeric(10, 8) CHECK (lat BETWEEN -90 AND 90),
  lng           numeric(11, 8) CHECK (lng BETWEEN -180 AND 180),
  -- how exact the point is: 'city' is a gazetteer's city centre, not the door
  precision     text CHECK (precision IN ('rooftop', 'street', 'postcode', 'city', 'region', 'approximate')),
  place_id      text,
  place_name    text,
  error         text,
  attempts      integer NOT NULL DEFAULT 0,
  -- who holds the claim until when: a claim whose holder died lapses and may be taken again
  claimed_by    text,
  claimed_until timestamptz,
  -- the run that asked first and the run that resolved it
  job_id        bigint,
  created_at    timestamptz NOT NULL DEFAULT now(),
  resolved_at   timestamptz,
  PRIMARY KEY (provider, address_key),
  CHECK (status <> 'found' OR (lat IS NOT NULL AND lng IS NOT NULL))
);

-- A staged row's geocoding: which cache entry, who answered, how exactly. Coordinates a provider
-- gave are written to lat/lng but never to the hashes (DESIGN.md, Hashes).
ALTER TABLE staging.rows
  ADD COLUMN address_key       text,
  ADD COLUMN geocode_provider  text,
  ADD COLUMN geocode_precision text,
  -- possible matches (and the evidence behind an automatic one): [{listing_id, confidence, name, city,
  -- name_similarity, distance_m, evidence: {name_similarity, distance_m, phone, website, address}}]
  ADD COLUMN match_candidates  jsonb,
  ADD COLUMN certainty_score   numeric(5, 4) CHECK (certainty_score BETWEEN 0 AND 1);
ALTER TABLE staging.rows DROP CONSTRAINT rows_geocode_status_check;
ALTER TABLE staging.rows ADD CONSTRAINT rows_geocode_status_check
  CHECK (geocode_status IN ('not_needed', 'pending', 'found', 'not_found', 'failed', 'out_of_bounds'));
CREATE INDEX staging_rows_address_idx ON staging.rows (job_id, address_key) WHERE address_key IS NOT NULL;

-- How exact a production location's point is (NULL: as the source gave it): fuzzy matching does not
-- measure distances from a city centre.
ALTER TABLE public.locations ADD COLUMN geocode_precision text;

-- How a source record was linked to its listing: it made the listing, the exact match hash, fuzzy
-- matching (certainty_score says how sure), or a person (a reviewer's pick, a force-match).
ALTER TABLE pipeline.bridge_source_target
  ADD COLUMN match_method text CHECK (match_method IN ('created', 'match_hash', 'fuzzy', 'manual'));

-- A force-match and an unmerge are events on the listings' timelines.
ALTER TABLE pipeline.change_log DROP CONSTRAINT change_log_change_check;
ALTER TABLE pipeline.change_log ADD CONSTRAINT change_log_change_check
  CHECK (change IN ('insert', 'update', 'delete', 'restore', 'hide', 'show', 'archive', 'unarchive', 'match', 'unmerge'));

-- Down Migration
UPDATE pipeline.change_log SET change = 'update' WHERE change IN ('match', 'unmerge');
ALTER TABLE pipeline.change_log DROP CONSTRAINT change_log_change_check;
ALTER TABLE pipeline.change_log ADD CONSTRAINT change_log_change_check
  CHECK (change IN ('insert', 'update', 'delete', 'restore', 'hide', 'show', 'archive', 'unarchive'));
ALTER TABLE pipeline.bridge_source_target DROP COLUMN match_method;
ALTER TABLE public.locations DROP COLUMN geocode_precision;
DROP INDEX staging.staging_rows_address_idx;
UPDATE staging.rows SET geocode_status = 'failed' WHERE geocode_status = 'out_of_bounds';
ALTER TABLE staging.rows DROP CONSTRAINT rows_geocode_status_check;
ALTER TABLE staging.rows ADD CONSTRAINT rows_geocode_status_check
  CHECK (geocode_status IN ('not_needed', 'pending', 'found', 'not_found', 'failed'));
ALTER TABLE staging.rows DROP COLUMN address_key, DROP COLUMN geocode_provider, DROP COLUMN geocode_precision,
  DROP COLUMN match_candidates, DROP COLUMN certainty_score;
DROP TABLE pipeline.geocode_cache;
CREATE TABLE pipeline.geocode_cache (
  address_key text PRIMARY KEY,
  provider    text NOT NULL,
  status      text NOT NULL CHECK (status IN ('pending', 'found', 'not_found', 'failed')),
  lat         numeric(10, 8),
  lng         numeric(11, 8),
  result      jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
