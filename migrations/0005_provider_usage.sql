-- Up Migration
-- Calls to the providers the pipeline pays for or is rate-limited by (geocoders first), per UTC day,
-- provider, endpoint and DMO: the cost tracking of the Metrics page. Each worker process also counts
-- them in Prometheus (pipeline_provider_calls_total), but those counters live and die with the
-- process; this table is the fleet's total that GET /metrics/summary reads (src/db/provider-usage.ts).
CREATE TABLE pipeline.provider_usage (
  day          date NOT NULL,
  provider     text NOT NULL CHECK (length(provider) > 0),
  -- the provider's endpoint as DESIGN.md's rate limits name it (e.g. its base URL and path)
  endpoint     text NOT NULL CHECK (length(endpoint) > 0),
  dmo_id       integer NOT NULL REFERENCES public.dmos (id),
  calls        bigint NOT NULL DEFAULT 0 CHECK (calls >= 0),
  -- calls that failed, among them those the provider refused for quota or rate
  errors       bigint NOT NULL DEFAULT 0 CHECK (errors >= 0 AND errors <= calls),
  quota_errors bigint NOT NULL DEFAULT 0 CHECK (quota_errors >= 0 AND quota_errors <= errors),
  -- lookups the cache answered that would otherwise have been calls to this endpoint
  cache_hits   bigint NOT NULL DEFAULT 0 CHECK (cache_hits >= 0),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (day, provider, endpoint, dmo_id)
);
CREATE INDEX provider_usage_dmo_idx ON pipeline.provider_usage (dmo_id);

-- Down Migration
DROP TABLE pipeline.provider_usage;
