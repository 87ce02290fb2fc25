// pipeline.config_credentials: a config's credentials, sealed with SECRETS_KEY (auth/secrets.ts).
// Only the names ever leave this module towards the API; the values go to a run's source only.
import { openSecret, sealSecret } from '../auth/secrets';
import type { Queryable } from './pool';

const boundTo = (configId: number, name: string) => `config:${configId}:credential:${name}`;

/** Sets each named credential, or removes it for null. */
export async function setCredentials(db: Queryable, configId: number, changes: Record<string, string | null>, secretsKey: string | undefined): Promise<void> {
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) {
      await db.query('DELETE FROM pipeline.config_credentials WHERE config_id = $1 AND name = $2', [configId, name]);
      continue;
    }
    if (!secretsKey) throw new Error('setCredentials needs SECRETS_KEY'); // the routes refuse before this
    const sealed = sealSecret(secretsKey, boundTo(configId, name), value);
    await db.query(
      `INSERT INTO pipeline.config_credentials (config_id, name, iv, ciphertext, tag) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (config_id, name) DO UPDATE SET iv = EXCLUDED.iv, ciphertext = EXCLUDED.ciphertext, tag = EXCLUDED.tag, updated_at = now()`,
      [configId, name, sealed.iv, sealed.ciphertext, sealed.tag],
    );
  }
}

/** The names of the credentials each config has set. */
export async function storedCredentialNames(db: Queryable, configIds: number[]): Promise<Map<number, string[]>> {
  const { rows } = await db.query<{ config_id: string; name: string }>(
    'SELECT config_id, name FROM pipeline.config_credentials WHERE config_id = ANY($1::bigint[]) ORDER BY name', [configIds]);
  const names = new Map<number, string[]>();
  for (const row of rows) names.set(Number(row.config_id), [...(names.get(Number(row.config_id)) ?? []), row.name]);
  return names;
}

export class CredentialsUnreadable extends Error {}

/** A config's credentials in clear, for one run's source. */
export async function loadCredentials(db: Queryable, configId: number, secretsKey: string | undefined): Promise<Record<string, string>> {
  const { rows } = await db.query<{ name: string; iv: Buffer; ciphertext: Buffer; tag: Buffer }>(
    'SELECT name, iv, ciphertext, tag FROM pipeline.config_credentials WHERE config_id = $1', [configId]);
  if (!rows.length) return {};
  if (!secretsKey) throw new CredentialsUnreadable(`the config has credentials (${rows.map((r) => r.name).join(', ')}) but SECRETS_KEY is not set on this worker`);
  const credentials: Record<string, string> = {};
  for (const row of rows) {
    try {
      credentials[row.name] = openSecret(secretsKey, boundTo(configId, row.name), row);
    } catch {
      throw new CredentialsUnreadable(`credential ${row.name} cannot be decrypted with this SECRETS_KEY (was the key changed?): set it again on the config`);
    }
  }
  return credentials;
}

/** A deleted config keeps its runs, not its credentials. */
export async function deleteCredentials(db: Queryable, configId: number): Promise<void> {
  await db.query('DELETE FROM pipeline.config_credentials WHERE config_id = $1', [configId]);
}
