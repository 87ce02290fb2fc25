// public.dmos and pipeline.configs.
import type { ConfigParams, SourceType } from '../domain/config-params';
import type { Queryable } from './pool';

export interface DmoRow {
  id: number;
  name: string;
  dmo_type_id: number;
  domain_url: string | null;
  min_lat: number | null;
  max_lat: number | null;
  min_lng: number | null;
  max_lng: number | null;
  created_at: Date;
  updated_at: Date;
}
export type DmoInput = Partial<Omit<DmoRow, 'id' | 'created_at' | 'updated_at'>>;
const dmoColumns = ['name', 'dmo_type_id', 'domain_url', 'min_lat', 'max_lat', 'min_lng', 'max_lng'] as const;

export interface ConfigRow {
  id: number;
  dmo_id: number;
  name: string | null;
  source_type: SourceType;
  data_domain: string;
  schedule: string;
  active: boolean;
  version: number;
  config_params: ConfigParams;
  created_at: Date;
  updated_at: Date;
}
export type ConfigInput = Partial<Pick<ConfigRow, 'dmo_id' | 'name' | 'source_type' | 'data_domain' | 'schedule' | 'active' | 'config_params'>>;
const configColumns = ['dmo_id', 'name', 'source_type', 'data_domain', 'schedule', 'active', 'config_params'] as const;

/** SET clause from an allow-list of columns: identifiers never come from the request. */
function setClause(columns: readonly string[], input: Record<string, unknown>, offset: number) {
  const present = columns.filter((column) => input[column] !== undefined);
  return {
    sql: present.map((column, i) => `${column} = $${i + offset}`).join(', '),
    values: present.map((column) => (column === 'config_params' ? JSON.stringify(input[column]) : input[column])),
  };
}

export async function listDmos(db: Queryable): Promise<DmoRow[]> {
  return (await db.query<DmoRow>('SELECT * FROM public.dmos ORDER BY id')).rows;
}
export async function getDmo(db: Queryable, id: number): Promise<DmoRow | null> {
  return (await db.query<DmoRow>('SELECT * FROM public.dmos WHERE id = $1', [id])).rows[0] ?? null;
}
export async function createDmo(db: Queryable, input: DmoInput): Promise<DmoRow> {
  const present = dmoColumns.filter((column) => input[column] !== undefined);
  const { rows } = await db.query<DmoRow>(
    `INSERT INTO public.dmos (${present.join(', ')}) VALUES (${present.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
    present.map((column) => input[column]),
  );
  return rows[0]!;
}
export async function updateDmo(db: Queryable, id: number, input: DmoInput): Promise<DmoRow | null> {
  const set = setClause(dmoColumns, input, 2);
  if (!set.sql) return getDmo(db, id);
  const { rows } = await db.query<DmoRow>(
    `UPDATE public.dmos SET ${set.sql}, updated_at = now() WHERE id = $1 RETURNING *`,
    [id, ...set.values],
  );
  return rows[0] ?? null;
}
export async function dmoInUse(db: Queryable, id: number): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM pipeline.configs WHERE dmo_id = $1 AND deleted_at IS NULL
     UNION ALL SELECT 1 FROM public.listing_info WHERE dmo_id = $1 LIMIT 1`,
    [id],
  );
  return rows.length > 0;
}
export async function deleteDmo(db: Queryable, id: number): Promise<boolean> {
  return (await db.query('DELETE FROM public.dmos WHERE id = $1', [id])).rowCount === 1;
}

export async function listConfigs(db: Queryable): Promise<ConfigRow[]> {
  return (await db.query<ConfigRow>('SELECT * FROM pipeline.configs WHERE deleted_at IS NULL ORDER BY id')).rows;
}
export async function getConfig(db: Queryable, id: number): Promise<ConfigRow | null> {
  return (
    await db.query<ConfigRow>('SELECT * FROM pipeline.configs WHERE id = $1 AND deleted_at IS NULL', [id])
  ).rows[0] ?? null;
}
export async function createConfig(db: Queryable, input: ConfigInput): Promise<ConfigRow> {
  const present = configColumns.filter((column) => input[column] !== undefined);
  const { rows } = await db.query<ConfigRow>(
    `INSERT INTO pipeline.configs (${present.join(', ')}) VALUES (${present.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
    present.map((column) => (column === 'config_params' ? JSON.stringify(input[column]) : input[column])),
  );
  return rows[0]!;
}
/** A change bumps the version; runs in flight keep the snapshot they started with. */
export async function updateConfig(db: Queryable, id: number, input: ConfigInput): Promise<ConfigRow | null> {
  const set = setClause(configColumns, input, 2);
  const { rows } = await db.query<ConfigRow>(
    `UPDATE pipeline.configs SET ${set.sql ? `${set.sql}, ` : ''}version = version + 1, updated_at = now()
      WHERE id = $1 AND deleted_at IS NULL RETURNING *`,
    [id, ...set.values],
  );
  return rows[0] ?? null;
}
/** Runs point at their config, so a deleted config is kept, hidden. */
export async function deleteConfig(db: Queryable, id: number): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE pipeline.configs SET deleted_at = now(), active = false WHERE id = $1 AND deleted_at IS NULL',
    [id],
  );
  return rowCount === 1;
}

export async function pendingRunsOfConfig(db: Queryable, configId: number): Promise<{ id: number; status: string }[]> {
  const { rows } = await db.query(
    `SELECT id, status FROM pipeline.jobs
      WHERE config_id = $1 AND status IN ('waiting_for_input', 'queued', 'running', 'awaiting_review') ORDER BY id`,
    [configId],
  );
  return rows;
}
