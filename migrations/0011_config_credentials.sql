-- Up Migration
-- Source credentials (application passwords, API keys) apart from config_params, which the API shows,
-- runs snapshot and logs may quote: only AES-256-GCM ciphertext with SECRETS_KEY is stored here.
CREATE TABLE pipeline.config_credentials (
  config_id   bigint NOT NULL REFERENCES pipeline.configs (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]*$'),
  iv          bytea NOT NULL,
  ciphertext  bytea NOT NULL,
  tag         bytea NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (config_id, name)
);

-- Down Migration
DROP TABLE pipeline.config_credentials;
