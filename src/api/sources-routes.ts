// /api/v1/pipeline/dmos and /configs.
import { z } from 'zod';
import type { PipelineContext } from '../context';
import * as configs from '../db/configs';
import { transitionRun } from '../db/runs';
import { configParamsSchema, scheduleSchema, sourceTypes } from '../domain/config-params';
import { ApiError, notFound, parseInput } from './errors';
import { idParam, idSchema, maxBigSerialId, type RouteSpec } from './routes';

const dmoBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  dmo_type_id: z.number().int().min(1).max(4, { message: 'expected 1 scraped, 2 travel site, 3 client or 4 partner' }),
  domain_url: z.string().url().nullish(),
  min_lat: z.number().min(-90).max(90).nullish(),
  max_lat: z.number().min(-90).max(90).nullish(),
  min_lng: z.number().min(-180).max(180).nullish(),
  max_lng: z.number().min(-180).max(180).nullish(),
});

const configBody = z.strictObject({
  dmo_id: idSchema(),
  name: z.string().trim().max(200).nullish(),
  source_type: z.enum(sourceTypes, { error: `expected one of ${sourceTypes.join(', ')}` }),
  data_domain: z.string().regex(/^[a-z][a-z0-9_]*$/, { message: 'expected a lowercase word such as listings' }).default('listings'),
  schedule: scheduleSchema.default('manual'),
  active: z.boolean().default(true),
  config_params: configParamsSchema.default({}),
});
const configPatch = configBody.partial().extend({ on_pending_runs: z.enum(['keep', 'cancel']).optional() });
const deleteQuery = z.object({ on_pending_runs: z.enum(['keep', 'cancel']).optional() });

async function assertDmoExists(ctx: PipelineContext, dmoId: number) {
  if (!(await configs.getDmo(ctx.db, dmoId))) {
    throw new ApiError(400, 'invalid_request', `dmo_id: DMO ${dmoId} does not exist`);
  }
}

/** A change to a config with unfinished runs needs the caller to say what becomes of them. */
async function settlePendingRuns(ctx: PipelineContext, configId: number, choice: 'keep' | 'cancel' | undefined) {
  const pending = await configs.pendingRunsOfConfig(ctx.db, configId);
  if (!pending.length || choice === 'keep') return;
  if (!choice) {
    throw new ApiError(
      409, 'pending_runs',
      `Config ${configId} has unfinished runs (${pending.map((run) => `${run.id} ${run.status}`).join(', ')}); ` +
        'send on_pending_runs: "keep" to let them finish with the old settings, or "cancel" to cancel them',
      { runs: pending },
    );
  }
  for (const run of pending) {
    await transitionRun(ctx.db, run.id, ['waiting_for_input', 'queued', 'running', 'awaiting_review'], 'cancelled', {
      errorSummary: `Cancelled because config ${configId} was changed`,
    });
  }
}

const withNextRun = (config: configs.ConfigRow) => ({ ...config, next_run_at: null as Date | null });

export function sourceRoutes(ctx: PipelineContext): RouteSpec[] {
  return [
    { method: 'get', path: '/dmos', access: 'pipeline:read', handler: async () => ({ dmos: await configs.listDmos(ctx.db) }) },
    {
      method: 'post', path: '/dmos', access: 'pipeline:write',
      handler: async (req, res) => {
        const dmo = await configs.createDmo(ctx.db, parseInput(dmoBody, req.body));
        res.status(201);
        return dmo;
      },
    },
    {
      method: 'get', path: '/dmos/:id', access: 'pipeline:read',
      handler: async (req) => (await configs.getDmo(ctx.db, idParam(req))) ?? Promise.reject(notFound(`DMO ${req.params.id}`)),
    },
    {
      method: 'patch', path: '/dmos/:id', access: 'pipeline:write',
      handler: async (req) => {
        const dmo = await configs.updateDmo(ctx.db, idParam(req), parseInput(dmoBody.partial(), req.body));
        return dmo ?? Promise.reject(notFound(`DMO ${req.params.id}`));
      },
    },
    {
      method: 'delete', path: '/dmos/:id', access: 'pipeline:write',
      handler: async (req) => {
        const id = idParam(req);
        if (await configs.dmoInUse(ctx.db, id)) {
          throw new ApiError(409, 'in_use', `DMO ${id} still has configs or listings; delete or move those first`);
        }
        if (!(await configs.deleteDmo(ctx.db, id))) throw notFound(`DMO ${id}`);
        return { deleted: id };
      },
    },
    {
      method: 'get', path: '/configs', access: 'pipeline:read',
      handler: async () => ({ configs: (await configs.listConfigs(ctx.db)).map(withNextRun) }),
    },
    {
      method: 'post', path: '/configs', access: 'pipeline:write',
      handler: async (req, res) => {
        const body = parseInput(configBody, req.body);
        await assertDmoExists(ctx, body.dmo_id);
        res.status(201);
        return withNextRun(await configs.createConfig(ctx.db, body));
      },
    },
    {
      method: 'get', path: '/configs/:id', access: 'pipeline:read',
      handler: async (req) => {
        const config = await configs.getConfig(ctx.db, idParam(req, 'id', maxBigSerialId));
        if (!config) throw notFound(`Config ${req.params.id}`);
        return withNextRun(config);
      },
    },
    {
      method: 'patch', path: '/configs/:id', access: 'pipeline:write',
      handler: async (req) => {
        const id = idParam(req, 'id', maxBigSerialId);
        const { on_pending_runs, ...patch } = parseInput(configPatch, req.body);
        if (!(await configs.getConfig(ctx.db, id))) throw notFound(`Config ${id}`);
        if (patch.dmo_id !== undefined) await assertDmoExists(ctx, patch.dmo_id);
        await settlePendingRuns(ctx, id, on_pending_runs);
        return withNextRun((await configs.updateConfig(ctx.db, id, patch))!);
      },
    },
    {
      method: 'delete', path: '/configs/:id', access: 'pipeline:write',
      handler: async (req) => {
        const id = idParam(req, 'id', maxBigSerialId);
        const choice = parseInput(deleteQuery, { ...req.query, ...(req.body ?? {}) }).on_pending_runs;
        if (!(await configs.getConfig(ctx.db, id))) throw notFound(`Config ${id}`);
        await settlePendingRuns(ctx, id, choice);
        await configs.deleteConfig(ctx.db, id);
        return { deleted: id };
      },
    },
  ];
}
