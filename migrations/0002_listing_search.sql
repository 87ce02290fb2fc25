-- Up Migration
-- Accent-insensitive search, the public API's place search, and the admin actions on visibility.

-- `quebec` finds `Québec`: search_text folds accents and case. unaccent() itself is only STABLE (its
-- dictionary could change), so this wrapper names the dictionary by schema and is declared IMMUTABLE,
-- which is what lets an index hold its result. Changing the unaccent rules means REINDEXing the two
-- indexes below.
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
CREATE FUNCTION public.search_text(text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

-- Queries say `search_text(column) LIKE search_text(pattern)`: trigram indexes answer those for any
-- substring of three characters or more.
CREATE INDEX listings_name_search_idx ON public.listings USING gin (public.search_text(name) gin_trgm_ops);
CREATE INDEX locations_city_search_idx ON public.locations USING gin (public.search_text(city) gin_trgm_ops);
-- a city match finds its listing through this, and the public API joins listings to locations
CREATE INDEX listings_location_idx ON public.listings (location_id);

-- near=lat,lng: a bounding box on this index first, then the exact (haversine) distance.
CREATE INDEX locations_point_idx ON public.locations USING gist (point(lng::float8, lat::float8))
  WHERE lat IS NOT NULL AND lng IS NOT NULL;

-- An admin's hide / show of one DMO's listing_info and archive / unarchive of a listing are events of
-- their own on the listing's timeline (field, old and new value say which status changed).
ALTER TABLE pipeline.change_log DROP CONSTRAINT change_log_change_check;
ALTER TABLE pipeline.change_log ADD CONSTRAINT change_log_change_check
  CHECK (change IN ('insert', 'update', 'delete', 'restore', 'hide', 'show', 'archive', 'unarchive'));

-- Down Migration
-- The visibility events stay on the timeline as the status updates they are.
UPDATE pipeline.change_log SET change = 'update' WHERE change IN ('hide', 'show', 'archive', 'unarchive');
ALTER TABLE pipeline.change_log DROP CONSTRAINT change_log_change_check;
ALTER TABLE pipeline.change_log ADD CONSTRAINT change_log_change_check
  CHECK (change IN ('insert', 'update', 'delete', 'restore'));
DROP INDEX public.locations_point_idx;
DROP INDEX public.listings_location_idx;
DROP INDEX public.locations_city_search_idx;
DROP INDEX public.listings_name_search_idx;
DROP FUNCTION public.search_text(text);
DROP EXTENSION unaccent;
