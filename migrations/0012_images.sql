-- Up Migration
-- Images (DESIGN.md step 5). Each image of each staged record of a run is a row here: its source URL,
-- then, once its `image` job has fetched it, what it is (type from the bytes, dimensions, sha256,
-- 64-bit perceptual hash) and where its stored copies are, or why it failed. The job of one URL of a
-- run fills every staged image carrying that URL (url_key: the URL's sha256, 32 hex digits).
CREATE TABLE staging.images (
  id            bigserial PRIMARY KEY,
  job_id        bigint NOT NULL REFERENCES pipeline.jobs (id) ON DELETE CASCADE,
  row_id        bigint NOT NULL REFERENCES staging.rows (id) ON DELETE CASCADE,
  dmo_id        integer NOT NULL,
  rank          integer NOT NULL CHECK (rank >= 0),
  source_url    text NOT NULL,
  url_key       text NOT NULL CHECK (url_key ~ '^[0-9a-f]{32}$'),
  -- the listing's folder in the store: its listing_id, or s{staged row id} for a listing not made yet
  folder        text NOT NULL CHECK (folder ~ '^(s?[0-9]+)$'),
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'stored', 'failed')),
  failure       text,
  sha256        text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  phash         bigint,
  width         integer,
  height        integer,
  format        text,
  bytes         integer,
  canonical_url text,
  variants      jsonb,
  -- the source's validators of the answer that gave this state: a re-fetch asks "changed since?"
  etag          text,
  last_modified text,
  fetched_at    timestamptz,
  UNIQUE (row_id, rank),
  CHECK (status <> 'stored' OR (sha256 IS NOT NULL AND canonical_url IS NOT NULL))
);
CREATE INDEX staging_images_url_idx ON staging.images (job_id, url_key);
CREATE INDEX staging_images_status_idx ON staging.images (job_id, status);

-- What has been stored for each DMO record, by source URL: a re-import (or a changed list) of a URL
-- stored before for that record costs no request.
CREATE TABLE pipeline.stored_images (
  dmo_id        integer NOT NULL,
  source_id     text NOT NULL,
  url_key       text NOT NULL CHECK (url_key ~ '^[0-9a-f]{32}$'),
  source_url    text NOT NULL,
  sha256        text NOT NULL,
  phash         bigint NOT NULL,
  width         integer NOT NULL,
  height        integer NOT NULL,
  format        text NOT NULL,
  bytes         integer NOT NULL,
  canonical_url text NOT NULL,
  variants      jsonb NOT NULL,
  etag          text,
  last_modified text,
  stored_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dmo_id, source_id, url_key)
);

-- Production keeps what a gallery needs to show a picture once across DMOs and to pick a size;
-- `image` is our canonical copy's URL, never the source's.
ALTER TABLE public.listing_images
  ADD COLUMN sha256 text,
  ADD COLUMN phash bigint,
  ADD COLUMN width integer,
  ADD COLUMN height integer,
  ADD COLUMN variants jsonb;

-- Down Migration
ALTER TABLE public.listing_images DROP COLUMN sha256, DROP COLUMN phash, DROP COLUMN width, DROP COLUMN height, DROP COLUMN variants;
DROP TABLE pipeline.stored_images;
DROP TABLE staging.images;
