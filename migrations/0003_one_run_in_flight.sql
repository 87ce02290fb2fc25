-- Up Migration
-- DESIGN.md: a config has at most one run queued, running or promoting at a time ("in flight"). The
-- database holds the rule, so two triggers at the same moment cannot both start a run.

-- an install that already has two in flight keeps the oldest; the others fail, saying why
UPDATE pipeline.jobs j
   SET status = 'failed', finished_at = now(), updated_at = now(),
       error_summary = 'Another run of this config was in flight when one run at a time became the rule: retry this one once it has finished'
 WHERE status IN ('queued', 'running', 'promoting')
   AND EXISTS (SELECT 1 FROM pipeline.jobs o
                WHERE o.config_id = j.config_id AND o.id < j.id AND o.status IN ('queued', 'running', 'promoting'));

CREATE UNIQUE INDEX jobs_one_in_flight_per_config ON pipeline.jobs (config_id)
  WHERE status IN ('queued', 'running', 'promoting');

-- Down Migration
DROP INDEX pipeline.jobs_one_in_flight_per_config;
