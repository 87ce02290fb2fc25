-- Up Migration
-- The three schemas of DESIGN.md: public (production), staging (review), pipeline (runs, configs, files, bridge).
-- Check constraints hold exactly the action and status values of DESIGN.md's Rules.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS pipeline;

-- ---------------------------------------------------------------- public: reference data

CREATE TABLE public.dmos (
  id           serial PRIMARY KEY,
  name         text NOT NULL CHECK (length(trim(name)) > 0),
  -- 1 scraped, 2 travel site, 3 client, 4 partner; authority: client > partner > travel site > scraped
  dmo_type_id  integer NOT NULL CHECK (dmo_type_id BETWEEN 1 AND 4),
  domain_url   text,
  -- the DMO's geographic box: a point outside it is a warning on the staged row
  min_lat      double precision,
  max_lat      double precision,
  min_lng      double precision,
  max_lng      double precision,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.ref_days (
  id    integer PRIMARY KEY CHECK (id BETWEEN 1 AND 7),
  name  text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO public.ref_days (id, name) VALUES
  (1, 'Monday'), (2, 'Tuesday'), (3, 'Wednesday'), (4, 'Thursday'), (5, 'Friday'), (6, 'Saturday'), (7, 'Sunday');

CREATE TABLE public.ref_attributes (
  id          serial PRIMARY KEY,
  name        text NOT NULL,
  description text,
  icon        text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ref_attributes_name_key ON public.ref_attributes (lower(name));

-- ---------------------------------------------------------------- public: listings

CREATE TABLE public.locations (
  id          serial PRIMARY KEY,
  address1    text,
  address2    text,
  city        text,
  state       text,
  zip         text,
  country     char(2),
  lat         numeric(10, 8) CHECK (lat BETWEEN -90 AND 90),
  lng         numeric(11, 8) CHECK (lng BETWEEN -180 AND 180),
  region_name text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.listings (
  id                    serial PRIMARY KEY,
  name                  text NOT NULL,
  category              text,
  google_place_id       text,
  location_id           integer REFERENCES public.locations (id),
  match_hash            text,
  listing_visible       boolean NOT NULL DEFAULT true,
  listing_status        text NOT NULL DEFAULT 'active'
                        CHECK (listing_status IN ('active', 'missing_from_import', 'removed', 'archived')),
  manually_modified     boolean NOT NULL DEFAULT false,
  manually_modified_at  timestamptz,
  manually_modified_by  integer,
  -- the DMO whose values the shared parts (name, location, attributes) carry now: decides authority
  owner_dmo_id          integer REFERENCES public.dmos (id),
  -- hashes of the shared parts as last written, for sources that did not write them
  part_hashes           jsonb NOT NULL DEFAULT '{}'::jsonb,
  last_job_id           bigint,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX listings_match_hash_idx ON public.listings (match_hash);
CREATE INDEX listings_name_trgm_idx ON public.listings USING gin (name gin_trgm_ops);

CREATE TABLE public.contact_info (
  id                  serial PRIMARY KEY,
  name                text,
  email               text,
  local_phone         text,
  international_phone text,
  website_url         text,
  facebook_url        text,
  instagram_url       text,
  youtube_url         text,
  tiktok_url          text,
  twitter_url         text,
  pinterest_url       text,
  tripadvisor_url     text,
  yelp_url            text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.listing_info (
  id                    serial PRIMARY KEY,
  listing_id            integer NOT NULL REFERENCES public.listings (id),
  dmo_id                integer NOT NULL REFERENCES public.dmos (id),
  source_id             text,
  name                  text,
  description           text,
  contact_info_id       integer REFERENCES public.contact_info (id),
  info_visible          boolean NOT NULL DEFAULT true,
  info_status           text NOT NULL DEFAULT 'active'
                        CHECK (info_status IN ('active', 'missing_from_import', 'removed', 'archived')),
  manually_modified     boolean NOT NULL DEFAULT false,
  manually_modified_at  timestamptz,
  manually_modified_by  integer,
  -- what this source delivered last time, part by part: change detection compares with these
  source_hashes         jsonb NOT NULL DEFAULT '{}'::jsonb,
  last_seen_at          timestamptz,
  last_job_id           bigint,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (dmo_id, source_id)
);
CREATE INDEX listing_info_listing_idx ON public.listing_info (listing_id);

CREATE TABLE public.listing_images (
  id              serial PRIMARY KEY,
  listing_info_id integer NOT NULL REFERENCES public.listing_info (id) ON DELETE CASCADE,
  image           text NOT NULL,
  source_url      text,
  rank            integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX listing_images_info_idx ON public.listing_images (listing_info_id);

CREATE TABLE public.opening_dates (
  id              serial PRIMARY KEY,
  listing_info_id integer NOT NULL REFERENCES public.listing_info (id) ON DELETE CASCADE,
  start_date      text,
  end_date        text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opening_dates_info_idx ON public.opening_dates (listing_info_id);

CREATE TABLE public.opening_hours (
  id              serial PRIMARY KEY,
  opening_date_id integer NOT NULL REFERENCES public.opening_dates (id) ON DELETE CASCADE,
  day_id          integer NOT NULL REFERENCES public.ref_days (id),
  open_time       text NOT NULL,
  close_time      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opening_hours_date_idx ON public.opening_hours (opening_date_id);

CREATE TABLE public.bridge_attributes_listings (
  id           serial PRIMARY KEY,
  attribute_id integer NOT NULL REFERENCES public.ref_attributes (id),
  listing_id   integer NOT NULL REFERENCES public.listings (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (listing_id, attribute_id)
);

-- ---------------------------------------------------------------- public: users, roles, permissions

CREATE TABLE public.users (
  id            serial PRIMARY KEY,
  email         text NOT NULL,
  name          text,
  password_hash text NOT NULL,
  disabled      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON public.users (lower(email));

CREATE TABLE public.permissions (
  name        text PRIMARY KEY,
  description text NOT NULL
);
INSERT INTO public.permissions (name, description) VALUES
  ('pipeline:read', 'See sources, runs, staged rows, listings and queues'),
  ('pipeline:write', 'Create and change DMOs and configs, start, retry, cancel and discard runs'),
  ('pipeline:review', 'Approve, reject and override staged rows'),
  ('pipeline:promote', 'Promote approved rows to production'),
  ('pipeline:queues', 'Retry, clean and remove jobs in Bull Board'),
  ('users:admin', 'Manage users and their roles');

CREATE TABLE public.roles (
  name        text PRIMARY KEY,
  description text NOT NULL
);
INSERT INTO public.roles (name, description) VALUES
  ('super_admin', 'Everything'),
  ('pipeline_admin', 'Every pipeline permission'),
  ('reviewer', 'Reads and reviews staged rows'),
  ('ops', 'Reads and acts on queues'),
  ('viewer', 'Reads only');

CREATE TABLE public.role_permissions (
  role       text NOT NULL REFERENCES public.roles (name) ON DELETE CASCADE,
  permission text NOT NULL REFERENCES public.permissions (name) ON DELETE CASCADE,
  PRIMARY KEY (role, permission)
);
INSERT INTO public.role_permissions (role, permission)
  SELECT 'super_admin', name FROM public.permissions
  UNION ALL SELECT 'pipeline_admin', name FROM public.permissions WHERE name LIKE 'pipeline:%'
  UNION ALL VALUES ('reviewer', 'pipeline:read'), ('reviewer', 'pipeline:review'),
                   ('ops', 'pipeline:read'), ('ops', 'pipeline:queues'),
                   ('viewer', 'pipeline:read');

CREATE TABLE public.user_roles (
  user_id integer NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  role    text NOT NULL REFERENCES public.roles (name) ON DELETE CASCADE,
  PRIMARY KEY (user_id, role)
);

-- Browser sessions and API tokens: both are opaque secrets kept only as sha256 hashes.
CREATE TABLE public.user_sessions (
  token_hash  text PRIMARY KEY,
  user_id     integer NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_sessions_expires_idx ON public.user_sessions (expires_at);

CREATE TABLE public.api_tokens (
  id           serial PRIMARY KEY,
  user_id      integer NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  name         text NOT NULL,
  token_hash   text NOT NULL UNIQUE,
  last_used_at timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Failed logins per email and per client address, to slow guessing down.
CREATE TABLE public.login_failures (
  key            text PRIMARY KEY,
  failures       integer NOT NULL,
  first_failed_at timestamptz NOT NULL,
  last_failed_at timestamptz NOT NULL
);

-- ---------------------------------------------------------------- pipeline

CREATE TABLE pipeline.configs (
  id            bigserial PRIMARY KEY,
  dmo_id        integer NOT NULL REFERENCES public.dmos (id),
  name          text,
  source_type   text NOT NULL CHECK (source_type IN ('csv', 'json', 'wordpress', 'drupal', 'website', 'api', 'poi')),
  data_domain   text NOT NULL DEFAULT 'listings' CHECK (data_domain ~ '^[a-z][a-z0-9_]*$'),
  schedule      text NOT NULL DEFAULT 'manual',
  active        boolean NOT NULL DEFAULT true,
  version       integer NOT NULL DEFAULT 1,
  config_params jsonb NOT NULL DEFAULT '{}'::jsonb,
  deleted_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pipeline.jobs (
  id              bigserial PRIMARY KEY,
  config_id       bigint NOT NULL REFERENCES pipeline.configs (id),
  dmo_id          integer NOT NULL REFERENCES public.dmos (id),
  data_domain     text NOT NULL,
  status          text NOT NULL CHECK (status IN ('waiting_for_input', 'queued', 'running', 'awaiting_review',
                                                  'promoting', 'promoted', 'failed', 'cancelled', 'superseded')),
  -- the step the run is in, for progress: import | transform | stage | review | promote
  stage           text NOT NULL DEFAULT 'import' CHECK (stage IN ('import', 'transform', 'stage', 'review', 'promote')),
  progress_done   bigint NOT NULL DEFAULT 0,
  progress_total  bigint NOT NULL DEFAULT 0,
  triggered_by    text NOT NULL DEFAULT 'manual' CHECK (triggered_by IN ('manual', 'schedule')),
  created_by      integer REFERENCES public.users (id),
  error_summary   text,
  delete_guard    text,
  promote_results jsonb,
  -- set when every raw file is written: a retried import then only (re)adds the run's flow
  imported_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_config_idx ON pipeline.jobs (config_id, id DESC);
CREATE INDEX jobs_status_idx ON pipeline.jobs (status);

CREATE TABLE pipeline.job_configs (
  job_id            bigint PRIMARY KEY REFERENCES pipeline.jobs (id) ON DELETE CASCADE,
  config_id         bigint NOT NULL REFERENCES pipeline.configs (id),
  dmo_id            integer NOT NULL REFERENCES public.dmos (id),
  source_type       text NOT NULL,
  data_domain       text NOT NULL,
  config_params     jsonb NOT NULL,
  config_version    integer NOT NULL,
  schedule          text NOT NULL,
  source_updated_at timestamptz NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pipeline.job_files (
  id            bigserial PRIMARY KEY,
  job_id        bigint NOT NULL REFERENCES pipeline.jobs (id) ON DELETE CASCADE,
  -- upload: the file an admin sent; raw: the split, gzipped records the import wrote
  kind          text NOT NULL CHECK (kind IN ('upload', 'raw')),
  seq           integer NOT NULL CHECK (seq >= 0),
  storage_key   text NOT NULL,
  original_name text,
  format        text NOT NULL,
  data_domain   text NOT NULL,
  dmo_id        integer NOT NULL,
  file_date     date NOT NULL DEFAULT current_date,
  bytes         bigint NOT NULL DEFAULT 0,
  record_count  integer,
  first_rec_num integer,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (job_id, kind, seq)
);

CREATE TABLE pipeline.job_results (
  job_id                 bigint PRIMARY KEY REFERENCES pipeline.jobs (id) ON DELETE CASCADE,
  records_total          integer NOT NULL DEFAULT 0,
  records_new            integer NOT NULL DEFAULT 0,
  records_updated        integer NOT NULL DEFAULT 0,
  records_deleted        integer NOT NULL DEFAULT 0,
  records_duplicates     integer NOT NULL DEFAULT 0,
  records_unchanged      integer NOT NULL DEFAULT 0,
  records_possible_match integer NOT NULL DEFAULT 0,
  records_error          integer NOT NULL DEFAULT 0,
  updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pipeline.job_errors (
  id              bigserial PRIMARY KEY,
  job_id          bigint NOT NULL REFERENCES pipeline.jobs (id) ON DELETE CASCADE,
  file_id         bigint REFERENCES pipeline.job_files (id) ON DELETE CASCADE,
  file_seq        integer,
  rec_num         integer,
  line            integer,
  field           text,
  -- the record's identity when it could be computed: a rejected record still counts as seen
  source_id       text,
  error_type      text NOT NULL,
  error_message   text NOT NULL,
  original_record jsonb,
  created_at      timestamptz NOT NULL DEFAULT now()
);
-- a retried transform records a rejected record once
CREATE UNIQUE INDEX job_errors_record_key ON pipeline.job_errors (job_id, file_seq, rec_num, field)
  WHERE rec_num IS NOT NULL;
CREATE INDEX job_errors_job_idx ON pipeline.job_errors (job_id, id);

CREATE TABLE pipeline.bridge_source_target (
  id              bigserial PRIMARY KEY,
  dmo_id          integer NOT NULL REFERENCES public.dmos (id),
  source_id       text NOT NULL,
  target_type     text NOT NULL CHECK (target_type IN ('listing', 'listing_info')),
  target_id       integer NOT NULL,
  certainty_score numeric(5, 4) NOT NULL DEFAULT 1.0 CHECK (certainty_score BETWEEN 0 AND 1),
  job_id          bigint,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (dmo_id, source_id, target_type)
);
CREATE INDEX bridge_target_idx ON pipeline.bridge_source_target (target_type, target_id);

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

CREATE TABLE pipeline.change_log (
  id          bigserial PRIMARY KEY,
  entity_type text NOT NULL CHECK (entity_type IN ('listing', 'listing_info', 'location', 'contact_info',
                                                   'images', 'opening', 'attributes')),
  entity_id   integer NOT NULL,
  listing_id  integer NOT NULL,
  change      text NOT NULL CHECK (change IN ('insert', 'update', 'delete', 'restore')),
  field       text,
  old_value   text,
  new_value   text,
  job_id      bigint,
  user_id     integer,
  changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX change_log_listing_idx ON pipeline.change_log (listing_id, changed_at);
-- promote is resumable: a batch redone after a crash writes its log rows once
CREATE UNIQUE INDEX change_log_job_key ON pipeline.change_log (job_id, entity_type, entity_id, change, coalesce(field, ''))
  WHERE job_id IS NOT NULL;

-- ---------------------------------------------------------------- staging

-- One row per source record per run (plus one per proposed deletion): the single source of
-- truth for review and promotion.
CREATE TABLE staging.rows (
  id                bigserial PRIMARY KEY,
  job_id            bigint NOT NULL REFERENCES pipeline.jobs (id) ON DELETE CASCADE,
  -- file_seq 0 holds the deletions the stage step proposes (rec_num is then the listing_info id)
  file_seq          integer NOT NULL CHECK (file_seq >= 0),
  rec_num           integer NOT NULL,
  line              integer,
  dmo_id            integer NOT NULL,
  source_id         text NOT NULL,
  match_hash        text,
  -- canonical fields
  name              text,
  category          text,
  google_place_id   text,
  address1          text,
  address2          text,
  city              text,
  state             text,
  zip               text,
  country           text,
  lat               numeric(10, 8),
  lng               numeric(11, 8),
  region_name       text,
  info_name         text,
  description       text,
  contact           jsonb NOT NULL DEFAULT '{}'::jsonb,
  images            jsonb NOT NULL DEFAULT '[]'::jsonb,
  attributes        jsonb NOT NULL DEFAULT '[]'::jsonb,
  opening           jsonb NOT NULL DEFAULT '[]'::jsonb,
  opening_text      text,
  -- comparison hashes, one per part
  hashes            jsonb NOT NULL DEFAULT '{}'::jsonb,
  warnings          jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- identity
  listing_id        integer,
  listing_info_id   integer,
  match_method      text CHECK (match_method IN ('bridge', 'match_hash', 'fuzzy', 'manual')),
  -- actions
  action            text CHECK (action IN ('insert', 'update', 'unchanged', 'duplicate', 'delete', 'possible_match')),
  l_action          text CHECK (l_action IN ('insert', 'update', 'unchanged', 'duplicate', 'delete', 'possible_match')),
  li_action         text CHECK (li_action IN ('insert', 'update', 'unchanged', 'duplicate', 'delete', 'possible_match')),
  location_action   text CHECK (location_action IN ('insert', 'update', 'unchanged', 'duplicate', 'delete', 'possible_match')),
  contact_action    text CHECK (contact_action IN ('insert', 'update', 'unchanged', 'duplicate', 'delete', 'possible_match')),
  images_action     text CHECK (images_action IN ('insert', 'update', 'unchanged', 'duplicate', 'delete', 'possible_match')),
  open_action       text CHECK (open_action IN ('insert', 'update', 'unchanged', 'duplicate', 'delete', 'possible_match')),
  attributes_action text CHECK (attributes_action IN ('insert', 'update', 'unchanged', 'duplicate', 'delete', 'possible_match')),
  duplicate_of      bigint,
  ok_to_promote     boolean NOT NULL DEFAULT false,
  review_status     text NOT NULL DEFAULT 'pending' CHECK (review_status IN ('pending', 'approved', 'rejected')),
  reviewed_by       integer,
  reviewed_at       timestamptz,
  action_overridden boolean NOT NULL DEFAULT false,
  geocode_status    text CHECK (geocode_status IN ('not_needed', 'pending', 'found', 'not_found', 'failed')),
  promoted_at       timestamptz,
  promote_outcome   text CHECK (promote_outcome IN ('inserted', 'updated', 'deleted', 'unchanged', 'skipped')),
  created_listing   boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (job_id, file_seq, rec_num)
);
CREATE INDEX staging_rows_review_idx ON staging.rows (job_id, action, review_status);
CREATE INDEX staging_rows_source_idx ON staging.rows (job_id, source_id);
CREATE INDEX staging_rows_match_idx ON staging.rows (job_id, match_hash);

-- Down Migration
DROP SCHEMA staging CASCADE;
DROP SCHEMA pipeline CASCADE;
DROP TABLE public.login_failures, public.api_tokens, public.user_sessions, public.user_roles, public.role_permissions,
  public.roles, public.permissions, public.users, public.bridge_attributes_listings, public.opening_hours,
  public.opening_dates, public.listing_images, public.listing_info, public.contact_info, public.listings,
  public.locations, public.ref_attributes, public.ref_days, public.dmos;
