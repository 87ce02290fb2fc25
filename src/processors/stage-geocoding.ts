// The stage step's geocoding of one run (DESIGN.md step 4a): production's locations first, then the
// cache; the offline gazetteer answers the rest inline in one batch, a network provider through one
// `geocode` child job per distinct address, which the stage job waits for. Runs again from the top
// when the stage job resumes after its children: every part is idempotent.
import type { PipelineContext } from '../context';
import { getDmo } from '../db/configs';
import { recordProviderUsage } from '../db/provider-usage';
import * as geo from '../db/stage-geocode';
import { countGeocodeCacheHit } from '../metrics';
import { gazetteer } from '../geocode/gazetteer';
import { geocoderFor, GeocoderUnavailable, type GeocoderChoice } from '../geocode/geocoder';
import { jobIds } from '../queues/names';
import { RunFailure, type JobHandle, type RunStep } from './processor';

const childPage = 1_000;

/** 'waiting' when geocode jobs are still out: the stage job parks until they are done. */
export async function geocodeRun(ctx: PipelineContext, { run, config }: RunStep, job: JobHandle<'stage'>): Promise<'done' | 'waiting'> {
  const choice = chooseGeocoder(ctx, config);
  await geo.takeProductionLocations(ctx.db, run.id);
  if (choice.kind === 'none') {
    await geo.skipGeocoding(ctx.db, run.id);
    return 'done';
  }
  await geo.keyAddresses(ctx.db, run.id);
  const box = await dmoBox(ctx, run.dmo_id, config);
  if (choice.kind === 'local') {
    const places = await geo.placesToGeocode(ctx.db, run.id);
    const lookup = gazetteer();
    const results = places.map((place) => {
      const hit = lookup.lookup({ address1: null, city: place.city, state: place.state, zip: null, country: place.country });
      return { ...place, lat: hit?.lat ?? null, lng: hit?.lng ?? null };
    });
    await geo.applyPlaceResults(ctx.db, run.id, results, box);
    return 'done';
  }

  const { provider, endpoint } = choice;
  const cached = await geo.applyCachedResults(ctx.db, run.id, provider, box);
  if (cached.hits > 0) {
    countGeocodeCacheHit(provider, cached.hits);
    await recordProviderUsage(ctx.db, { provider, endpoint: endpoint.baseUrl, dmoId: run.dmo_id, cacheHits: cached.hits });
  }
  await geo.claimAddresses(ctx.db, run.id, provider);
  let after = '';
  let asked = 0;
  for (;;) {
    const keys = await geo.pendingAddressKeys(ctx.db, run.id, provider, after, childPage);
    if (keys.length === 0) break;
    await job.addChildren(keys.map((addressKey) => ({
      queue: 'geocode' as const, jobId: jobIds.geocode(run.id, addressKey), data: { runId: run.id, addressKey },
      attempts: ctx.settings.GEOCODE_ATTEMPTS, backoffMs: ctx.settings.GEOCODE_RETRY_DELAY_MS,
    })));
    asked += keys.length;
    after = keys[keys.length - 1]!;
  }
  if (asked > 0 && (await job.waitForChildren())) {
    ctx.log.info({ runId: run.id, provider, addresses: asked }, 'geocoding: waiting for the geocode jobs');
    return 'waiting';
  }
  // every child is done: what they answered is in the cache; an address still pending lost its job
  await geo.applyCachedResults(ctx.db, run.id, provider, box);
  const unanswered = await geo.markUnanswered(ctx.db, run.id);
  if (unanswered > 0) ctx.log.warn({ runId: run.id, provider, rows: unanswered }, 'geocoding: rows whose lookup did not finish are marked for review');
  return 'done';
}

function chooseGeocoder(ctx: PipelineContext, config: RunStep['config']): GeocoderChoice {
  try {
    return geocoderFor(ctx.settings, config.geocode);
  } catch (error) {
    if (error instanceof GeocoderUnavailable) throw new RunFailure(error.message);
    throw error;
  }
}

/** The config's box (validate.business_rules.dmo_geographic_bounds) or the DMO's own. */
async function dmoBox(ctx: PipelineContext, dmoId: number, config: RunStep['config']): Promise<geo.Box | null> {
  const rule = config.validate.business_rules.dmo_geographic_bounds;
  if (rule) return rule;
  const dmo = await getDmo(ctx.db, dmoId);
  if (!dmo || dmo.min_lat === null || dmo.max_lat === null || dmo.min_lng === null || dmo.max_lng === null) return null;
  return { min_lat: dmo.min_lat, max_lat: dmo.max_lat, min_lng: dmo.min_lng, max_lng: dmo.max_lng };
}
