-- Up Migration
-- DESIGN.md: finished_at marks a run that finished (promoted, failed, cancelled, superseded). When its
-- automatic work ended and it became ready for review is a time of its own.
ALTER TABLE pipeline.jobs ADD COLUMN staged_at timestamptz;
UPDATE pipeline.jobs SET staged_at = finished_at, finished_at = NULL WHERE status IN ('awaiting_review', 'promoting');

-- Down Migration
UPDATE pipeline.jobs SET finished_at = coalesce(finished_at, staged_at) WHERE status = 'awaiting_review';
ALTER TABLE pipeline.jobs DROP COLUMN staged_at;
