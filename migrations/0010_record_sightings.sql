-- Up Migration
-- Sources that are not full snapshots (APIs paging through changes, scrapes that may miss a page)
-- propose a soft delete only after a record has gone unseen for import.unseen_runs_before_delete
-- runs of its config: which run of each config last saw each DMO record is kept here by the stage.
CREATE TABLE pipeline.record_sightings (
  config_id        bigint NOT NULL REFERENCES pipeline.configs (id) ON DELETE CASCADE,
  listing_info_id  integer NOT NULL REFERENCES public.listing_info (id) ON DELETE CASCADE,
  last_seen_job_id bigint NOT NULL,
  PRIMARY KEY (config_id, listing_info_id)
);
CREATE INDEX record_sightings_listing_info_idx ON pipeline.record_sightings (listing_info_id);

-- Down Migration
DROP TABLE pipeline.record_sightings;
