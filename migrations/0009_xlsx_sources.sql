-- Up Migration
-- Spreadsheets uploaded as they are (API.md's source types): xlsx joins the types a config may have.
ALTER TABLE pipeline.configs DROP CONSTRAINT configs_source_type_check;
ALTER TABLE pipeline.configs ADD CONSTRAINT configs_source_type_check
  CHECK (source_type IN ('csv', 'json', 'xlsx', 'wordpress', 'drupal', 'website', 'api', 'poi'));

-- Down Migration
ALTER TABLE pipeline.configs DROP CONSTRAINT configs_source_type_check;
ALTER TABLE pipeline.configs ADD CONSTRAINT configs_source_type_check
  CHECK (source_type IN ('csv', 'json', 'wordpress', 'drupal', 'website', 'api', 'poi'));
